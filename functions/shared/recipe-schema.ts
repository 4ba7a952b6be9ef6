import * as v from 'valibot';
import { amiNameTemplateProblems } from './ami-name';
import {
  hasControlCharacter,
  instanceTypeProblem,
  parameterArchitecture,
  regionProblem,
  unsupportedBase,
} from './aws-facts';
import { regexStyleGlob } from './glob';
import {
  ARCHITECTURES,
  type BaseSelector,
  HYGIENE_STEPS,
  KEEP_FAILED_DAYS_RANGE,
  parseScriptRef,
  RECIPE_DEFAULTS,
  type Recipe,
  type RecipeOptions,
  ROOT_VOLUME_TYPES,
  type ScriptRef,
  TIMEOUT_RANGE,
} from './recipe-model';
import { checked, fields, flag, oneOf, show, text, textList, wholeNumber } from './validation';

/**
 * The recipe: every field with its check, its default and its description (the check's
 * expectation, which doubles as the fix). The one source of the recipe's input type, the
 * validated Recipe it becomes, and schema/recipes.schema.json.
 */

const RECIPE_NAME = /^[a-z0-9](?:[a-z0-9-]{0,22}[a-z0-9])?$/;
const OWNER = /^(?:self|amazon|aws-marketplace|aws-backup-vault|\d{12})$/;
const KMS_KEY =
  /^(?:arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(?:key|alias)\/[A-Za-z0-9/_-]+|alias\/[A-Za-z0-9/_-]+|[0-9a-f-]{36})$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
const SSM_PARAMETER = /^\/[A-Za-z0-9_.\-/]+$/;
/** SSM reserves names that begin with "aws" or "ssm", whatever their case. */
const OWN_SSM_PARAMETER = /^\/(?![Aa][Ww][Ss]|[Ss][Ss][Mm])[A-Za-z0-9_.\-/]{1,1010}$/;
/** A launch template id, or a name (EC2: 3-128 of letters, digits and `( ) . - / _`). */
const LAUNCH_TEMPLATE = /^(?:lt-[0-9a-f]{17}|[A-Za-z0-9()./_-]{3,128})$/;
export const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
/** What parseScriptRef accepts, for the JSON Schema. */
const SCRIPT_REF = /^(?:s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.+|user_data\/(?!.*\.\.)[A-Za-z0-9._/-]+)$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** Extra "must ..." phrases for a value that passed its type check, with the value received. */
function also<T>(problems: (value: T) => readonly string[]) {
  return v.rawCheck<T>(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    for (const problem of problems(dataset.value))
      addIssue({ message: `${problem}, got ${show(dataset.value)}` });
  });
}

/** A glob written as a regular expression, as a "must" phrase with the glob fixed. */
function regexGlobPhrase(glob: string): string[] {
  const regex = regexStyleGlob(glob);
  return regex
    ? [
        `must use EC2's wildcards only (* for any run of characters, ? for one; . [ ] ^ $ + | are not wildcards), such as "${regex.fixed}"`,
      ]
    : [];
}

/** A base the wrapper cannot customise, as a "must" phrase. */
function unsupportedPhrase(nameOrParameter: string): string[] {
  const why = unsupportedBase({ name: nameOrParameter });
  return why ? [`must select a base that runs user data as a shell script (${why})`] : [];
}

const timeout = () =>
  wholeNumber(TIMEOUT_RANGE, `a whole number of minutes from ${TIMEOUT_RANGE.min} to ${TIMEOUT_RANGE.max}`);
const instanceType = () =>
  checked<string>((value) => [instanceTypeProblem(value)], {
    named: true,
    expect: 'an EC2 instance type such as "t3.small" or "m7g.large"',
    json: { type: 'string', pattern: '^[a-z0-9-]+\\.[a-z0-9]+$' },
  });

function script(options: RecipeOptions, what: string) {
  const fix =
    options.scripts === 's3'
      ? 'an s3://bucket/key URL (the stack uploads files from user_data/)'
      : 'a file under user_data/ such as "user_data/hardening.sh", or an s3://bucket/key URL';
  return checked<string>(
    (value) => {
      const ref = typeof value === 'string' ? parseScriptRef(value) : undefined;
      return ref && (options.scripts === 'file-or-s3' || ref.kind === 's3') ? [] : [`must be ${fix}${what}`];
    },
    { expect: `${fix}${what}`, json: { type: 'string', pattern: SCRIPT_REF.source } },
  );
}

