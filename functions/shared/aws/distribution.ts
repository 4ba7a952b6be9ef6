import {
  CopyImageCommand,
  type EC2Client,
  type Image,
  ModifyImageAttributeCommand,
  type Tag,
} from '@aws-sdk/client-ec2';
import type { Distribution } from '../recipe';

export const DISTRIBUTION_ACTIONS = {
  copyImage: ['ec2:CopyImage', 'ec2:CreateTags'],
  shareImage: ['ec2:ModifyImageAttribute'],
  requireImdsV2: ['ec2:ModifyImageAttribute'],
  deregisterCopy: ['ec2:DeregisterImage'],
} as const;

/**
 * Copies an image into the client's region, encrypted, with the source's tags. The client
 * token makes a repeated request (a retry, a crash) return the same copy.
 */
export async function copyImage(
  ec2: EC2Client,
  source: { imageId: string; region: string; name: string; description: string; tags: Tag[] },
  copy: { kmsKeyId?: string | undefined; clientToken: string },
): Promise<string> {
  const result = await ec2.send(
    new CopyImageCommand({
      SourceImageId: source.imageId,
      SourceRegion: source.region,
      Name: source.name,
      Description: source.description,
      Encrypted: true,
      ...(copy.kmsKeyId ? { KmsKeyId: copy.kmsKeyId } : {}),
      ClientToken: copy.clientToken,
      TagSpecifications: [
        { ResourceType: 'image', Tags: source.tags },
        { ResourceType: 'snapshot', Tags: source.tags },
      ],
    }),
  );
  if (!result.ImageId) throw new Error('CopyImage returned no ImageId');
  return result.ImageId;
}

/**
 * Adds the recipe's launch permissions (adding one already there changes nothing). The request
 * names its attribute (`Attribute=launchPermission`, the API's attribute form), which IAM sees as
 * `ec2:Attribute`: the role may change this attribute and no other.
 */
export async function shareImage(
  ec2: EC2Client,
  imageId: string,
  share: Distribution['share'],
): Promise<void> {
  if (share.accounts.length + share.organizations.length + share.organizationalUnits.length === 0) return;
  await ec2.send(
    new ModifyImageAttributeCommand({
      ImageId: imageId,
      Attribute: 'launchPermission',
      OperationType: 'add',
      ...(share.accounts.length > 0 ? { UserIds: share.accounts } : {}),
      ...(share.organizations.length > 0 ? { OrganizationArns: share.organizations } : {}),
      ...(share.organizationalUnits.length > 0 ? { OrganizationalUnitArns: share.organizationalUnits } : {}),
    }),
  );
}

/**
 * Makes instances launched from the image require IMDSv2 by default (ImdsSupport `v2.0`, which
 * EC2 never lets anyone unset), in the attribute form (`Attribute=imdsSupport`, `Value`) that IAM
 * sees as `ec2:Attribute`. An image that says so already is left as it is.
 */
export async function requireImdsV2(
  ec2: EC2Client,
  image: Pick<Image, 'ImageId' | 'ImdsSupport'>,
): Promise<void> {
  if (image.ImdsSupport === 'v2.0') return;
  await ec2.send(
    new ModifyImageAttributeCommand({ ImageId: image.ImageId, Attribute: 'imdsSupport', Value: 'v2.0' }),
  );
}
