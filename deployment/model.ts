import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { recipesDocument } from '../functions/shared/aws/recipe-store';
import { canonicalJson } from '../functions/shared/canonical-json';
import { InvalidInputError } from '../functions/shared/errors';
import { parseRecipes, type Recipe, recipeToDocument, type ScriptRef } from '../functions/shared/recipe';
import { validate } from '../functions/shared/validation';
import { type AmiBakeConfig, settingsSchema } from './config';
import { type DeploymentNames, deploymentNames } from './names';
import { SHELLCHECK_MISSING, scriptProblems } from './script-checks';

/** A customisation script of the project, uploaded by the stack. */
interface ScriptObject {
  path: string;
  key: string;
  content: string;
}

/** Everything a deployment holds, resolved from the configuration: what the stack declares and the local run creates. */
export interface Deployment {
  config: AmiBakeConfig;
  names: DeploymentNames;
  bucket: string;
  recipes: Recipe[];
  scripts: ScriptObject[];
  /** The S3 recipes document, byte-stable for equal recipes. */
  recipesDocument: string;
  /** One DynamoDB item per recipe (the same recipes as the document). */
  recipeItems: Record<string, unknown>[];
  /** What synth could not check, said once (ShellCheck missing). */
  notices: string[];
}

export function resolveDeployment(
  config: AmiBakeConfig,
  options: { projectRoot: string; bucket: string; shellcheck?: string },
): Deployment {
  const { recipes, rejected } = parseRecipes(Array.isArray(config.recipes) ? config.recipes : [], {
    scripts: 'file-or-s3',
    deployment: config.namePrefix,
  });
  const problems = [...settingsProblems(config), ...rejected.flatMap((r) => r.problems)];
  const names = deploymentNames(config.namePrefix);
  const notices: string[] = [];
  const scripts = new Map<string, ScriptObject>();
  /** A project file as the S3 object the stack uploads; recipes that share a file read and check it once. */
  const uploaded = (recipe: Recipe, field: string, ref: ScriptRef): ScriptRef => {
    if (ref.kind !== 'file') return ref;
    const known = scripts.get(ref.path);
    if (known) return { kind: 's3', bucket: options.bucket, key: known.key };
    const file = join(options.projectRoot, ref.path);
    if (!existsSync(file)) {
      problems.push(
        `recipe "${recipe.name}": ${field} must name an existing file, got "${ref.path}": create it or fix the path`,
      );
      return ref;
    }
    const content = readFileSync(file, 'utf-8');
    const checked = scriptProblems(content, ref.path, options.shellcheck);
    for (const problem of checked.problems)
      problems.push(`recipe "${recipe.name}": ${field} "${ref.path}" ${problem}`);
    if (!checked.linted && !notices.includes(SHELLCHECK_MISSING)) notices.push(SHELLCHECK_MISSING);
    const script: ScriptObject = { path: ref.path, key: `${names.scriptsPrefix}${ref.path}`, content };
    scripts.set(script.path, script);
    // The script's S3 version, not a hash in the document, tells the trigger it changed: a script
    // edit then changes exactly one object in the plan.
    return { kind: 's3', bucket: options.bucket, key: script.key };
  };
  const resolved = recipes.map((recipe): Recipe => {
    const test = recipe.test.script
      ? { ...recipe.test, script: uploaded(recipe, 'test.script', recipe.test.script) }
      : recipe.test;
    return { ...recipe, script: uploaded(recipe, 'script', recipe.script), test };
  });
  problems.push(...recipes.flatMap(deploymentProblems));
  problems.push(...recipes.flatMap((r) => copyRegionProblems(r, config.region)));
  if (problems.length > 0) throw new InvalidInputError([...new Set(problems)]);
  const documents = resolved.map(recipeToDocument);
  return {
    config,
    names,
    bucket: options.bucket,
    recipes: resolved,
    scripts: [...scripts.values()].sort((a, b) => a.path.localeCompare(b.path)),
    recipesDocument: `${JSON.stringify(JSON.parse(canonicalJson(recipesDocument(documents))), null, 2)}\n`,
    recipeItems: documents,
    notices,
  };
}