const FILTERS =
  'a map of EC2 filter names to non-empty lists of values, such as {"virtualization-type": ["hvm"]}';

const describeSchema = fields({
  owners: v.optional(
    textList(
      OWNER,
      { min: 1 },
      'a non-empty list of "amazon", "self", "aws-marketplace" or 12-digit account ids',
    ),
    () => [...RECIPE_DEFAULTS.owners],
  ),
  name: v.pipe(
    text(/^\S+$/, 'a non-empty glob such as "al2023-ami-ecs-hvm-*-x86_64"'),
    also(regexGlobPhrase),
    also(unsupportedPhrase),
  ),
  architecture: v.optional(oneOf(ARCHITECTURES), RECIPE_DEFAULTS.architecture),
  filters: v.optional(
    checked<Record<string, string[]>>((value) => (isStringListMap(value) ? [] : [`must be ${FILTERS}`]), {
      expect: FILTERS,
      json: {
        type: 'object',
        additionalProperties: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
      },
    }),
    {},
  ),
  includeDeprecated: v.optional(flag(), false),
});

const baseSchema = v.pipe(
  fields({
    describe: v.optional(describeSchema),
    releaseTopic: v.optional(
      text(
        SNS_TOPIC_ARN,
        'the ARN of the vendor\'s SNS release topic, such as "arn:aws:sns:us-east-1:137112412989:amazon-linux-2023-ami-updates"',
      ),
    ),
    ssmParameter: v.optional(
      v.pipe(
        text(
          SSM_PARAMETER,
          'a parameter name starting with "/", such as "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"',
        ),
        also(unsupportedPhrase),
      ),
    ),
  }),
  v.description(
    'where the base image comes from: {"describe": {"name": "<glob>"}} or {"ssmParameter": "/..."}',
  ),
  // Exactly one selector: checked with the other cross-field rules (recipe.ts), stated here for JSON Schema.
  v.metadata({ oneOf: [{ required: ['describe'] }, { required: ['ssmParameter'] }] }),
);

const rootVolumeSchema = fields({
  sizeGiB: v.optional(
    wholeNumber(
      { min: 1, max: 16384 },
      'a whole number of GiB from 1 to 16384, at least the base image size',
    ),
  ),
  type: v.optional(oneOf(ROOT_VOLUME_TYPES), RECIPE_DEFAULTS.rootVolumeType),
  kmsKeyId: v.optional(text(KMS_KEY, 'a KMS key id, key ARN, alias ARN or "alias/name"')),
});

const distributionSchema = fields({
  copies: v.optional(
    checked<{ region: string; kmsKeyId?: string }[]>(copiesProblems, {
      expect: 'a list of {"region": ..., "kmsKeyId"?: ...}',
      json: {
        type: 'array',
        items: {
          type: 'object',
          required: ['region'],
          additionalProperties: false,
          properties: {
            region: { type: 'string' },
            kmsKeyId: { type: 'string', pattern: KMS_KEY_ARN.source },
          },
        },
      },
    }),
    () => [],
  ),
  share: v.optional(
    fields({
      accounts: v.optional(
        textList(/^\d{12}$/, { min: 0, max: 100 }, 'a list of 12-digit account ids'),
        () => [],
      ),
      organizations: v.optional(
        textList(
          /^arn:aws[a-z-]*:organizations::\d{12}:organization\/o-[a-z0-9]{10,32}$/,
          { min: 0, max: 10 },
          'a list of organization ARNs such as "arn:aws:organizations::123456789012:organization/o-a1b2c3d4e5"',
        ),
        () => [],
      ),
      organizationalUnits: v.optional(
        textList(
          /^arn:aws[a-z-]*:organizations::\d{12}:ou\/o-[a-z0-9]{10,32}\/ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}$/,
          { min: 0, max: 10 },
          'a list of organizational unit ARNs',
        ),
        () => [],
      ),
    }),
    {},
  ),
});

