import {
  CreateImageCommand,
  type EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { describeCandidates } from '../functions/shared/aws/images';
import { pickNewestImage } from '../functions/shared/newest-image';
import type { Recipe } from '../functions/shared/recipe';

/**
 * Plays the vendor releasing a new base image for a describe recipe: an image built from the
 * current newest base, named with a later version, shown by the gateway as the vendor's.
 */
export async function publishNewBase(
  ec2: EC2Client,
  vendor: { publishVendorImage(imageId: string): void },
  recipe: Recipe,
  now: Date,
): Promise<{ imageId: string; name: string }> {
  if (recipe.base.kind !== 'describe')
    throw new Error(`recipe ${recipe.name} follows an SSM parameter: publish by changing it`);
  const current = pickNewestImage(await describeCandidates(ec2, [recipe.base]), {
    includeDeprecated: false,
    now,
  });
  if (!current?.ImageId || !current.Name)
    throw new Error(`recipe ${recipe.name} has no base image to release after`);
  const name = laterVersion(current.Name, now);
  const run = await ec2.send(
    new RunInstancesCommand({ ImageId: current.ImageId, MinCount: 1, MaxCount: 1, InstanceType: 't3.micro' }),
  );
  const instanceId = run.Instances?.[0]?.InstanceId as string;
  const image = await ec2.send(
    new CreateImageCommand({ InstanceId: instanceId, Name: name, Description: `vendor release ${name}` }),
  );
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
  const imageId = image.ImageId as string;
  vendor.publishVendorImage(imageId);
  return { imageId, name };
}

/** The name with its release date (the last 8-digit run) moved to `now`, or one past it: a.20260226-b -> a.20261124-b. */
function laterVersion(name: string, now: Date): string {
  const date = now.toISOString().slice(0, 10).replace(/-/g, '');
  const runs = [...name.matchAll(/\d{8}/g)];
  const last = runs[runs.length - 1];
  if (last?.index === undefined) return `${name}-${date}`;
  const next = last[0] >= date ? String(Number(last[0]) + 1) : date;
  return `${name.slice(0, last.index)}${next}${name.slice(last.index + 8)}`;
}
