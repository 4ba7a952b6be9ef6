import {
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  type EC2Client,
  EnableImageDeprecationCommand,
  type Image,
  paginateDescribeLaunchTemplates,
} from '@aws-sdk/client-ec2';

export const RETENTION_ACTIONS = {
  imagesInUse: ['ec2:DescribeInstances', 'ec2:DescribeLaunchTemplates', 'ec2:DescribeLaunchTemplateVersions'],
  deregisterWithSnapshots: ['ec2:DeregisterImage', 'ec2:DeleteSnapshot'],
  deprecateImage: ['ec2:EnableImageDeprecation'],
} as const;

/**
 * Why each of `imageIds` is in use, if it is: an instance not terminated runs it, or the
 * latest or default version of a launch template names it.
 */
export async function imagesInUse(ec2: EC2Client, imageIds: readonly string[]): Promise<Map<string, string>> {
  const used = new Map<string, string>();
  if (imageIds.length === 0) return used;
  const instances = await ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: 'image-id', Values: [...imageIds] },
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
      ],
    }),
  );
  for (const i of (instances.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
    if (i.ImageId) used.set(i.ImageId, `instance ${i.InstanceId} runs it`);
  }
  const wanted = new Set(imageIds);
  for await (const page of paginateDescribeLaunchTemplates({ client: ec2 }, {})) {
    for (const template of page.LaunchTemplates ?? []) {
      const versions = await ec2.send(
        new DescribeLaunchTemplateVersionsCommand({
          LaunchTemplateId: template.LaunchTemplateId,
          Versions: ['$Latest', '$Default'],
        }),
      );
      for (const v of versions.LaunchTemplateVersions ?? []) {
        const id = v.LaunchTemplateData?.ImageId;
        if (id && wanted.has(id) && !used.has(id)) {
          used.set(
            id,
            `launch template ${template.LaunchTemplateName} (version ${v.VersionNumber}) names it`,
          );
        }
      }
    }
  }
  return used;
}

/** Deregisters an image, then deletes the snapshots it held. */
export async function deregisterWithSnapshots(ec2: EC2Client, image: Image): Promise<string[]> {
  const snapshots = (image.BlockDeviceMappings ?? []).flatMap((m) =>
    m.Ebs?.SnapshotId ? [m.Ebs.SnapshotId] : [],
  );
  await ec2.send(new DeregisterImageCommand({ ImageId: image.ImageId }));
  for (const snapshotId of snapshots) await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
  return snapshots;
}

/** Schedules an image's deprecation; false when the endpoint does not offer it (an emulator). */
export async function deprecateImage(ec2: EC2Client, imageId: string, at: Date): Promise<boolean> {
  try {
    await ec2.send(new EnableImageDeprecationCommand({ ImageId: imageId, DeprecateAt: at }));
    return true;
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'InvalidAction' || name === 'UnsupportedOperation' || name === 'NotImplemented')
      return false;
    throw error;
  }
}
