import type { EC2Client } from '@aws-sdk/client-ec2';
import { deregisterWithSnapshots, imagesInUse, recipeImages } from './aws/retention';
import type { Logger } from './logger';
import { planRetention } from './plan-retention';

export interface RetireReport {
  recipe: string;
  dryRun: boolean;
  kept: string[];
  retired: { imageId: string; name?: string | undefined; snapshots: string[] }[];
  skipped: { imageId: string; reason: string }[];
}

/**
 * Applies a recipe's retention: keeps the newest `keep` images and any image in use, and
 * deregisters the others with their snapshots (or only lists them, on a dry run).
 */
export async function retireImages(
  deps: { ec2: EC2Client; log: Logger },
  deployment: string,
  recipe: { name: string; keep: number },
  dryRun: boolean,
): Promise<RetireReport> {
  const images = await recipeImages(deps.ec2, deployment, recipe.name);
  const older = planRetention(images, recipe.keep, new Map()).retire.map((i) => i.ImageId as string);
  const plan = planRetention(images, recipe.keep, await imagesInUse(deps.ec2, older));
  const report: RetireReport = {
    recipe: recipe.name,
    dryRun,
    kept: plan.kept,
    retired: [],
    skipped: plan.skipped,
  };
  for (const image of plan.retire) {
    const snapshots = dryRun
      ? (image.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.SnapshotId ? [m.Ebs.SnapshotId] : []))
      : await deregisterWithSnapshots(deps.ec2, image);
    report.retired.push({ imageId: image.ImageId as string, name: image.Name, snapshots });
    if (!dryRun) deps.log.info('image retired', { recipe: recipe.name, imageId: image.ImageId, snapshots });
  }
  for (const s of plan.skipped) deps.log.info('image kept: in use', { recipe: recipe.name, ...s });
  return report;
}
