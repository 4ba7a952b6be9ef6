import { BUILD_ID_TAG, DEPLOYMENT_TAG, TESTS_TAG } from '../functions/shared/tags';
import type { Conditions, Statement } from './statement';

/** The Lambda runtime writes the function's logs to its own log group. */
const LOG_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'];

export function writeOwnLogs(logGroupArn: string): Statement {
  return {
    sid: 'WriteOwnLogs',
    reason: "the Lambda runtime writes this function's logs to its log group, created by the stack",
    actions: LOG_ACTIONS,
    resources: [`${logGroupArn}:*`],
  };
}

/** What is being created carries a build id and this deployment's tag. */
export function requestTagged(deployment: string): Conditions {
  return {
    Null: { [`aws:RequestTag/${BUILD_ID_TAG}`]: 'false' },
    StringEquals: { [`aws:RequestTag/${DEPLOYMENT_TAG}`]: deployment },
  };
}

/** What is being changed carries a build id and this deployment's tag. */
export function resourceTagged(deployment: string): Conditions {
  return {
    Null: { [`aws:ResourceTag/${BUILD_ID_TAG}`]: 'false' },
    StringEquals: { [`aws:ResourceTag/${DEPLOYMENT_TAG}`]: deployment },
  };
}

/**
 * The one tag written after creation: `amibake:tests=failed`, on a resource of this deployment
 * that a build made, and no other key in the same call.
 */
export function markOnlyFailedTests(deployment: string): Conditions {
  const owned = resourceTagged(deployment);
  return {
    ...owned,
    StringEquals: { ...owned.StringEquals, [`aws:RequestTag/${TESTS_TAG}`]: 'failed' },
    'ForAllValues:StringEquals': { 'aws:TagKeys': [TESTS_TAG] },
  };
}

/** Tags may be written only by the call that creates the resources. */
export function tagOnlyAt(
  createAction: 'RunInstances' | 'CreateImage' | 'CopyImage',
  resources: string[],
): Statement {
  const sids = {
    RunInstances: 'TagAtLaunchOnly',
    CreateImage: 'TagAtImageCreationOnly',
    CopyImage: 'TagAtCopyOnly',
  };
  return {
    sid: sids[createAction],
    reason: `tags may be written only as part of ${createAction}`,
    actions: ['ec2:CreateTags'],
    resources,
    conditions: { StringEquals: { 'ec2:CreateAction': createAction } },
  };
}

/** Terminates build instances of this deployment, and no other instance. */
export function terminateBuildInstances(instancesArn: string, deployment: string, when: string): Statement {
  return {
    sid: 'TerminateBuildInstances',
    reason: `terminates ${when}, and only build instances of this deployment`,
    actions: ['ec2:TerminateInstances'],
    resources: [instancesArn],
    conditions: resourceTagged(deployment),
  };
}

/** Every function may end a build, and every end is announced on the topic. */
export function announceBuildEnds(topicArn: string): Statement {
  return {
    sid: 'AnnounceBuildEnds',
    reason: 'publishes one message per finished build to the notifications topic, and no other',
    actions: ['sns:Publish'],
    resources: [topicArn],
  };
}

/**
 * s3:ListBucket limited to the prefixes a role reads. S3 answers a read of a missing key with 403
 * unless the caller may list the bucket; the functions list exactly the key they read to tell
 * "absent" from "refused", and may list nothing else.
 */
export function listToTellAbsence(
  sid: string,
  bucketArn: string,
  prefixes: string[],
  what: string,
): Statement {
  return {
    sid,
    reason: `lists exactly the key it reads, to tell a missing ${what} from a refusal; only under ${prefixes.join(', ')}`,
    actions: ['s3:ListBucket'],
    resources: [bucketArn],
    conditions: { StringLike: { 's3:prefix': prefixes } },
  };
}

/** The same for scripts kept in other buckets (`s3://` recipes): one statement per bucket. */
export function listExternalScripts(objectArns: readonly string[]): Statement[] {
  const byBucket = new Map<string, string[]>();
  for (const arn of objectArns) {
    const [, bucket = '', key = ''] = /^(arn:[^:]+:s3:::[^/]+)\/(.*)$/.exec(arn) ?? [];
    byBucket.set(bucket, [...(byBucket.get(bucket) ?? []), key]);
  }
  return [...byBucket].map(([bucketArn, keys], i) =>
    listToTellAbsence(`ListExternalScripts${i + 1}`, bucketArn, keys.sort(), 'script'),
  );
}