/** What a deployed stack cannot grant least privilege for. */
function deploymentProblems(recipe: Recipe): string[] {
  const problems: string[] = [];
  if (recipe.instanceProfile !== undefined) {
    problems.push(
      `recipe "${recipe.name}": instanceProfile is not allowed in a deployment, got "${recipe.instanceProfile}": ` +
        "builds run with the stack's build instance role (the only role the functions may pass); " +
        'remove it and list the policies the script needs in buildInstance.managedPolicyArns',
    );
  }
  const key = recipe.rootVolume.kmsKeyId;
  if (
    key !== undefined &&
    !/^(?:arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+|[0-9a-f-]{36})$/.test(key)
  ) {
    problems.push(
      `recipe "${recipe.name}": rootVolume.kmsKeyId must be a key id or key ARN, got "${key}": ` +
        'aliases cannot scope the key permissions of the stack; use the ARN of the key the alias points to',
    );
  }
  return problems;
}

/** A copy goes to another region than the one the images are built in. */
function copyRegionProblems(recipe: Recipe, home: string): string[] {
  return recipe.distribution.copies
    .filter((c) => c.region === home)
    .map(
      (c) =>
        `recipe "${recipe.name}": distribution.copies must name other regions than the home region, got "${c.region}": remove it, the image is built there`,
    );
}

function settingsProblems(config: AmiBakeConfig): string[] {
  const checked = validate('configuration', settingsSchema, config);
  return checked.ok ? [] : checked.problems;
}

/** The environment of each function: the only place their settings come from. */
export function functionEnvironments(
  deployment: Deployment,
  arns: { imageCreate: string; topic?: string | undefined },
): {
  trigger: Record<string, string>;
  instanceCreate: Record<string, string>;
  imageCreate: Record<string, string>;
} {
  const { names, config } = deployment;
  const common = commonEnvironment(deployment, arns.topic);
  const store: Record<string, string> =
    config.recipeStore === 's3'
      ? { RECIPES_STORE: 's3', RECIPES_BUCKET: deployment.bucket, RECIPES_KEY: names.recipesKey }
      : { RECIPES_STORE: 'dynamodb', RECIPES_TABLE: names.recipesTable };
  const instanceCreate: Record<string, string> = {
    ...common,
    ARTIFACTS_BUCKET: deployment.bucket,
    BUILD_LOG_PREFIX: names.logPrefix,
    IMAGE_CREATE_FUNCTION_ARN: arns.imageCreate,
    BUILD_INSTANCE_PROFILE: names.buildInstanceProfile,
  };
  if (config.network.subnetId) instanceCreate.DEFAULT_SUBNET_ID = config.network.subnetId;
  if (config.network.securityGroupIds?.length)
    instanceCreate.DEFAULT_SECURITY_GROUP_IDS = config.network.securityGroupIds.join(',');
  return {
    trigger: {
      ...common,
      ...store,
      MAX_IN_FLIGHT: String(config.maxInFlight),
      INSTANCE_CREATE_FUNCTION: names.functions.instanceCreate,
    },
    instanceCreate,
    imageCreate: imageCreateEnvironment(deployment, arns.topic),
  };
}

/** ami_image_create's environment, which names ami_ec2_instance_create by name only (so it can be declared first). */
export function imageCreateEnvironment(
  deployment: Deployment,
  topic: string | undefined,
): Record<string, string> {
  const { names } = deployment;
  return {
    ...commonEnvironment(deployment, topic),
    ARTIFACTS_BUCKET: deployment.bucket,
    BUILD_LOG_PREFIX: names.logPrefix,
    // A name, not an ARN: the functions are declared in this order.
    INSTANCE_CREATE_FUNCTION: names.functions.instanceCreate,
  };
}

function commonEnvironment(deployment: Deployment, topic: string | undefined): Record<string, string> {
  return {
    DEPLOYMENT: deployment.names.prefix,
    BUILDS_TABLE: deployment.names.buildsTable,
    ...(topic ? { NOTIFY_TOPIC_ARN: topic } : {}),
  };
}