function testSchema(options: RecipeOptions) {
  return fields({
    script: v.optional(script(options, ', the script that tests the new image')),
    scriptSha256: v.optional(
      text(SHA256, 'the hex SHA-256 of the test script (the stack computes it; remove the field)'),
    ),
    timeoutMinutes: v.optional(timeout(), RECIPE_DEFAULTS.testTimeoutMinutes),
    instanceType: v.optional(instanceType()),
    keepFailedDays: v.optional(
      wholeNumber(
        KEEP_FAILED_DAYS_RANGE,
        `a whole number of days from ${KEEP_FAILED_DAYS_RANGE.min} to ${KEEP_FAILED_DAYS_RANGE.max} to keep an image whose tests failed`,
      ),
      RECIPE_DEFAULTS.keepFailedDays,
    ),
  });
}

const consumersSchema = fields({
  launchTemplates: v.optional(
    textList(
      LAUNCH_TEMPLATE,
      { min: 0, max: 10 },
      'a list of at most 10 launch template ids ("lt-0123456789abcdef0") or names (3-128 of A-Z a-z 0-9 ( ) . - / _) in the home region',
    ),
    () => [],
  ),
  autoScalingGroups: v.optional(
    v.pipe(
      textList(
        /^[^\s:][^:]{0,254}$/,
        { min: 0, max: 10 },
        'a list of at most 10 Auto Scaling group names in the home region',
      ),
      also((groups: string[]) =>
        groups.some(hasControlCharacter) ? ['must hold group names without control characters'] : [],
      ),
    ),
    () => [],
  ),
  minHealthyPercentage: v.optional(
    wholeNumber(
      { min: 0, max: 100 },
      'a whole percentage from 0 to 100 of the group kept in service during the refresh',
    ),
    RECIPE_DEFAULTS.minHealthyPercentage,
  ),
});

const hygieneSchema = fields({
  keep: v.optional(
    checked<(typeof HYGIENE_STEPS)[number][]>(
      (value) =>
        Array.isArray(value) && value.every((step) => (HYGIENE_STEPS as readonly unknown[]).includes(step))
          ? []
          : [
              `must be a list of hygiene steps to skip, from ${HYGIENE_STEPS.map((s) => `"${s}"`).join(', ')}`,
            ],
      {
        expect: 'a list of hygiene steps to skip',
        json: { type: 'array', uniqueItems: true, items: { enum: [...HYGIENE_STEPS] } },
      },
    ),
  ),
});

const lifecycleSchema = fields({
  keep: v.optional(
    wholeNumber({ min: 1, max: 100 }, 'a whole number of images to keep, from 1 to 100'),
    RECIPE_DEFAULTS.keep,
  ),
  parameter: v.optional(
    text(
      OWN_SSM_PARAMETER,
      'an SSM parameter name starting with "/" and not with "/aws" or "/ssm" (reserved by SSM), such as "/amibake/ecs-base/latest"',
    ),
  ),
  candidateParameter: v.optional(
    text(
      OWN_SSM_PARAMETER,
      'an SSM parameter name starting with "/" and not with "/aws" or "/ssm" (reserved by SSM), such as "/amibake/ecs-base/candidate"',
    ),
  ),
  deprecateAfterDays: v.optional(wholeNumber({ min: 1, max: 3650 }, 'a whole number of days from 1 to 3650')),
});

