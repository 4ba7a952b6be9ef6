import { BUILD_ID_TAG, DEPLOYMENT_TAG, TESTS_TAG } from '../functions/shared/tags';
import { VOLUME_KEY_ACTIONS } from './ami-ec2-instance-create';
import {
  announceBuildEnds,
  listToTellAbsence,
  markOnlyFailedTests,
  requestTagged,
  resourceTagged,
  tagOnlyAt,
  terminateBuildInstances,
  writeOwnLogs,
} from './common';
import { bucketObjects, buildRulesArn, ec2Arn, type PolicyRefs } from './refs';
import type { Statement } from './statement';

/** The role of ami_image_create: image a stopped build instance, then remove the instance and rule. */
export function imageCreatePolicy(refs: PolicyRefs): Statement[] {
  const instances = ec2Arn(refs, 'instance');
  const images = ec2Arn(refs, 'image');
  const snapshots = ec2Arn(refs, 'snapshot');
  const regions = [refs.region, ...refs.copyRegions];
  const ownTag = { StringEquals: { [`aws:ResourceTag/${DEPLOYMENT_TAG}`]: refs.names.prefix } };
  return [
    writeOwnLogs(refs.logGroupArns.imageCreate),
    announceBuildEnds(refs.topicArn),
    {
      sid: 'UpdateBuilds',
      reason: 'reads the build of the stopped instance and records its image and end',
      actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      resources: [refs.buildsTableArn],
    },
    {
      sid: 'QueryBuildIndexes',
      reason:
        "the sweep reads the builds in flight through the sparse in-flight index; retention reads a recipe's succeeded builds",
      actions: ['dynamodb:Query'],
      resources: [`${refs.buildsTableArn}/index/in-flight`, `${refs.buildsTableArn}/index/by-recipe`],
    },
    {
      sid: 'DescribeInstancesAndImages',
      reason: "checks the instance is stopped and follows the image's state; Describe* cannot be scoped",
      actions: ['ec2:DescribeInstances', 'ec2:DescribeImages'],
      resources: '*',
    },
    {
      sid: 'ListBuildRules',
      reason: 'the sweep finds rules left by builds that ended; ListRules cannot be scoped',
      actions: ['events:ListRules'],
      resources: '*',
    },
    {
      sid: 'ReadBuildReports',
      reason: 'reads the status the build instance wrote',
      actions: ['s3:GetObject'],
      resources: [bucketObjects(refs, refs.names.logPrefix)],
    },
    listToTellAbsence('ListBuildReports', refs.bucketArn, [`${refs.names.logPrefix}*`], 'report'),
    {
      sid: 'ReadBuildConsoles',
      reason:
        "reads the attestation of the report on the build instance's console: only the instance can write it",
      actions: ['ec2:GetConsoleOutput'],
      resources: [instances],
      conditions: resourceTagged(refs.names.prefix),
    },
    {
      sid: 'ReadSerialConsoleAccess',
      reason:
        "notes in the record when the account allows the EC2 serial console, where a person at an instance's login prompt could type an attestation",
      actions: ['ec2:GetSerialConsoleAccessStatus'],
      resources: '*',
    },
    {
      sid: 'ImageBuildInstances',
      reason: `only instances tagged ${BUILD_ID_TAG} are imaged`,
      actions: ['ec2:CreateImage'],
      resources: [instances],
      conditions: resourceTagged(refs.names.prefix),
    },
    {
      sid: 'CreateTaggedImages',
      reason: `the image and its snapshots must carry the ${BUILD_ID_TAG} tag from the start`,
      actions: ['ec2:CreateImage'],
      resources: [images, snapshots],
      conditions: requestTagged(refs.names.prefix),
    },
    tagOnlyAt('CreateImage', [images, snapshots]),
    {
      sid: 'MarkFailedTestImages',
      reason: `tags an image of this deployment whose tests failed ${TESTS_TAG}=failed, and may write no other tag`,
      actions: ['ec2:CreateTags'],
      resources: [images],
      conditions: markOnlyFailedTests(refs.names.prefix),
    },
    terminateBuildInstances(
      instances,
      refs.names.prefix,
      'the build instance or test instance once it has reported, or a hung or orphan one',
    ),
    {
      sid: 'StartTests',
      reason:
        'asks ami_ec2_instance_create to launch the test instance of a new image, and invokes no other function',
      actions: ['lambda:InvokeFunction'],
      resources: [refs.instanceCreateFunctionArn],
    },
    {
      sid: 'PublishNewestImage',
      reason:
        "points each recipe's candidate parameter at its new image and, once tested, its parameter, for resolve:ssm: consumers; retention never retires the image they point at",
      actions: ['ssm:PutParameter', 'ssm:GetParameters'],
      resources: refs.imageParameterArns,
    },
    {
      sid: 'WithdrawCandidates',
      reason:
        'removes an image that failed its tests from the candidate parameter when no tested image was published to point it back at',
      actions: ['ssm:DeleteParameter'],
      resources: refs.candidateParameterArns,
    },
    {
      sid: 'FindImagesInUse',
      reason: 'retention keeps images that instances or launch templates use; Describe* cannot be scoped',
      actions: ['ec2:DescribeLaunchTemplates', 'ec2:DescribeLaunchTemplateVersions'],
      resources: '*',
    },
    {
      sid: 'RetireImages',
      reason: "deregisters old images and their snapshots; only this deployment's, in its regions",
      actions: ['ec2:DeregisterImage', 'ec2:DeleteSnapshot'],
      resources: regions.flatMap((r) => [ec2Arn(refs, 'image', '*', r), ec2Arn(refs, 'snapshot', '*', r)]),
      conditions: ownTag,
    },
    ...imageAttributeStatements(refs, regions, ownTag),
    ...(refs.copyRegions.length > 0 ? copyStatements(refs) : []),
    ...consumerStatements(refs),
    {
      sid: 'RemoveBuildRules',
      reason: `deletes the rule of a finished build, after checking an orphan's target is this function; only rules named ${refs.names.rulePrefix}*`,
      actions: ['events:RemoveTargets', 'events:DeleteRule', 'events:ListTargetsByRule'],
      resources: [buildRulesArn(refs)],
    },
  ];
}

