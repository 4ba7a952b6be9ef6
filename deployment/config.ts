import * as v from 'valibot';
import { regionProblem, scheduleProblems } from '../functions/shared/aws-facts';
import type { RecipeInput } from '../functions/shared/recipe';
import { SNS_TOPIC_ARN } from '../functions/shared/recipe-schema';
import {
  checked,
  fields,
  flag,
  oneOf,
  show,
  text,
  textList,
  wholeNumber,
} from '../functions/shared/validation';

/**
 * A recipe as written in the configuration (see the README for every field): a misspelt or
 * unknown field fails the type check.
 */
export type RecipeConfig = RecipeInput;

const backendSchema = v.variant(
  'kind',
  [
    fields({ kind: v.literal('local'), path: v.optional(text(/^.+$/, 'a state file path')) }),
    fields({
      kind: v.literal('s3'),
      bucket: text(/^.+$/, 'the name of the S3 bucket that holds the state'),
      key: text(/^.+$/, 'the state object key, such as "amibake/terraform.tfstate"'),
      region: text(/^[a-z0-9-]+$/, 'the bucket\'s region, such as "us-east-1"'),
      dynamodbTable: v.optional(text(/^.+$/, 'the lock table')),
      encrypt: v.optional(flag()),
    }),
  ],
  (issue) =>
    `must be {"kind": "local"} or {"kind": "s3", "bucket": ..., "key": ..., "region": ...}, got ${show(issue.input)}`,
);

/**
 * The deployment settings: the one source of AmiBakeConfig's type and of its checks. The
 * recipes are checked one by one by the recipe schema, so that one bad recipe names itself.
 */
export const settingsSchema = fields({
  /** Prefix of every resource name; build rules are named `<prefix>.<build id>`. 2-16 of a-z 0-9 -. */
  namePrefix: text(
    /^[a-z][a-z0-9-]{0,14}[a-z0-9]$/,
    '2-16 characters of a-z 0-9 "-", starting with a letter, such as "amibake"',
  ),
  region: checked<string>((value) => [regionProblem(value)], {
    named: true,
    expect: 'an AWS region name such as "us-east-1"',
    json: { type: 'string' },
  }),
  /** EventBridge schedule expression of the trigger: rate(...) or cron(...). */
  schedule: checked<string>(scheduleProblems, {
    named: true,
    expect: 'an EventBridge schedule such as "rate(1 day)" or "cron(0 6 * * ? *)"',
    json: { type: 'string' },
  }),
  recipeStore: oneOf(['s3', 'dynamodb']),
  /** At most this many builds in flight at once. */
  maxInFlight: wholeNumber(
    { min: 1, max: 100 },
    'a whole number from 1 to 100 (each build holds an EventBridge rule)',
  ),
  /** Where build instances run unless a recipe says otherwise ({} for the default VPC). */
  network: v.pipe(
    fields({
      subnetId: v.optional(text(/^subnet-[0-9a-f]{8,17}$/, 'a subnet id such as "subnet-0123456789abcdef0"')),
      securityGroupIds: v.optional(
        textList(/^sg-[0-9a-f]{8,17}$/, { min: 0, max: 5 }, 'a list of at most 5 security group ids'),
      ),
    }),
    v.description('{} for the default VPC, or {"subnetId": "subnet-...", "securityGroupIds": ["sg-..."]}'),
  ),
  /** Tags on every resource the stack creates (provider default tags). */
  tags: checked<Record<string, string>>(
    (value) =>
      value !== null &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      Object.values(value).every((t) => typeof t === 'string')
        ? []
        : ['must be a map of tag keys to string values'],
    {
      expect: 'a map of tag keys to string values',
      json: { type: 'object', additionalProperties: { type: 'string' } },
    },
  ),
  /** Days build logs are kept in the bucket, and function logs in CloudWatch. */
  logRetentionDays: wholeNumber({ min: 1, max: 3653 }, 'a whole number of days from 1 to 3653'),
  architecture: oneOf(['arm64', 'x86_64']),
  /**
   * The functions' application log level (default info): Lambda's log-level control, with the
   * JSON log format. Lambda drops the lines below it before they reach CloudWatch.
   */
  logLevel: v.optional(oneOf(['debug', 'info', 'warn', 'error'])),
  /** Where Terraform keeps its state. */
  backend: v.pipe(
    backendSchema,
    v.description('{"kind": "local"} or {"kind": "s3", "bucket": ..., "key": ..., "region": ...}'),
  ),
  /**
   * Keep the bucket and the builds table when the stack is destroyed (default true). Set false,
   * deploy, then destroy, to remove everything including build logs and records.
   */
  retainData: v.optional(flag()),
  /** Where finished builds are announced: the stack's topic `<prefix>-builds`, or an existing one. */
  notifications: v.optional(
    fields({
      topicArn: v.optional(
        text(SNS_TOPIC_ARN, 'an SNS topic ARN such as "arn:aws:sns:us-east-1:123456789012:platform-alerts"'),
      ),
    }),
  ),
  /**
   * Who may write the recipes and scripts in the stack's bucket (`recipes/`, `scripts/`): IAM
   * principal ARNs (`*` allowed), such as the CI role that deploys and the platform team's role.
   * Whoever writes a script gets root on every build instance. The bucket policy denies everyone
   * else, the deploying principal excepted; unset, IAM alone decides.
   */
  authors: v.optional(
    textList(
      /^arn:aws[a-z-]*:iam::\d{12}:(?:root|(?:user|role)\/[\w+=,.@/*-]+)$/,
      { min: 1, max: 20 },
      'a list of 1 to 20 IAM principal ARNs such as "arn:aws:iam::123456789012:role/platform-ci" (roles, not their sessions)',
    ),
  ),
  /** Managed policies for the build instance's role, for scripts that call AWS (default none). */
  buildInstance: v.optional(
    fields({
      managedPolicyArns: v.optional(
        textList(
          /^arn:aws[a-z-]*:iam::(?:aws|\d{12}):policy\/[\w+=,.@/-]+$/,
          { min: 0, max: 10 },
          'a list of at most 10 managed policy ARNs such as "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"',
        ),
      ),
    }),
  ),
  recipes: checked<RecipeConfig[]>(
    (value) => (Array.isArray(value) && value.length > 0 ? [] : ['must be a non-empty list of recipes']),
    { expect: 'a non-empty list of recipes', json: { type: 'array', minItems: 1 } },
  ),
});

/** The one typed configuration the stack and the local run are built from. */
export type AmiBakeConfig = v.InferInput<typeof settingsSchema>;
export type BackendConfig = AmiBakeConfig['backend'];
