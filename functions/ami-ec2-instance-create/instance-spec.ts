import type { Image, RunInstancesCommandInput, Tag } from '@aws-sdk/client-ec2';
import type { BuildRecord } from '../shared/build-record';
import { BASE_IMAGE_ID_TAG, BUILD_ID_TAG, DEPLOYMENT_TAG, RECIPE_TAG, STAGE_TAG } from '../shared/tags';

/** What the deployment gives every launch unless the recipe says otherwise. */
export interface LaunchDefaults {
  /** The deployment's name prefix, tagged on everything a build creates. */
  deployment: string;
  instanceProfile?: string;
  subnetId?: string;
  securityGroupIds: string[];
}

/**
 * Tags that mark everything a build creates: `amibake:build-id` scopes the IAM policies, and
 * `amibake:deployment` (the name prefix) keeps two deployments in one account apart.
 */
function buildTags(build: BuildRecord, deployment: string): Tag[] {
  return [
    { Key: 'Name', Value: `amibake ${build.recipeName} ${build.buildId}` },
    { Key: DEPLOYMENT_TAG, Value: deployment },
    { Key: RECIPE_TAG, Value: build.recipeName },
    { Key: BUILD_ID_TAG, Value: build.buildId },
    { Key: BASE_IMAGE_ID_TAG, Value: build.baseImageId },
  ];
}

/**
 * The RunInstances request of a build instance (pure: no SDK call). The root volume keeps the
 * base's size unless the recipe sets one.
 */
export function runInstancesInput(
  build: BuildRecord,
  base: { rootDeviceName: string; rootVolumeSizeGiB?: number | undefined },
  defaults: LaunchDefaults,
  userData: string,
): RunInstancesCommandInput {
  const recipe = build.recipe;
  const profile = recipe.instanceProfile ?? defaults.instanceProfile;
  const subnetId = recipe.subnetId ?? defaults.subnetId;
  const securityGroupIds =
    recipe.securityGroupIds.length > 0 ? recipe.securityGroupIds : defaults.securityGroupIds;
  const tags = buildTags(build, defaults.deployment);
  const size = recipe.rootVolume.sizeGiB ?? base.rootVolumeSizeGiB;
  return {
    ImageId: build.baseImageId,
    InstanceType: recipe.instanceType as RunInstancesCommandInput['InstanceType'],
    MinCount: 1,
    MaxCount: 1,
    ClientToken: build.buildId,
    UserData: Buffer.from(userData, 'utf-8').toString('base64'),
    InstanceInitiatedShutdownBehavior: 'stop',
    MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 },
    ...(profile ? { IamInstanceProfile: { Name: profile } } : {}),
    ...(subnetId ? { SubnetId: subnetId } : {}),
    ...(securityGroupIds.length > 0 ? { SecurityGroupIds: securityGroupIds } : {}),
    BlockDeviceMappings: [
      {
        DeviceName: base.rootDeviceName,
        Ebs: {
          DeleteOnTermination: true,
          Encrypted: true,
          VolumeType: recipe.rootVolume.type,
          ...(size ? { VolumeSize: size } : {}),
          ...(recipe.rootVolume.kmsKeyId ? { KmsKeyId: recipe.rootVolume.kmsKeyId } : {}),
        },
      },
    ],
    TagSpecifications: [
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: tags },
    ],
  };
}

/**
 * The RunInstances request of a test instance (pure): the build's new image, as it was made
 * (its block devices are the build instance's, encrypted), the recipe's network, and the build's
 * tags plus the stage, so that the sweep and the policies treat it as a build instance.
 */
export function testRunInstancesInput(
  build: BuildRecord,
  image: Pick<Image, 'ImageId'>,
  defaults: LaunchDefaults,
  userData: string,
): RunInstancesCommandInput {
  const recipe = build.recipe;
  const launch = runInstancesInput(build, { rootDeviceName: '' }, defaults, userData);
  const tags = [
    ...buildTags(build, defaults.deployment).map((t) =>
      t.Key === 'Name' ? { Key: 'Name', Value: `amibake test ${build.recipeName} ${build.buildId}` } : t,
    ),
    { Key: STAGE_TAG, Value: 'test' },
  ];
  const { BlockDeviceMappings: _base, ...rest } = launch;
  return {
    ...rest,
    ImageId: image.ImageId,
    InstanceType: (recipe.test.instanceType ??
      recipe.instanceType) as RunInstancesCommandInput['InstanceType'],
    ClientToken: `${build.buildId}-test`,
    TagSpecifications: [
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: tags },
    ],
  };
}
