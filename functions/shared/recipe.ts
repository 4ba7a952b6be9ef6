import { instanceTypeProblems } from './aws-facts';
import { InvalidInputError } from './errors';
import { recipeCheck } from './recipe-check';
import {
  type Architecture,
  type BaseSelector,
  HYGIENE_STEPS,
  type HygieneStep,
  parseScriptRef,
  RECIPE_DEFAULTS,
  type Recipe,
  type RecipeOptions,
  type RootVolumeType,
  type ScriptRef,
  scriptUri,
  type TestSettings,
} from './recipe-model';
import { problemsFor } from './validation';

export * from './recipe-model';

/**
 * Validates one recipe as found in the configuration or the recipes document.
 * Throws InvalidInputError listing every problem, each naming the recipe, the field,
 * the value received and the fix.
 */
export function parseRecipe(input: unknown, options: RecipeOptions, position = 0): Recipe {
  const label = recipeLabel(input, position);
  const problems = [
    ...problemsFor(`recipe ${label}`, input, recipeCheck(options)),
    ...crossFieldProblems(input).map((p) => `recipe ${label}: ${p}`),
  ];
  if (problems.length > 0) throw new InvalidInputError(problems);
  return normalize(input as RecipeInput, options);
}

/** Parses a whole recipes list: the valid recipes, and the problems of the others. */
export function parseRecipes(
  inputs: unknown,
  options: RecipeOptions,
): { recipes: Recipe[]; rejected: { name: string; problems: string[] }[] } {
  if (!Array.isArray(inputs)) {
    throw new InvalidInputError([
      `recipes must be a list of recipe objects, got ${JSON.stringify(inputs)?.slice(0, 80)}: write "recipes": [ { "name": ... } ]`,
    ]);
  }
  const counts = new Map<string, number>();
  for (const input of inputs) {
    const name = (input as { name?: unknown } | null)?.name;
    if (typeof name === 'string') counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const recipes: Recipe[] = [];
  const rejected: { name: string; problems: string[] }[] = [];
  inputs.forEach((input, position) => {
    const label = recipeLabel(input, position);
    const rawName = (input as { name?: unknown } | null)?.name;
    // The recipe's own name when it has one, else its label (such as "#3").
    const name = typeof rawName === 'string' && rawName !== '' ? rawName : label;
    if (typeof rawName === 'string' && (counts.get(rawName) ?? 0) > 1) {
      rejected.push({
        name,
        problems: [
          `recipe ${label}: name must be unique, got "${rawName}" ${counts.get(rawName)} times: rename or remove the duplicates`,
        ],
      });
      return;
    }
    try {
      recipes.push(parseRecipe(input, options, position));
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      rejected.push({ name, problems: [...error.problems] });
    }
  });
  return withUniqueParameters(recipes, rejected);
}

/** Recipes that would publish to the same parameter are all rejected: none may overwrite another. */
function withUniqueParameters(
  parsed: Recipe[],
  rejected: { name: string; problems: string[] }[],
): { recipes: Recipe[]; rejected: { name: string; problems: string[] }[] } {
  const owners = new Map<string, string[]>();
  for (const recipe of parsed) {
    for (const name of new Set([recipe.lifecycle.parameter, recipe.lifecycle.candidateParameter])) {
      owners.set(name, [...(owners.get(name) ?? []), recipe.name]);
    }
  }
  const recipes: Recipe[] = [];
  for (const recipe of parsed) {
    const { parameter, candidateParameter } = recipe.lifecycle;
    const problems: string[] = [];
    if (parameter === candidateParameter) {
      problems.push(
        `recipe "${recipe.name}": lifecycle.candidateParameter must differ from lifecycle.parameter, got "${parameter}" for both: untested images would be published`,
      );
    }
    for (const [field, name] of [
      ['parameter', parameter],
      ['candidateParameter', candidateParameter],
    ] as const) {
      const sharing = owners.get(name) ?? [];
      if (sharing.length > 1) {
        problems.push(
          `recipe "${recipe.name}": lifecycle.${field} must be unique, got "${name}" for recipes ${sharing.map((n) => `"${n}"`).join(', ')}: give each recipe its own parameters`,
        );
      }
    }
    if (problems.length === 0) recipes.push(recipe);
    else rejected.push({ name: recipe.name, problems });
  }
  return { recipes, rejected };
}

/** What no single field shows: an instance type of the other architecture than a described base. */
function crossFieldProblems(input: unknown): string[] {
  const recipe = (input ?? {}) as {
    instanceType?: unknown;
    base?: { describe?: { architecture?: unknown } };
  };
  const describe = recipe.base?.describe;
  if (!describe || typeof recipe.instanceType !== 'string') return [];
  const architecture =
    typeof describe.architecture === 'string' ? describe.architecture : RECIPE_DEFAULTS.architecture;
  return instanceTypeProblems(recipe.instanceType, architecture);
}

/**
 * The default instance type for a base: a Graviton one for a described arm64 base, or for a
 * parameter whose path names arm64 (as AWS's public ones do). The trigger checks the type
 * against the image a parameter names before any launch.
 */
function defaultInstanceType(base: BaseSelector): string {
  const arm64 =
    base.kind === 'describe'
      ? base.architecture === 'arm64'
      : /(?:^|[/_-])arm64(?:[/_-]|$)/.test(base.parameter);
  return arm64 ? RECIPE_DEFAULTS.arm64InstanceType : RECIPE_DEFAULTS.instanceType;
}

function recipeLabel(input: unknown, position: number): string {
  const name = (input as { name?: unknown } | null)?.name;
  return typeof name === 'string' && name !== '' ? `"${name}"` : `#${position + 1}`;
}

/** A recipe as written: every field the recipe check accepts, with its type. */
export interface RecipeInput {
  name: string;
  base: { describe?: DescribeInput; ssmParameter?: string; releaseTopic?: string };
  script: string;
  scriptSha256?: string;
  instanceType?: string;
  subnetId?: string;
  securityGroupIds?: string[];
  instanceProfile?: string;
  rootVolume?: { sizeGiB?: number; type?: RootVolumeType; kmsKeyId?: string };
  amiName?: string;
  description?: string;
  tags?: Record<string, string>;
  timeoutMinutes?: number;
  hygiene?: { keep?: HygieneStep[] };
  test?: {
    script?: string;
    scriptSha256?: string;
    timeoutMinutes?: number;
    instanceType?: string;
    keepFailedDays?: number;
  };
  consumers?: { launchTemplates?: string[]; autoScalingGroups?: string[]; minHealthyPercentage?: number };
  lifecycle?: {
    keep?: number;
    parameter?: string;
    candidateParameter?: string;
    deprecateAfterDays?: number;
  };
  distribution?: {
    copies?: { region: string; kmsKeyId?: string }[];
    share?: { accounts?: string[]; organizations?: string[]; organizationalUnits?: string[] };
  };
}
interface DescribeInput {
  owners?: string[];
  name: string;
  architecture?: Architecture;
  filters?: Record<string, string[]>;
  includeDeprecated?: boolean;
}

function normalize(input: RecipeInput, options: RecipeOptions): Recipe {
  const describe = input.base.describe;
  const base: BaseSelector = describe
    ? {
        kind: 'describe',
        owners: describe.owners ?? RECIPE_DEFAULTS.owners,
        name: describe.name,
        architecture: describe.architecture ?? RECIPE_DEFAULTS.architecture,
        filters: Object.entries(describe.filters ?? {})
          .map(([name, values]) => ({ name, values: [...values].sort() }))
          .sort((a, b) => a.name.localeCompare(b.name)),
        includeDeprecated: describe.includeDeprecated ?? false,
      }
    : { kind: 'ssm', parameter: input.base.ssmParameter ?? '' };
  const recipe: Recipe = {
    name: input.name,
    base,
    script: parseScriptRef(input.script) as ScriptRef,
    instanceType: input.instanceType ?? defaultInstanceType(base),
    securityGroupIds: input.securityGroupIds ?? [],
    rootVolume: { type: input.rootVolume?.type ?? RECIPE_DEFAULTS.rootVolumeType },
    amiName: input.amiName ?? RECIPE_DEFAULTS.amiName,
    tags: input.tags ?? {},
    timeoutMinutes: input.timeoutMinutes ?? RECIPE_DEFAULTS.timeoutMinutes,
    // Kept steps in the wrapper's order; none kept leaves the field out (and the hash as it was).
    ...(input.hygiene?.keep?.length
      ? { hygiene: { keep: HYGIENE_STEPS.filter((step) => input.hygiene?.keep?.includes(step)) } }
      : {}),
    test: testSettings(input.test),
    consumers: {
      launchTemplates: input.consumers?.launchTemplates ?? [],
      autoScalingGroups: input.consumers?.autoScalingGroups ?? [],
      minHealthyPercentage: input.consumers?.minHealthyPercentage ?? RECIPE_DEFAULTS.minHealthyPercentage,
    },
    lifecycle: {
      keep: input.lifecycle?.keep ?? RECIPE_DEFAULTS.keep,
      parameter: input.lifecycle?.parameter ?? RECIPE_DEFAULTS.parameter(options.deployment, input.name),
      candidateParameter:
        input.lifecycle?.candidateParameter ??
        RECIPE_DEFAULTS.candidateParameter(options.deployment, input.name),
      ...(input.lifecycle?.deprecateAfterDays !== undefined
        ? { deprecateAfterDays: input.lifecycle.deprecateAfterDays }
        : {}),
    },
    distribution: {
      copies: (input.distribution?.copies ?? []).map((c) => ({
        region: c.region,
        ...(c.kmsKeyId !== undefined ? { kmsKeyId: c.kmsKeyId } : {}),
      })),
      share: {
        accounts: input.distribution?.share?.accounts ?? [],
        organizations: input.distribution?.share?.organizations ?? [],
        organizationalUnits: input.distribution?.share?.organizationalUnits ?? [],
      },
    },
  };
  if (input.base.releaseTopic !== undefined) recipe.releaseTopic = input.base.releaseTopic;
  if (input.scriptSha256 !== undefined) recipe.scriptSha256 = input.scriptSha256;
  if (input.subnetId !== undefined) recipe.subnetId = input.subnetId;
  if (input.instanceProfile !== undefined) recipe.instanceProfile = input.instanceProfile;
  if (input.description !== undefined) recipe.description = input.description;
  if (input.rootVolume?.sizeGiB !== undefined) recipe.rootVolume.sizeGiB = input.rootVolume.sizeGiB;
  if (input.rootVolume?.kmsKeyId !== undefined) recipe.rootVolume.kmsKeyId = input.rootVolume.kmsKeyId;
  return recipe;
}

function testSettings(input: RecipeInput['test']): TestSettings {
  const test: TestSettings = {
    timeoutMinutes: input?.timeoutMinutes ?? RECIPE_DEFAULTS.testTimeoutMinutes,
    keepFailedDays: input?.keepFailedDays ?? RECIPE_DEFAULTS.keepFailedDays,
  };
  if (input?.script !== undefined) test.script = parseScriptRef(input.script) as ScriptRef;
  if (input?.scriptSha256 !== undefined) test.scriptSha256 = input.scriptSha256;
  if (input?.instanceType !== undefined) test.instanceType = input.instanceType;
  return test;
}

/** The document form of a recipe (what the stack stores), the inverse of parsing. */
export function recipeToDocument(recipe: Recipe): Record<string, unknown> {
  const { base, releaseTopic, script, test, ...rest } = recipe;
  const { script: testScript, ...testRest } = test;
  const document: Record<string, unknown> = {
    ...rest,
    script: scriptUri(script),
    test: { ...testRest, ...(testScript ? { script: scriptUri(testScript) } : {}) },
  };
  document.base = {
    ...(base.kind === 'ssm'
      ? { ssmParameter: base.parameter }
      : {
          describe: {
            owners: base.owners,
            name: base.name,
            architecture: base.architecture,
            filters: Object.fromEntries(base.filters.map((f) => [f.name, f.values])),
            includeDeprecated: base.includeDeprecated,
          },
        }),
    ...(releaseTopic !== undefined ? { releaseTopic } : {}),
  };
  return document;
}
