import type { AwsRequest } from '../aws-request';

/**
 * The IAM actions AWS authorizes an API call as (the Service Authorization Reference): mostly
 * `<service>:<operation>`, with the exceptions below, plus the permissions AWS also checks for
 * what the call carries (a role it passes, tags it sets on create). Used to record what
 * Terraform needs of the deployer, call by call.
 */

/** S3 operations whose IAM action has another name. */
const S3_ACTIONS: Readonly<Record<string, string>> = {
  HeadBucket: 's3:ListBucket',
  ListObjects: 's3:ListBucket',
  ListObjectsV2: 's3:ListBucket',
  ListObjectVersions: 's3:ListBucketVersions',
  HeadObject: 's3:GetObject',
  DeleteObjects: 's3:DeleteObject',
  GetBucketLifecycle: 's3:GetLifecycleConfiguration',
  PutBucketLifecycle: 's3:PutLifecycleConfiguration',
  DeleteBucketLifecycle: 's3:PutLifecycleConfiguration',
  GetBucketEncryption: 's3:GetEncryptionConfiguration',
  PutBucketEncryption: 's3:PutEncryptionConfiguration',
  DeleteBucketEncryption: 's3:PutEncryptionConfiguration',
  GetPublicAccessBlock: 's3:GetBucketPublicAccessBlock',
  PutPublicAccessBlock: 's3:PutBucketPublicAccessBlock',
  DeletePublicAccessBlock: 's3:PutBucketPublicAccessBlock',
  DeleteBucketOwnershipControls: 's3:PutBucketOwnershipControls',
  DeleteBucketTagging: 's3:PutBucketTagging',
  GetBucketCors: 's3:GetBucketCORS',
  PutBucketCors: 's3:PutBucketCORS',
  DeleteBucketCors: 's3:PutBucketCORS',
  GetBucketAccelerateConfiguration: 's3:GetAccelerateConfiguration',
  GetBucketReplication: 's3:GetReplicationConfiguration',
  GetObjectLockConfiguration: 's3:GetBucketObjectLockConfiguration',
  GetBucketNotificationConfiguration: 's3:GetBucketNotification',
};

/** IAM prefixes that differ from the signing name. */
const PREFIXES: Readonly<Record<string, string>> = { monitoring: 'cloudwatch' };

/** Create calls that also need the service's tagging permission when they carry tags. */
const TAG_ON_CREATE: Readonly<Record<string, string>> = {
  'iam:CreateRole': 'iam:TagRole',
  'iam:CreateInstanceProfile': 'iam:TagInstanceProfile',
  'lambda:CreateFunction': 'lambda:TagResource',
  'logs:CreateLogGroup': 'logs:TagResource',
  'sns:CreateTopic': 'sns:TagResource',
  'sqs:CreateQueue': 'sqs:TagQueue',
  'dynamodb:CreateTable': 'dynamodb:TagResource',
  'events:PutRule': 'events:TagResource',
};

export function iamActionsOf(request: AwsRequest): string[] {
  const { service, operation } = request;
  const action =
    service === 's3'
      ? (S3_ACTIONS[operation] ??
        (operation === 'DeleteObject' && request.url.searchParams.has('versionId')
          ? 's3:DeleteObjectVersion'
          : `s3:${operation}`))
      : service === 'lambda' && operation === 'Invoke'
        ? 'lambda:InvokeFunction'
        : `${PREFIXES[service] ?? service}:${operation}`;
  const actions = [action];
  const tagging = TAG_ON_CREATE[action];
  if (tagging && carriesTags(request)) actions.push(tagging);
  // A role handed to a service is authorized as iam:PassRole on that role.
  if (passesRole(request)) actions.push('iam:PassRole');
  // A multi-object delete of versions deletes object versions.
  if (operation === 'DeleteObjects' && request.body.toString('utf-8').includes('<VersionId>'))
    actions.push('s3:DeleteObjectVersion');
  return actions;
}

function carriesTags(request: AwsRequest): boolean {
  if (request.form) return [...request.form.keys()].some((k) => /^Tags?\b|^tags\./i.test(k));
  const json = request.json ?? {};
  return Object.keys(json).some((k) => /^tags$/i.test(k) && nonEmpty(json[k]));
}

function passesRole(request: AwsRequest): boolean {
  const json = request.json ?? {};
  if (request.operation === 'CreateFunction' || request.operation === 'UpdateFunctionConfiguration')
    return typeof json.Role === 'string';
  if (request.operation === 'PutTargets')
    return (
      Array.isArray(json.Targets) &&
      json.Targets.some((t) => typeof (t as { RoleArn?: unknown })?.RoleArn === 'string')
    );
  return false;
}

function nonEmpty(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return value !== null && typeof value === 'object' && Object.keys(value).length > 0;
}
