import type { Deployment } from '../deployment/model';
import { artifactsBucketName } from '../deployment/names';
import { packPolicies, type Statement } from './statement';

/**
 * What the principal that runs `cdktf deploy` (and `destroy`) for one deployment needs: the
 * calls Terraform's AWS provider makes to create, read, update and delete the stack's
 * resources, on those resources only (exact names: another deployment's resources, even one
 * whose prefix starts with this one, are out of reach). `npm run test:deployer` applies,
 * updates and destroys stacks in the emulator and fails when Terraform called an action this
 * policy lacks, or when the policy grants one Terraform never called.
 */
export function deployerPolicy(
  deployment: Pick<Deployment, 'config' | 'names' | 'recipes'>,
  scope: { partition: string; account: string },
): Statement[] {
  const { config, names, recipes } = deployment;
  const { partition, account } = scope;
  const region = config.region;
  const copyRegions = [...new Set(recipes.flatMap((r) => r.distribution.copies.map((c) => c.region)))].sort();
  const releaseTopics = [...new Set(recipes.flatMap((r) => (r.releaseTopic ? [r.releaseTopic] : [])))].sort();
  const arn = (service: string, resource: string, where = region, owner = account) =>
    `arn:${partition}:${service}:${where}:${owner}:${resource}`;
  const role = (name: string) => `arn:${partition}:iam::${account}:role/${name}`;
  const functionRoles = Object.values(names.functionRoles).map(role);
  const roles = [
    ...functionRoles,
    role(names.buildRole),
    ...(copyRegions.length > 0 ? [role(names.imageStateForwardingRole)] : []),
  ];
  const functions = Object.values(names.functions).map((f) => arn('lambda', `function:${f}`));
  const logGroups = Object.values(names.functions).map((f) => arn('logs', `log-group:/aws/lambda/${f}`));
  const bucket = `arn:${partition}:s3:::${artifactsBucketName(names.prefix, account, region)}`;
  const tables = [names.buildsTable, ...(config.recipeStore === 'dynamodb' ? [names.recipesTable] : [])].map(
    (t) => arn('dynamodb', `table/${t}`),
  );
  const rules = [
    ...[names.scheduleRule, names.sweepRule, names.imageStateRule].map((r) => arn('events', `rule/${r}`)),
    ...copyRegions.map((r) => arn('events', `rule/${names.imageStateRule}`, r)),
  ];
  const topic = config.notifications?.topicArn ? [] : [arn('sns', `${names.prefix}-builds`)];
  const managedPolicies = (config.buildInstance?.managedPolicyArns?.length ?? 0) > 0;
  return [
    {
      sid: 'ManageRoles',
      reason:
        "the functions' roles, the build instance's role and the image-state forwarding role, with their inline policies",
      actions: [
        'iam:CreateRole',
        'iam:DeleteRole',
        'iam:GetRole',
        'iam:TagRole',
        'iam:ListRolePolicies',
        'iam:ListAttachedRolePolicies',
        'iam:ListInstanceProfilesForRole',
        'iam:PutRolePolicy',
        'iam:GetRolePolicy',
        'iam:DeleteRolePolicy',
        ...(managedPolicies ? ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'] : []),
      ],
      resources: roles,
    },
    {
      sid: 'ManageBuildInstanceProfile',
      reason: 'the instance profile build instances run with',
      actions: [
        'iam:CreateInstanceProfile',
        'iam:DeleteInstanceProfile',
        'iam:GetInstanceProfile',
        'iam:TagInstanceProfile',
        'iam:AddRoleToInstanceProfile',
        'iam:RemoveRoleFromInstanceProfile',
      ],
      resources: [`arn:${partition}:iam::${account}:instance-profile/${names.buildInstanceProfile}`],
    },
    {
      sid: 'PassFunctionRoles',
      reason: 'each function is created with its role: Lambda checks that the deployer may pass it',
      actions: ['iam:PassRole'],
      resources: functionRoles,
      conditions: { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
    },
    ...(copyRegions.length > 0
      ? [
          {
            sid: 'PassForwardingRole',
            reason: "each copy region's rule forwards image states to the home region's bus with this role",
            actions: ['iam:PassRole'],
            resources: [role(names.imageStateForwardingRole)],
            conditions: { StringEquals: { 'iam:PassedToService': 'events.amazonaws.com' } },
          },
        ]
      : []),
    {
      sid: 'ManageFunctions',
      reason:
        'the three functions, the sweep alias, their invoke permissions and the failed-launch destination',
      actions: [
        'lambda:CreateFunction',
        'lambda:DeleteFunction',
        'lambda:GetFunction',
        'lambda:TagResource',
        'lambda:ListVersionsByFunction',
        'lambda:GetFunctionCodeSigningConfig',
        'lambda:UpdateFunctionCode',
        'lambda:UpdateFunctionConfiguration',
        'lambda:CreateAlias',
        'lambda:GetAlias',
        'lambda:DeleteAlias',
        'lambda:AddPermission',
        'lambda:RemovePermission',
        'lambda:GetPolicy',
        'lambda:PutFunctionEventInvokeConfig',
        'lambda:GetFunctionEventInvokeConfig',
        'lambda:DeleteFunctionEventInvokeConfig',
      ],
      resources: [...functions, ...functions.map((f) => `${f}:*`)],
    },
    {
      sid: 'ManageLogGroups',
      reason: "the functions' log groups and their retention",
      actions: [
        'logs:CreateLogGroup',
        'logs:DeleteLogGroup',
        'logs:PutRetentionPolicy',
        'logs:TagResource',
        'logs:ListTagsForResource',
      ],
      resources: [...logGroups, ...logGroups.map((g) => `${g}:*`)],
    },
    {
      sid: 'ListLogGroups',
      reason: 'DescribeLogGroups is authorized on the log groups of the account and region, not on one group',
      actions: ['logs:DescribeLogGroups'],
      resources: [arn('logs', 'log-group:*')],
    },
    {
      sid: 'ManageRules',
      reason:
        'the schedule, the sweep, the image-state rule and its forwarding rules in the copy regions, with their targets',
      actions: [
        'events:PutRule',
        'events:DeleteRule',
        'events:DescribeRule',
        'events:TagResource',
        'events:ListTagsForResource',
        'events:PutTargets',
        'events:RemoveTargets',
        'events:ListTargetsByRule',
      ],
      resources: rules,
    },
    {
      sid: 'ManageTables',
      reason: `the builds table${config.recipeStore === 'dynamodb' ? ' and the recipes table with one item per recipe' : ''}`,
      actions: [
        'dynamodb:CreateTable',
        'dynamodb:DeleteTable',
        'dynamodb:DescribeTable',
        'dynamodb:TagResource',
        'dynamodb:ListTagsOfResource',
        'dynamodb:DescribeContinuousBackups',
        'dynamodb:UpdateContinuousBackups',
        'dynamodb:DescribeTimeToLive',
        // retainData: deletion protection on, and off before a destroy.
        'dynamodb:UpdateTable',
        ...(config.recipeStore === 'dynamodb'
          ? ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem']
          : []),
      ],
      resources: tables,
    },
    {
      sid: 'ManageBucket',
      reason:
        'the artifacts bucket and its settings; the bucket is emptied when it is destroyed with retainData false',
      actions: [
        's3:CreateBucket',
        's3:DeleteBucket',
        's3:ListBucket',
        's3:ListBucketVersions',
        's3:GetBucketTagging',
        's3:PutBucketTagging',
        's3:GetBucketPolicy',
        's3:PutBucketPolicy',
        's3:DeleteBucketPolicy',
        's3:GetBucketVersioning',
        's3:PutBucketVersioning',
        's3:GetLifecycleConfiguration',
        's3:PutLifecycleConfiguration',
        's3:GetEncryptionConfiguration',
        's3:PutEncryptionConfiguration',
        's3:GetBucketPublicAccessBlock',
        's3:PutBucketPublicAccessBlock',
        's3:GetBucketOwnershipControls',
        's3:PutBucketOwnershipControls',
        's3:GetBucketAcl',
        's3:GetBucketCORS',
        's3:GetBucketWebsite',
        's3:GetAccelerateConfiguration',
        's3:GetBucketRequestPayment',
        's3:GetBucketLogging',
        's3:GetReplicationConfiguration',
        's3:GetBucketObjectLockConfiguration',
      ],
      resources: [bucket],
    },
    {
      sid: 'ManageBucketObjects',
      reason:
        'uploads the recipes document and the scripts; the provider deletes an object, and the bucket when it is destroyed, version by version',
      actions: ['s3:PutObject', 's3:GetObject', 's3:DeleteObjectVersion'],
      resources: [`${bucket}/*`],
    },
    ...(topic.length > 0
      ? [
          {
            sid: 'ManageTopic',
            reason: 'the topic finished builds are announced on',
            actions: [
              'sns:CreateTopic',
              'sns:DeleteTopic',
              'sns:GetTopicAttributes',
              'sns:SetTopicAttributes',
              'sns:TagResource',
              'sns:ListTagsForResource',
            ],
            resources: topic,
          },
        ]
      : []),
    ...(releaseTopics.length > 0
      ? [
          {
            sid: 'SubscribeToReleaseTopics',
            reason: "the trigger's subscriptions to the vendors' release topics that recipes name",
            actions: [
              'sns:Subscribe',
              'sns:Unsubscribe',
              'sns:GetSubscriptionAttributes',
              'sns:ListSubscriptionsByTopic',
            ],
            // The topics, and the subscriptions on them (`<topic arn>:<id>`).
            resources: [...releaseTopics, ...releaseTopics.map((t) => `${t}:*`)],
          },
        ]
      : []),
    {
      sid: 'ManageFailedLaunchQueue',
      reason: 'the queue that keeps launch requests ami_ec2_instance_create failed to handle',
      actions: [
        'sqs:CreateQueue',
        'sqs:DeleteQueue',
        'sqs:GetQueueAttributes',
        'sqs:TagQueue',
        'sqs:ListQueueTags',
      ],
      resources: [arn('sqs', `${names.prefix}-failed-launches`)],
    },
    {
      sid: 'ReadManagedKeys',
      reason:
        'the provider reads the AWS managed keys the topic and the tables are encrypted with (alias/aws/sns, alias/aws/dynamodb)',
      actions: ['kms:DescribeKey'],
      resources: [arn('kms', 'key/*')],
    },
    ...stateBackend(config.backend, partition, account, 'deploy'),
    {
      sid: 'ReadCaller',
      reason:
        "the provider's account lookup and the stack's deployer session (aws_iam_session_context) read the caller",
      actions: ['iam:GetUser'],
      resources: [`arn:${partition}:iam::${account}:user/\${aws:username}`],
    },
  ];
}

/**
 * What a principal that only reviews needs to run `cdktf diff` (`terraform plan`) for the same
 * deployment: the reads of the deployer's statements, on the same resources, which the plan's
 * refresh makes, and the state read. Nothing here creates, changes, tags or deletes a resource
 * of the stack; with an S3 backend and a lock table, the plan still takes Terraform's state lock in
 * it, which `terraform plan -lock=false` does without.
 * `npm run test:deployer` plans each stack with this policy's principal and fails when the plan
 * called an action it lacks or it grants one the plan never called.
 */
export function deployerReadOnlyPolicy(
  deployment: Pick<Deployment, 'config' | 'names' | 'recipes'>,
  scope: { partition: string; account: string },
): Statement[] {
  const stack = deployerPolicy(
    { ...deployment, config: { ...deployment.config, backend: { kind: 'local' } } },
    scope,
  ).flatMap((s): Statement[] => {
    const actions = s.actions.filter((a) => READ_ACTION.test(a) && !NOT_READ_BY_A_PLAN.has(a));
    if (actions.length === 0) return [];
    return [
      {
        ...s,
        sid: s.sid.startsWith('Read') ? s.sid : `Read${s.sid.replace(/^(?:Manage|SubscribeTo)/, '')}`,
        actions,
      },
    ];
  });
  return [...stack, ...stateBackend(deployment.config.backend, scope.partition, scope.account, 'plan')];
}

/** The deployer's statements packed into managed policies within IAM's size limit. */
export function deployerPolicies(
  statements: readonly Statement[],
  prefix: string,
  kind: 'deployer' | 'reviewer',
): { name: string; statements: Statement[] }[] {
  return packPolicies(statements).map((document, i, all) => ({
    name: all.length === 1 ? `${prefix}-${kind}` : `${prefix}-${kind}-${i + 1}`,
    statements: document,
  }));
}

/** An action that reads: IAM's own naming of read and list access. */
const READ_ACTION = /^[a-z0-9-]+:(?:Get|Describe|List)/;

/**
 * Reads the deployer makes that a plan never does, both before a delete: a destroy lists the
 * bucket's object versions to empty it, and a role's instance profiles to detach it.
 */
const NOT_READ_BY_A_PLAN = new Set(['s3:ListBucketVersions', 'iam:ListInstanceProfilesForRole']);

/**
 * The S3 backend's state object and lock table, as Terraform's S3 backend documents its
 * permissions: a deployment reads and writes the state (and its lock file when the backend locks
 * with one); a plan reads it. Both take the lock in the lock table when there is one (a plan not
 * with `-lock=false`). The emulator deploys with a local state, so the deployer's statements are
 * not exercised there.
 */
function stateBackend(
  backend: Deployment['config']['backend'],
  partition: string,
  account: string,
  use: 'deploy' | 'plan',
): Statement[] {
  if (backend.kind !== 's3') return [];
  const bucket = `arn:${partition}:s3:::${backend.bucket}`;
  const state =
    use === 'deploy'
      ? {
          sid: 'WriteState',
          reason: 'the state object (and its lock file when the backend locks with one)',
          actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
          resources: [`${bucket}/${backend.key}`, `${bucket}/${backend.key}.tflock`],
        }
      : {
          sid: 'ReadState',
          reason: 'the plan reads the state object',
          actions: ['s3:GetObject'],
          resources: [`${bucket}/${backend.key}`],
        };
  return [
    {
      sid: 'ReadStateBucket',
      reason: "Terraform's S3 backend lists the state bucket",
      actions: ['s3:ListBucket'],
      resources: [bucket],
    },
    state,
    ...(backend.dynamodbTable
      ? [
          {
            sid: 'LockState',
            reason: 'the lock table Terraform takes a lock in for every plan and apply',
            actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
            resources: [
              `arn:${partition}:dynamodb:${backend.region}:${account}:table/${backend.dynamodbTable}`,
            ],
          },
        ]
      : []),
  ];
}