/** The recipe's fields, in the order problems and the README list them. */
function recipeFields(options: RecipeOptions) {
  return fields({
    name: text(RECIPE_NAME, '1-24 characters of a-z 0-9 and "-", such as "ecs-base"'),
    base: baseSchema,
    script: script(options, ''),
    scriptSha256: v.optional(
      text(
        SHA256,
        'the hex SHA-256 of the script (the stack computes it; remove the field to have it read from S3)',
      ),
    ),
    instanceType: v.optional(instanceType()),
    subnetId: v.optional(text(/^subnet-[0-9a-f]{8,17}$/, 'a subnet id such as "subnet-0123456789abcdef0"')),
    securityGroupIds: v.optional(
      textList(
        /^sg-[0-9a-f]{8,17}$/,
        { min: 0, max: 5 },
        'a list of at most 5 security group ids such as "sg-0123456789abcdef0"',
      ),
      () => [],
    ),
    instanceProfile: v.optional(
      text(/^[\w+=,.@-]{1,128}$/, 'an instance profile name (not an ARN) of 1-128 characters'),
    ),
    rootVolume: v.optional(rootVolumeSchema, {}),
    amiName: v.optional(
      checked<string>(
        (value) =>
          typeof value === 'string'
            ? amiNameTemplateProblems(value)
            : ['must be a string such as "{recipe}-{yyyyMMdd-HHmmss}"'],
        { expect: 'an image name template such as "{recipe}-{yyyyMMdd-HHmmss}"', json: { type: 'string' } },
      ),
      RECIPE_DEFAULTS.amiName,
    ),
    description: v.optional(
      checked<string>(
        (value) =>
          typeof value === 'string' && value.length <= 255 && !hasControlCharacter(value)
            ? []
            : ['must be at most 255 characters without control characters (line breaks, tabs, escapes)'],
        {
          expect: 'at most 255 characters without control characters',
          json: { type: 'string', maxLength: 255 },
        },
      ),
    ),
    tags: v.optional(
      checked<Record<string, string>>(tagProblems, {
        expect: 'a map of tag keys to string values',
        json: {
          type: 'object',
          maxProperties: 40,
          propertyNames: {
            minLength: 1,
            maxLength: 128,
            not: { pattern: '^(?:[Aa][Ww][Ss]|[Aa][Mm][Ii][Bb][Aa][Kk][Ee]):|^Name$' },
          },
          additionalProperties: { type: 'string', maxLength: 256 },
        },
      }),
      () => ({}),
    ),
    timeoutMinutes: v.optional(timeout(), RECIPE_DEFAULTS.timeoutMinutes),
    distribution: v.optional(distributionSchema, {}),
    test: v.optional(testSchema(options), {}),
    consumers: v.optional(consumersSchema, {}),
    hygiene: v.optional(hygieneSchema),
    lifecycle: v.optional(lifecycleSchema, {}),
  });
}

/** A recipe as written: what the configuration and the recipes document hold. */
export type RecipeInput = v.InferInput<ReturnType<typeof recipeFields>>;
type Checked = v.InferOutput<ReturnType<typeof recipeFields>>;

/** The recipe schema: checks a recipe as written and turns it into a Recipe. */
export function recipeSchema(options: RecipeOptions) {
  return v.pipe(
    recipeFields(options),
    v.transform((input): Recipe => toRecipe(input, options)),
  );
}

function toRecipe(input: Checked, options: RecipeOptions): Recipe {
  const describe = input.base.describe;
  const base: BaseSelector = describe
    ? {
        kind: 'describe',
        owners: describe.owners,
        name: describe.name,
        architecture: describe.architecture,
        filters: Object.entries(describe.filters)
          .map(([name, values]) => ({ name, values: [...values].sort() }))
          .sort((a, b) => a.name.localeCompare(b.name)),
        includeDeprecated: describe.includeDeprecated,
      }
    : { kind: 'ssm', parameter: input.base.ssmParameter ?? '' };
  const { rootVolume, lifecycle, test, distribution } = input;
  const recipe: Recipe = {
    name: input.name,
    base,
    script: parseScriptRef(input.script) as ScriptRef,
    instanceType: input.instanceType ?? defaultInstanceType(base),
    securityGroupIds: input.securityGroupIds,
    rootVolume: {
      type: rootVolume.type,
      ...(rootVolume.sizeGiB !== undefined ? { sizeGiB: rootVolume.sizeGiB } : {}),
      ...(rootVolume.kmsKeyId !== undefined ? { kmsKeyId: rootVolume.kmsKeyId } : {}),
    },
    amiName: input.amiName,
    tags: input.tags,
    timeoutMinutes: input.timeoutMinutes,
    // Kept steps in the wrapper's order; none kept leaves the field out (and the hash as it was).
    ...(input.hygiene?.keep?.length
      ? { hygiene: { keep: HYGIENE_STEPS.filter((step) => input.hygiene?.keep?.includes(step)) } }
      : {}),
    test: {
      timeoutMinutes: test.timeoutMinutes,
      keepFailedDays: test.keepFailedDays,
      ...(test.script !== undefined ? { script: parseScriptRef(test.script) as ScriptRef } : {}),
      ...(test.scriptSha256 !== undefined ? { scriptSha256: test.scriptSha256 } : {}),
      ...(test.instanceType !== undefined ? { instanceType: test.instanceType } : {}),
    },
    consumers: input.consumers,
    lifecycle: {
      keep: lifecycle.keep,
      parameter: lifecycle.parameter ?? RECIPE_DEFAULTS.parameter(options.deployment, input.name),
      candidateParameter:
        lifecycle.candidateParameter ?? RECIPE_DEFAULTS.candidateParameter(options.deployment, input.name),
      ...(lifecycle.deprecateAfterDays !== undefined
        ? { deprecateAfterDays: lifecycle.deprecateAfterDays }
        : {}),
    },
    distribution: {
      copies: distribution.copies.map((c) => ({
        region: c.region,
        ...(c.kmsKeyId !== undefined ? { kmsKeyId: c.kmsKeyId } : {}),
      })),
      share: distribution.share,
    },
  };
  if (input.base.releaseTopic !== undefined) recipe.releaseTopic = input.base.releaseTopic;
  if (input.scriptSha256 !== undefined) recipe.scriptSha256 = input.scriptSha256;
  if (input.subnetId !== undefined) recipe.subnetId = input.subnetId;
  if (input.instanceProfile !== undefined) recipe.instanceProfile = input.instanceProfile;
  if (input.description !== undefined) recipe.description = input.description;
  return recipe;
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
      : parameterArchitecture(base.parameter) === 'arm64';
  return arm64 ? RECIPE_DEFAULTS.arm64InstanceType : RECIPE_DEFAULTS.instanceType;
}