/**
 * The image attributes ami_image_create changes, each in a statement of its own: IMDSv2 on every
 * image, launch permissions only when a recipe shares, deprecation only when a recipe asks for it.
 * `ec2:Attribute` holds the attribute a request names, so a role that may require IMDSv2 can
 * neither share an image nor make it public. IAM has no key for the accounts a launch permission
 * adds: which accounts an image is shared with is the recipes' (docs/trust-model.md).
 */
function imageAttributeStatements(
  refs: PolicyRefs,
  regions: readonly string[],
  ownTag: { StringEquals: Record<string, string> },
): Statement[] {
  const images = regions.map((r) => ec2Arn(refs, 'image', '*', r));
  const attribute = (name: string) => ({
    StringEquals: { ...ownTag.StringEquals, 'ec2:Attribute': name },
  });
  return [
    {
      sid: 'RequireImdsV2',
      reason: "makes this deployment's new images require IMDSv2 of the instances launched from them",
      actions: ['ec2:ModifyImageAttribute'],
      resources: images,
      conditions: attribute('imdsSupport'),
    },
    ...(refs.sharing
      ? [
          {
            sid: 'ShareImages',
            reason: "adds the launch permissions recipes ask for to this deployment's tested images",
            actions: ['ec2:ModifyImageAttribute'],
            resources: images,
            conditions: attribute('launchPermission'),
          },
        ]
      : []),
    ...(refs.deprecating
      ? [
          {
            sid: 'DeprecateImages',
            reason: "schedules the deprecation recipes ask for of this deployment's images",
            actions: ['ec2:EnableImageDeprecation'],
            resources: images,
            conditions: ownTag,
          },
        ]
      : []),
  ];
}

/** The launch templates and Auto Scaling groups that recipes name, and no others. */
function consumerStatements(refs: PolicyRefs): Statement[] {
  return [
    ...(refs.launchTemplateArns.length > 0
      ? [
          {
            sid: 'RollLaunchTemplates',
            reason:
              'adds a version with the published image to the launch templates recipes name, and makes it the default; no other template',
            actions: ['ec2:CreateLaunchTemplateVersion', 'ec2:ModifyLaunchTemplate'],
            resources: refs.launchTemplateArns,
          },
        ]
      : []),
    ...(refs.autoScalingGroupArns.length > 0
      ? [
          {
            sid: 'RefreshFleets',
            reason: 'starts an instance refresh of the Auto Scaling groups recipes name; no other group',
            actions: ['autoscaling:StartInstanceRefresh'],
            resources: refs.autoScalingGroupArns,
          },
        ]
      : []),
  ];
}

/** The EC2 actions that encrypted copies need, on the caller's behalf, with the copy regions' keys. */
export const COPY_KEY_ACTIONS = [
  'kms:CreateGrant',
  'kms:Decrypt',
  'kms:DescribeKey',
  'kms:Encrypt',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
];

/** Copies of this deployment's images into the recipes' other regions, tagged as they are made. */
function copyStatements(refs: PolicyRefs): Statement[] {
  const into = refs.copyRegions.flatMap((r) => [
    ec2Arn(refs, 'image', '*', r),
    ec2Arn(refs, 'snapshot', '*', r),
  ]);
  return [
    {
      // Since 28 October 2024 CopyImage is also authorized on the source image (EC2 User Guide,
      // "Grant permissions to copy Amazon EC2 AMIs"), whose keys in the Service Authorization
      // Reference are ec2:ImageID and ec2:Owner, not its tags: the account's own images only.
      sid: 'CopyOwnImages',
      reason: "copies are made from this account's images in the home region",
      actions: ['ec2:CopyImage'],
      resources: [ec2Arn(refs, 'image', '*', refs.region)],
      conditions: { StringEquals: { 'ec2:Owner': refs.account } },
    },
    {
      // On the new image and snapshots, the tags they are made with.
      sid: 'CreateTaggedCopies',
      reason: `copies into the recipes' regions; the copies and their snapshots must carry the ${BUILD_ID_TAG} tag from the start`,
      actions: ['ec2:CopyImage'],
      resources: into,
      conditions: requestTagged(refs.names.prefix),
    },
    tagOnlyAt('CopyImage', into),
    ...(refs.copySourceKeyArns.length > 0
      ? [
          {
            sid: 'DecryptCopySources',
            reason:
              "EC2 decrypts the snapshots of images encrypted with the recipes' root volume keys to copy them, as ami_image_create's, through EC2 in the home region only",
            actions: [...VOLUME_KEY_ACTIONS],
            resources: refs.copySourceKeyArns,
            conditions: { StringEquals: { 'kms:ViaService': `ec2.${refs.region}.amazonaws.com` } },
          },
        ]
      : []),
    ...(refs.copyKmsKeyArns.length > 0
      ? [
          {
            sid: 'EncryptCopies',
            reason: 'EC2 uses the KMS keys that recipes name for their copies, on behalf of CopyImage only',
            actions: COPY_KEY_ACTIONS,
            resources: refs.copyKmsKeyArns,
            conditions: {
              StringEquals: { 'kms:ViaService': refs.copyRegions.map((r) => `ec2.${r}.amazonaws.com`) },
            },
          },
        ]
      : []),
  ];
}
