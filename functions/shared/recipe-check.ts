import { amiNameTemplateProblems } from './ami-name';
import { hasControlCharacter, instanceTypeProblem, regionProblem, unsupportedBase } from './aws-facts';
import {
  ARCHITECTURES,
  HYGIENE_STEPS,
  KEEP_FAILED_DAYS_RANGE,
  parseScriptRef,
  type RecipeOptions,
  ROOT_VOLUME_TYPES,
  TIMEOUT_RANGE,
} from './recipe-model';
import { type Check, checkObject, checkWith } from './validation';

/** What a recipe must look like: every field with its expectation, which doubles as the fix. */
const RECIPE_NAME = /^[a-z0-9](?:[a-z0-9-]{0,22}[a-z0-9])?$/;
const OWNER = /^(?:self|amazon|aws-marketplace|aws-backup-vault|\d{12})$/;
const KMS_KEY =
  /^(?:arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(?:key|alias)\/[A-Za-z0-9/_-]+|alias\/[A-Za-z0-9/_-]+|[0-9a-f-]{36})$/;
const SSM_PARAMETER = /^\/[A-Za-z0-9_.\-/]+$/;
/** A launch template id, or a name (EC2: 3-128 of letters, digits and `( ) . - / _`). */
const LAUNCH_TEMPLATE = /^(?:lt-[0-9a-f]{17}|[A-Za-z0-9()./_-]{3,128})$/;
export const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

/** A base the wrapper cannot customise, as a "must" phrase. */
function unsupportedPhrase(nameOrParameter: string): string[] {
  const why = unsupportedBase({ name: nameOrParameter });
  return why ? [`must select a base that runs user data as a shell script (${why})`] : [];
}

export function recipeCheck(options: RecipeOptions): Check {
  const scriptFix =
    options.scripts === 's3'
      ? 'an s3://bucket/key URL (the stack uploads files from user_data/)'
      : 'a file under user_data/ such as "user_data/hardening.sh", or an s3://bucket/key URL';
  /** A script reference the options allow (a project file only before the stack uploads it). */
  const scriptProblems = (what: string) => (v: unknown) => {
    const ref = typeof v === 'string' ? parseScriptRef(v) : undefined;
    return ref && (options.scripts === 'file-or-s3' || ref.kind === 's3')
      ? []
      : [`must be ${scriptFix}${what}`];
  };
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
                custom: (v) => unsupportedPhrase(String(v)),
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
          releaseTopic: {
            pattern: SNS_TOPIC_ARN,
            expect:
              'the ARN of the vendor\'s SNS release topic, such as "arn:aws:sns:us-east-1:137112412989:amazon-linux-2023-ami-updates"',
          },
          ssmParameter: {
            pattern: SSM_PARAMETER,
            expect:
              'a parameter name starting with "/", such as "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"',
            custom: (v) => unsupportedPhrase(String(v)),
          },
        },
        { exactlyOne: ['describe', 'ssmParameter'] },
      ),
    },
    script: { required: true, custom: scriptProblems('') },
    scriptSha256: {
      pattern: /^[0-9a-f]{64}$/,
      expect:
        'the hex SHA-256 of the script (the stack computes it; remove the field to have it read from S3)',
    },
    instanceType: { check: checkWith((v) => [instanceTypeProblem(v)]) },
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
    description: {
      custom: (v) =>
        typeof v === 'string' && v.length <= 255 && !hasControlCharacter(v)
          ? []
          : ['must be at most 255 characters without control characters (line breaks, tabs, escapes)'],
    },
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
    test: {
      check: checkObject({
        script: { custom: scriptProblems(', the script that tests the new image') },
        scriptSha256: {
          pattern: /^[0-9a-f]{64}$/,
          expect: 'the hex SHA-256 of the test script (the stack computes it; remove the field)',
        },
        timeoutMinutes: {
          integer: TIMEOUT_RANGE,
          expect: `a whole number of minutes from ${TIMEOUT_RANGE.min} to ${TIMEOUT_RANGE.max}`,
        },
        instanceType: { check: checkWith((v) => [instanceTypeProblem(v)]) },
        keepFailedDays: {
          integer: KEEP_FAILED_DAYS_RANGE,
          expect: `a whole number of days from ${KEEP_FAILED_DAYS_RANGE.min} to ${KEEP_FAILED_DAYS_RANGE.max} to keep an image whose tests failed`,
        },
      }),
    },
    consumers: {
      check: checkObject({
        launchTemplates: {
          list: { pattern: LAUNCH_TEMPLATE, min: 0, max: 10 },
          expect:
            'a list of at most 10 launch template ids ("lt-0123456789abcdef0") or names (3-128 of A-Z a-z 0-9 ( ) . - / _) in the home region',
        },
        autoScalingGroups: {
          list: { pattern: /^[^\s:][^:]{0,254}$/, min: 0, max: 10 },
          custom: (v) =>
            Array.isArray(v) && v.some((g) => typeof g === 'string' && hasControlCharacter(g))
              ? ['must hold group names without control characters']
              : [],
          expect: 'a list of at most 10 Auto Scaling group names in the home region',
        },
        minHealthyPercentage: {
          integer: { min: 0, max: 100 },
          expect: 'a whole percentage from 0 to 100 of the group kept in service during the refresh',
        },
      }),
    },
    hygiene: {
      check: checkObject({
        keep: {
          custom: (v) =>
            Array.isArray(v) && v.every((step) => (HYGIENE_STEPS as readonly unknown[]).includes(step))
              ? []
              : [
                  `must be a list of hygiene steps to skip, from ${HYGIENE_STEPS.map((s) => `"${s}"`).join(', ')}`,
                ],
        },
      }),
    },
    lifecycle: {
      check: checkObject({
        keep: { integer: { min: 1, max: 100 }, expect: 'a whole number of images to keep, from 1 to 100' },
        parameter: {
          // SSM reserves names that begin with "aws" or "ssm", whatever their case.
          pattern: /^\/(?![Aa][Ww][Ss]|[Ss][Ss][Mm])[A-Za-z0-9_.\-/]{1,1010}$/,
          expect:
            'an SSM parameter name starting with "/" and not with "/aws" or "/ssm" (reserved by SSM), such as "/amibake/ecs-base/latest"',
        },
        candidateParameter: {
          pattern: /^\/(?![Aa][Ww][Ss]|[Ss][Ss][Mm])[A-Za-z0-9_.\-/]{1,1010}$/,
          expect:
            'an SSM parameter name starting with "/" and not with "/aws" or "/ssm" (reserved by SSM), such as "/amibake/ecs-base/candidate"',
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