function isStringListMap(value: unknown): boolean {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.entries(value).every(
      ([k, v]) =>
        k !== '' && Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string' && s !== ''),
    )
  );
}

function tagProblems(value: unknown): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return ['must be a map of tag keys to string values'];
  const entries = Object.entries(value);
  const problems: string[] = [];
  if (entries.length > 40)
    problems.push(`must hold at most 40 tags (amibake adds its own), has ${entries.length}`);
  for (const [key, tag] of entries) {
    if (/^(aws:|amibake:)/i.test(key))
      problems.push(`must not use the reserved key prefixes "aws:" and "amibake:", got key "${key}"`);
    if (key === 'Name')
      problems.push(
        'must not set "Name": amibake names the build instance and the image itself (set the image name with amiName)',
      );
    if (hasControlCharacter(key) || (typeof tag === 'string' && hasControlCharacter(tag)))
      problems.push(`must not hold control characters, got ${JSON.stringify(key)}: ${JSON.stringify(tag)}`);
    if (key.length < 1 || key.length > 128) problems.push(`must have keys of 1-128 characters, got "${key}"`);
    if (typeof tag !== 'string' || tag.length > 256)
      problems.push(
        `must have string values of at most 256 characters, got ${JSON.stringify(tag)} for "${key}"`,
      );
  }
  return problems;
}

function copiesProblems(value: unknown): string[] {
  if (!Array.isArray(value)) return ['must be a list of {"region": ..., "kmsKeyId"?: ...}'];
  const problems: string[] = [];
  const seen = new Set<string>();
  value.forEach((copy: unknown, i) => {
    const c = (copy ?? {}) as Record<string, unknown>;
    const extra = Object.keys(c).filter((k) => k !== 'region' && k !== 'kmsKeyId');
    const region = String(c.region);
    const regionWrong = regionProblem(c.region);
    if (regionWrong) {
      problems.push(`[${i}].region ${regionWrong}`);
    } else if (seen.has(region)) {
      problems.push(`[${i}].region must appear once, got "${region}" again`);
    } else seen.add(region);
    if (c.kmsKeyId !== undefined && (typeof c.kmsKeyId !== 'string' || !KMS_KEY_ARN.test(c.kmsKeyId))) {
      problems.push(`[${i}].kmsKeyId must be a key ARN in that region, got ${JSON.stringify(c.kmsKeyId)}`);
    }
    if (extra.length > 0)
      problems.push(`[${i}] has unknown fields ${extra.join(', ')}: use region and kmsKeyId`);
  });
  return problems;
}
