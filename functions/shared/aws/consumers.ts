import { type AutoScalingClient, StartInstanceRefreshCommand } from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchTemplateVersionCommand,
  type EC2Client,
  ModifyLaunchTemplateCommand,
} from '@aws-sdk/client-ec2';
import { isLaunchTemplateId } from '../recipe-model';

export const CONSUMERS_ACTIONS = {
  newTemplateVersion: ['ec2:CreateLaunchTemplateVersion', 'ec2:ModifyLaunchTemplate'],
  refreshGroup: ['autoscaling:StartInstanceRefresh'],
} as const;

const templateRef = (template: string) =>
  isLaunchTemplateId(template) ? { LaunchTemplateId: template } : { LaunchTemplateName: template };

/**
 * A new version of a launch template: its default version with only the image changed
 * (SourceVersion), made the default, as Image Builder's launch template distribution does.
 * Returns the version number.
 */
export async function newTemplateVersion(
  ec2: EC2Client,
  template: string,
  imageId: string,
  description: string,
): Promise<number> {
  const created = await ec2.send(
    new CreateLaunchTemplateVersionCommand({
      ...templateRef(template),
      SourceVersion: '$Default',
      VersionDescription: description.slice(0, 255),
      LaunchTemplateData: { ImageId: imageId },
    }),
  );
  const version = created.LaunchTemplateVersion?.VersionNumber;
  if (version === undefined)
    throw new Error(`CreateLaunchTemplateVersion of ${template} returned no version`);
  await ec2.send(
    new ModifyLaunchTemplateCommand({ ...templateRef(template), DefaultVersion: String(version) }),
  );
  return version;
}

/** Starts an instance refresh of an Auto Scaling group; returns its id. */
export async function refreshGroup(
  autoscaling: AutoScalingClient,
  group: string,
  minHealthyPercentage: number,
): Promise<string> {
  const started = await autoscaling.send(
    new StartInstanceRefreshCommand({
      AutoScalingGroupName: group,
      Preferences: { MinHealthyPercentage: minHealthyPercentage },
    }),
  );
  return started.InstanceRefreshId ?? '';
}
