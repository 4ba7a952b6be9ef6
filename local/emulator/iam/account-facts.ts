import { type AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  DescribeImagesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeTagsCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { GetInstanceProfileCommand, type IAMClient } from '@aws-sdk/client-iam';
import type { KMSClient } from '@aws-sdk/client-kms';
import { type EncryptionKey, readEncryptionKey } from './key-use';

/**
 * What IAM reads from the account to judge a request: the tags of the resources it touches,
 * the default network a launch lands in, the role an instance profile carries. Read from moto
 * directly, never through the gateway's own layers.
 */
export interface AccountFacts {
  tagsOf(region: string, resourceId: string): Promise<Record<string, string>>;
  /** An image's `ec2:Owner`: its owner's alias (`amazon`, `aws-marketplace`) or account id. */
  imageOwner(region: string, imageId: string): Promise<string | undefined>;
  defaultSubnet(region: string): Promise<string | undefined>;
  defaultSecurityGroup(region: string): Promise<string | undefined>;
  roleOfInstanceProfile(nameOrArn: string): Promise<string | undefined>;
  launchTemplateId(region: string, name: string): Promise<string | undefined>;
  autoScalingGroupArn(region: string, name: string): Promise<string | undefined>;
  /** A KMS key as a request names it (id, ARN, alias), with its key policy. */
  encryptionKey(region: string, keyId: string): Promise<EncryptionKey>;
  /**
   * The key an image's snapshots are encrypted with, as the requests that made it said
   * (`default`: the region's EBS default key); undefined for an unencrypted image.
   */
  imageKey(region: string, imageId: string): string | undefined;
}

export function accountFacts(
  ec2In: (region: string) => EC2Client,
  iam: IAMClient,
  autoscalingIn: (region: string) => AutoScalingClient,
  kmsIn: (region: string) => KMSClient,
  imageKey: (region: string, imageId: string) => string | undefined,
): AccountFacts {
  return {
    imageKey,
    encryptionKey: (region, keyId) => readEncryptionKey(kmsIn(region), keyId),
    async launchTemplateId(region, name) {
      try {
        const answer = await ec2In(region).send(
          new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: [name] }),
        );
        return answer.LaunchTemplates?.[0]?.LaunchTemplateId;
      } catch {
        return undefined;
      }
    },
    async autoScalingGroupArn(region, name) {
      const answer = await autoscalingIn(region).send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
      );
      return answer.AutoScalingGroups?.[0]?.AutoScalingGroupARN;
    },
    async tagsOf(region, resourceId) {
      const answer = await ec2In(region).send(
        new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [resourceId] }] }),
      );
      return Object.fromEntries((answer.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
    },
    async imageOwner(region, imageId) {
      const answer = await ec2In(region)
        .send(new DescribeImagesCommand({ ImageIds: [imageId] }))
        .catch(() => ({ Images: [] }));
      const image = answer.Images?.[0];
      return image?.ImageOwnerAlias ?? image?.OwnerId;
    },
    async defaultSubnet(region) {
      const answer = await ec2In(region).send(
        new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }),
      );
      return answer.Subnets?.map((s) => s.SubnetId).sort()[0];
    },
    async defaultSecurityGroup(region) {
      const answer = await ec2In(region).send(
        new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: ['default'] }] }),
      );
      return answer.SecurityGroups?.[0]?.GroupId;
    },
    async roleOfInstanceProfile(nameOrArn) {
      const name = nameOrArn.split('/').pop() ?? nameOrArn;
      try {
        const answer = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }));
        return answer.InstanceProfile?.Roles?.[0]?.Arn;
      } catch (error) {
        if ((error as Error).name === 'NoSuchEntity' || (error as Error).name === 'NoSuchEntityException')
          return undefined;
        throw error;
      }
    },
  };
}
