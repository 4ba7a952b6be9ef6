import { amiNameTemplateProblems, DEFAULT_AMI_NAME_TEMPLATE } from './ami-name';
import { AmiBakeError, InvalidInputError } from './errors';
import { type Check, checkObject, problemsFor } from './validation';

/** How a recipe finds its newest base image. */
export type BaseSelector =
  | {
      kind: 'describe';
      owners: string[];
      name: string;
      architecture: Architecture;
      filters: { name: string; values: string[] }[];
      includeDeprecated: boolean;
    }
  | { kind: 'ssm'; parameter: string };

export const ARCHITECTURES = ['x86_64', 'arm64', 'i386', 'x86_64_mac', 'arm64_mac'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];
export const ROOT_VOLUME_TYPES = ['gp3', 'gp2', 'io1', 'io2', 'standard'] as const;
export type RootVolumeType = (typeof ROOT_VOLUME_TYPES)[number];

/** Where the customisation script lives: a file of the project (synth time) or an S3 object. */
export type ScriptRef = { kind: 'file'; path: string } | { kind: 's3'; bucket: string; key: string };

export interface RootVolume {
  sizeGiB?: number;
  type: RootVolumeType;
  kmsKeyId?: string;
}

/** What happens to a recipe's images after a build: not part of its content hash. */
export interface Lifecycle {
  /** The newest images kept; older ones are deregistered with their snapshots. */
  keep: number;
  /** The SSM parameter that holds the newest image id (data type aws:ec2:image). */
  parameter: string;
  /** Deprecate each new image this many days after its creation. */
  deprecateAfterDays?: number;
}

/** Where a recipe's images go besides their home region, and who may launch them. */
export interface Distribution {
  /** Copies in other regions, encrypted (with the region's KMS key when given). */
  copies: { region: string; kmsKeyId?: string }[];
  /** Launch permissions on the image and its copies. */
  share: { accounts: string[]; organizations: string[]; organizationalUnits: string[] };
}

/** A validated recipe with every default applied. */
export interface Recipe {
  name: string;
  base: BaseSelector;
  script: ScriptRef;
  /** SHA-256 of the script, set when the stack uploads it; otherwise read from S3. */
  scriptSha256?: string;
  instanceType: string;
  subnetId?: string;
  securityGroupIds: string[];
  instanceProfile?: string;
  rootVolume: RootVolume;
  amiName: string;
  description?: string;
  tags: Record<string, string>;
  timeoutMinutes: number;
  lifecycle: Lifecycle;
  distribution: Distribution;
}

export const RECIPE_DEFAULTS = {
  owners: ['amazon'],
  architecture: 'x86_64' as Architecture,
  instanceType: 't3.small',
  rootVolumeType: 'gp3' as RootVolumeType,
  timeoutMinutes: 60,
  amiName: DEFAULT_AMI_NAME_TEMPLATE,
  keep: 3,
  parameter: (recipe: string) => `/amibake/${recipe}/latest`,
};
export const TIMEOUT_RANGE = { min: 5, max: 720 };

export function scriptUri(script: ScriptRef): string {
  return script.kind === 'file' ? script.path : `s3://${script.bucket}/${script.key}`;
}

/** The S3 object of a run-time recipe's script (the stack has uploaded project files). */
export function scriptObject(script: ScriptRef): { bucket: string; key: string } {
  if (script.kind === 's3') return script;
  throw new AmiBakeError(
    `script ${script.path} is a project file: the stack uploads it and stores its s3:// URL`,
    {
      code: 'InvalidInput',
    },
  );
}

export function parseScriptRef(value: string): ScriptRef | undefined {
  const s3 = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(value);
  if (s3?.[1] && s3[2]) return { kind: 's3', bucket: s3[1], key: s3[2] };
  if (/^user_data\/[A-Za-z0-9._/-]+$/.test(value) && !value.includes('..'))
    return { kind: 'file', path: value };
  return undefined;
}

export interface RecipeOptions {
  /** At run time scripts must already be in S3; the stack resolves files at synth time. */
  scripts: 'file-or-s3' | 's3';
}

/**
 * Validates one recipe as found in the configuration or the recipes document.
 * Throws InvalidInputError listing every problem, each naming the recipe, the field,
 * the value received and the fix.
 */
export function parseRecipe(input: unknown, options: RecipeOptions, position = 0): Recipe {
  const label = recipeLabel(input, position);
  const problems = problemsFor(`recipe ${label}`, input, recipeCheck(options));
  if (problems.length > 0) throw new InvalidInputError(problems);
  return normalize(input as RecipeInput);
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
  return { recipes, rejected };
}

function recipeLabel(input: unknown, position: number): string {
  const name = (input as { name?: unknown } | null)?.name;
  return typeof name === 'string' && name !== '' ? `"${name}"` : `#${position + 1}`;
}

