import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { newTemplateVersion, refreshGroup } from './aws/consumers';
import { describeError } from './errors';
import type { Logger } from './logger';
import type { Consumers } from './recipe';

/** What happened to one consumer of the published image. */
export interface ConsumerUpdate {
  kind: 'launch-template' | 'auto-scaling-group';
  name: string;
  ok: boolean;
  /** The new default version, the instance refresh id, or why it failed. */
  detail: string;
}

/**
 * Points the recipe's consumers at the image the published channel now holds: a new default
 * launch template version each, then an instance refresh of each group. Every consumer is tried;
 * a failure is returned (for the notification and the log), never thrown: the image is
 * published whatever the fleets make of it.
 */
export async function updateConsumers(
  deps: { ec2: EC2Client; autoscaling: AutoScalingClient; log: Logger },
  consumers: Consumers,
  imageId: string,
  description: string,
): Promise<ConsumerUpdate[]> {
  const updates: ConsumerUpdate[] = [];
  const attempt = async (kind: ConsumerUpdate['kind'], name: string, step: () => Promise<string>) => {
    try {
      updates.push({ kind, name, ok: true, detail: await step() });
    } catch (error) {
      const detail = describeError(error);
      updates.push({ kind, name, ok: false, detail });
      deps.log.error('consumer not updated', { kind, name, imageId, error });
    }
  };
  for (const template of consumers.launchTemplates) {
    await attempt('launch-template', template, async () => {
      const version = await newTemplateVersion(deps.ec2, template, imageId, description);
      return `default version ${version}`;
    });
  }
  for (const group of consumers.autoScalingGroups) {
    await attempt('auto-scaling-group', group, async () => {
      const id = await refreshGroup(deps.autoscaling, group, consumers.minHealthyPercentage);
      return `instance refresh ${id}`;
    });
  }
  return updates;
}
