import { BUILD_ID_TAG } from '../functions/shared/tags';
import {
  announceBuildEnds,
  listExternalScripts,
  listToTellAbsence,
  requestTagged,
  tagOnlyAt,
  terminateBuildInstances,
  writeOwnLogs,
} from './common';
import { bucketObjects, buildRulesArn, ec2Arn, type PolicyRefs } from './refs';
import type { Conditions, Statement } from './statement';

/** The actions EC2 calls on the caller's behalf when a recipe encrypts its root volume with a KMS key. */
export const VOLUME_KEY_ACTIONS = [
  'kms:CreateGrant',
  'kms:Decrypt',
  'kms:DescribeKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
];

/** The role of ami_ec2_instance_create: launch one tagged build instance and its stop rule. */
export function instanceCreatePolicy(refs: PolicyRefs): Statement[] {
  const instances = ec2Arn(refs, 'instance');
  const volumes = ec2Arn(refs, 'volume');
  const named = (type: string, ids: string[] | '*') =>
    ids === '*' ? [ec2Arn(refs, type)] : ids.map((id) => ec2Arn(refs, type, id));
  return [
    writeOwnLogs(refs.logGroupArns.instanceCreate),
    announceBuildEnds(refs.topicArn),
    {
      sid: 'SendFailedLaunches',
      reason: 'Lambda sends launches that failed every retry to the on-failure queue with this role',
      actions: ['sqs:SendMessage'],
      resources: [refs.failureQueueArn],
    },
    {
      sid: 'UpdateBuilds',
      reason: 'reads the build it launches and records its instance, rule and end',
      actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      resources: [refs.buildsTableArn],
    },
    {
      sid: 'DescribeBaseImage',
      reason: "DescribeImages reads the base's root device and size; it cannot be scoped",
      actions: ['ec2:DescribeImages'],
      resources: '*',
    },
    {
      sid: 'ReadScripts',
      reason: 'embeds the customisation script, and pre-signs the GET of a script too large for user data',
      actions: ['s3:GetObject'],
      resources: [
        bucketObjects(refs, refs.names.scriptsPrefix),
        bucketObjects(refs, refs.names.logPrefix),
        ...refs.externalScriptArns,
      ],
    },
    {
      sid: 'ReadPinnedScripts',
      reason: 'reads the version of the script that the build was pinned to when it started',
      actions: ['s3:GetObjectVersion'],
      resources: [bucketObjects(refs, refs.names.scriptsPrefix), ...refs.externalScriptArns],
    },
    listToTellAbsence('ListScripts', refs.bucketArn, [`${refs.names.scriptsPrefix}*`], 'script'),
    ...listExternalScripts(refs.externalScriptArns),
    {
      sid: 'WriteBuildFiles',
      reason: 'copies a large script under builds/ and pre-signs the PUTs of the build log and status',
      actions: ['s3:PutObject'],
      resources: [bucketObjects(refs, refs.names.logPrefix)],
    },
    {
      sid: 'LaunchTaggedInstances',
      reason: `the instance must carry the ${BUILD_ID_TAG} tag from the start, and be of a type some recipe builds or tests on (${refs.instanceTypes.join(', ')})`,
      actions: ['ec2:RunInstances'],
      resources: [instances],
      conditions: withStringEquals(requestTagged(refs.names.prefix), {
        'ec2:InstanceType': refs.instanceTypes,
      }),
    },
    {
      sid: 'LaunchTaggedVolumes',
      reason: `the instance's volumes must carry the ${BUILD_ID_TAG} tag from the start`,
      actions: ['ec2:RunInstances'],
      resources: [volumes],
      conditions: requestTagged(refs.names.prefix),
    },
    {
      sid: 'LaunchFromBaseImages',
      reason: 'the base image (owned by the vendor) and the network the configuration names',
      actions: ['ec2:RunInstances'],
      resources: [
        ec2Arn(refs, 'image'),
        ...named('subnet', refs.subnetIds),
        ...named('security-group', refs.securityGroupIds),
        ec2Arn(refs, 'network-interface'),
      ],
    },
    tagOnlyAt('RunInstances', [instances, volumes]),
    terminateBuildInstances(instances, refs.names.prefix, 'an instance whose rule could not be created'),
    {
      sid: 'PassBuildInstanceRole',
      reason: 'gives the build instance its role; only that role, and only to EC2',
      actions: ['iam:PassRole'],
      resources: [refs.buildRoleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    },
    {
      sid: 'CreateBuildRules',
      reason: `creates the rule that fires when the instance stops: only rules named ${refs.names.rulePrefix}*, only on EC2's instance state changes`,
      actions: ['events:PutRule'],
      resources: [buildRulesArn(refs)],
      conditions: {
        'ForAllValues:StringEquals': {
          'events:source': ['aws.ec2'],
          'events:detail-type': ['EC2 Instance State-change Notification'],
        },
        Null: { 'events:source': 'false', 'events:detail-type': 'false' },
      },
    },
    {
      sid: 'TargetImageCreate',
      reason: 'points the build rule at ami_image_create, and at nothing else',
      actions: ['events:PutTargets'],
      resources: [buildRulesArn(refs)],
      conditions: {
        'ForAllValues:StringEquals': { 'events:TargetArn': [refs.imageCreateFunctionArn] },
        Null: { 'events:TargetArn': 'false' },
      },
    },
    {
      sid: 'RemoveBuildRules',
      reason: 'removes a rule whose instance could not be launched or recorded',
      actions: ['events:RemoveTargets', 'events:DeleteRule'],
      resources: [buildRulesArn(refs)],
    },
    ...(refs.kmsKeyArns.length > 0
      ? [
          {
            sid: 'EncryptRootVolumes',
            reason: 'EC2 uses the KMS keys that recipes name, on behalf of RunInstances only',
            actions: VOLUME_KEY_ACTIONS,
            resources: refs.kmsKeyArns,
            conditions: { StringEquals: { 'kms:ViaService': `ec2.${refs.region}.amazonaws.com` } },
          },
        ]
      : []),
  ];
}

/** Conditions with more StringEquals keys (all of which must hold). */
function withStringEquals(conditions: Conditions, more: Record<string, string | string[]>): Conditions {
  return { ...conditions, StringEquals: { ...conditions.StringEquals, ...more } };
}