interface RecipeInput {
  name: string;
  base: { describe?: DescribeInput; ssmParameter?: string };
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
  lifecycle?: { keep?: number; parameter?: string; deprecateAfterDays?: number };
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

function normalize(input: RecipeInput): Recipe {
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
    instanceType: input.instanceType ?? RECIPE_DEFAULTS.instanceType,
    securityGroupIds: input.securityGroupIds ?? [],
    rootVolume: { type: input.rootVolume?.type ?? RECIPE_DEFAULTS.rootVolumeType },
    amiName: input.amiName ?? RECIPE_DEFAULTS.amiName,
    tags: input.tags ?? {},
    timeoutMinutes: input.timeoutMinutes ?? RECIPE_DEFAULTS.timeoutMinutes,
    lifecycle: {
      keep: input.lifecycle?.keep ?? RECIPE_DEFAULTS.keep,
      parameter: input.lifecycle?.parameter ?? RECIPE_DEFAULTS.parameter(input.name),
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
  if (input.scriptSha256 !== undefined) recipe.scriptSha256 = input.scriptSha256;
  if (input.subnetId !== undefined) recipe.subnetId = input.subnetId;
  if (input.instanceProfile !== undefined) recipe.instanceProfile = input.instanceProfile;
  if (input.description !== undefined) recipe.description = input.description;
  if (input.rootVolume?.sizeGiB !== undefined) recipe.rootVolume.sizeGiB = input.rootVolume.sizeGiB;
  if (input.rootVolume?.kmsKeyId !== undefined) recipe.rootVolume.kmsKeyId = input.rootVolume.kmsKeyId;
  return recipe;
}

/** The document form of a recipe (what the stack stores), the inverse of parsing. */
export function recipeToDocument(recipe: Recipe): Record<string, unknown> {
  const { base, script, ...rest } = recipe;
  const document: Record<string, unknown> = { ...rest, script: scriptUri(script) };
  document.base =
    base.kind === 'ssm'
      ? { ssmParameter: base.parameter }
      : {
          describe: {
            owners: base.owners,
            name: base.name,
            architecture: base.architecture,
            filters: Object.fromEntries(base.filters.map((f) => [f.name, f.values])),
            includeDeprecated: base.includeDeprecated,
          },
        };
  return document;
}

const RECIPE_NAME = /^[a-z0-9](?:[a-z0-9-]{0,22}[a-z0-9])?$/;
const OWNER = /^(?:self|amazon|aws-marketplace|aws-backup-vault|\d{12})$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*[0-9][a-z0-9-]*\.[a-z0-9]+$/;
const KMS_KEY =
  /^(?:arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(?:key|alias)\/[A-Za-z0-9/_-]+|alias\/[A-Za-z0-9/_-]+|[0-9a-f-]{36})$/;
const SSM_PARAMETER = /^\/[A-Za-z0-9_.\-/]+$/;

function recipeCheck(options: RecipeOptions): Check {
  const scriptFix =
    options.scripts === 's3'
      ? 'an s3://bucket/key URL (the stack uploads files from user_data/)'
      : 'a file under user_data/ such as "user_data/hardening.sh", or an s3://bucket/key URL';
  return checkObject({
    name: {
      required: true,
      pattern: RECIPE_NAME,
      expect: '1-24 characters of a-z 0-9 and "-", such as "ecs-base"',
    },
    base: {
      required: true,
      check: checkObject(
        {
          describe: {
            check: checkObject({
              owners: {
                list: { pattern: OWNER, min: 1 },
                expect: 'a non-empty list of "amazon", "self", "aws-marketplace" or 12-digit account ids',
              },
              name: {
                required: true,
                pattern: /^\S+$/,
                expect: 'a non-empty glob such as "al2023-ami-ecs-hvm-*-x86_64"',
              },
              architecture: { oneOf: ARCHITECTURES },
              filters: {
                stringListMap: true,
                expect:
                  'a map of EC2 filter names to non-empty lists of values, such as {"virtualization-type": ["hvm"]}',
              },
              includeDeprecated: { boolean: true },
            }),
          },
          ssmParameter: {
            pattern: SSM_PARAMETER,
            expect:
              'a parameter name starting with "/", such as "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"',
          },
        },
        { exactlyOne: ['describe', 'ssmParameter'] },
      ),
    },
    script: {
      required: true,
      custom: (v) =>
        typeof v === 'string' &&
        parseScriptRef(v)?.kind !== undefined &&
        (options.scripts === 'file-or-s3' || parseScriptRef(v)?.kind === 's3')
          ? []
          : [`must be ${scriptFix}`],
    },
    scriptSha256: {
      pattern: /^[0-9a-f]{64}$/,
      expect:
        'the hex SHA-256 of the script (the stack computes it; remove the field to have it read from S3)',
    },
    instanceType: {
      pattern: INSTANCE_TYPE,
      expect: 'an EC2 instance type such as "t3.small" or "m7g.large"',
    },
    subnetId: {
      pattern: /^subnet-[0-9a-f]{8,17}$/,
      expect: 'a subnet id such as "subnet-0123456789abcdef0"',
    },
    securityGroupIds: {
      list: { pattern: /^sg-[0-9a-f]{8,17}$/, min: 0, max: 5 },
      expect: 'a list of at most 5 security group ids such as "sg-0123456789abcdef0"',
    },
    instanceProfile: {
      pattern: /^[\w+=,.@-]{1,128}$/,
      expect: 'an instance profile name (not an ARN) of 1-128 characters',
    },
    rootVolume: {
      check: checkObject({
        sizeGiB: {
          integer: { min: 1, max: 16384 },
          expect: 'a whole number of GiB from 1 to 16384, at least the base image size',
        },
        type: { oneOf: ROOT_VOLUME_TYPES },
        kmsKeyId: { pattern: KMS_KEY, expect: 'a KMS key id, key ARN, alias ARN or "alias/name"' },
      }),
    },
    amiName: {
      custom: (v) =>
        typeof v === 'string'
          ? amiNameTemplateProblems(v)
          : ['must be a string such as "{recipe}-{yyyyMMdd-HHmmss}"'],
    },
    description: { pattern: /^[^\n]{0,255}$/, expect: 'at most 255 characters on one line' },
    tags: { custom: tagProblems },
    timeoutMinutes: {
      integer: TIMEOUT_RANGE,
      expect: `a whole number of minutes from ${TIMEOUT_RANGE.min} to ${TIMEOUT_RANGE.max}`,
    },
    distribution: {
      check: checkObject({
        copies: {
          custom: copiesProblems,
        },
        share: {
          check: checkObject({
            accounts: {
              list: { pattern: /^\d{12}$/, min: 0, max: 100 },
              expect: 'a list of 12-digit account ids',
            },
            organizations: {
              list: {
                pattern: /^arn:aws[a-z-]*:organizations::\d{12}:organization\/o-[a-z0-9]{10,32}$/,
                min: 0,
                max: 10,
              },
              expect:
                'a list of organization ARNs such as "arn:aws:organizations::123456789012:organization/o-a1b2c3d4e5"',
            },
            organizationalUnits: {
              list: {
                pattern:
                  /^arn:aws[a-z-]*:organizations::\d{12}:ou\/o-[a-z0-9]{10,32}\/ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}$/,
                min: 0,
                max: 10,
              },
              expect: 'a list of organizational unit ARNs',
            },
          }),
        },
      }),
    },
    lifecycle: {
      check: checkObject({
        keep: { integer: { min: 1, max: 100 }, expect: 'a whole number of images to keep, from 1 to 100' },
        parameter: {
          pattern: /^\/[A-Za-z0-9_.\-/]{1,1010}$/,
          expect: 'an SSM parameter name starting with "/", such as "/amibake/ecs-base/latest"',
        },
        deprecateAfterDays: {
          integer: { min: 1, max: 3650 },
          expect: 'a whole number of days from 1 to 3650',
        },
      }),
    },
  });
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
    if (key.length < 1 || key.length > 128) problems.push(`must have keys of 1-128 characters, got "${key}"`);
    if (typeof tag !== 'string' || tag.length > 256)
      problems.push(
        `must have string values of at most 256 characters, got ${JSON.stringify(tag)} for "${key}"`,
      );
  }
  return problems;
}

const REGION = /^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d$/;

function copiesProblems(value: unknown): string[] {
  if (!Array.isArray(value)) return ['must be a list of {"region": ..., "kmsKeyId"?: ...}'];
  const problems: string[] = [];
  const seen = new Set<string>();
  value.forEach((copy: unknown, i) => {
    const c = (copy ?? {}) as Record<string, unknown>;
    const extra = Object.keys(c).filter((k) => k !== 'region' && k !== 'kmsKeyId');
    if (typeof c.region !== 'string' || !REGION.test(c.region)) {
      problems.push(
        `[${i}].region must be an AWS region such as "eu-west-1", got ${JSON.stringify(c.region)}`,
      );
    } else if (seen.has(c.region)) {
      problems.push(`[${i}].region must appear once, got "${c.region}" again`);
    } else seen.add(c.region);
    if (
      c.kmsKeyId !== undefined &&
      (typeof c.kmsKeyId !== 'string' ||
        !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/.test(c.kmsKeyId))
    ) {
      problems.push(`[${i}].kmsKeyId must be a key ARN in that region, got ${JSON.stringify(c.kmsKeyId)}`);
    }
    if (extra.length > 0)
      problems.push(`[${i}] has unknown fields ${extra.join(', ')}: use region and kmsKeyId`);
  });
  return problems;
}
