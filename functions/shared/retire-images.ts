import type { EC2Client } from '@aws-sdk/client-ec2';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { succeededBuilds, testFailedBuilds } from './aws/build-queries';
import type { BuildsTable } from './aws/builds-table';
import { describeImage } from './aws/images';
import { getParameterValues } from './aws/parameters';
import { deregisterWithSnapshots, imagesInUse } from './aws/retention';
import type { Logger } from './logger';
import { expiredTestImages, planRetention } from './plan-retention';
import { DEPLOYMENT_TAG } from './tags';

export interface RetireReport {
  recipe: string;
  dryRun: boolean;
  kept: string[];
  retired: { imageId: string; name?: string | undefined; snapshots: string[] }[];
  skipped: { imageId: string; reason: string }[];
}

export interface RetireDeps {
  table: BuildsTable;
  log: Logger;
  /** Clients of the region whose images are retired. */
  ec2: EC2Client;
  ssm: SSMClient;
}

/**
 * Applies a recipe's retention in one region (see plan-retention.ts): deregisters the images
 * of older succeeded builds with their snapshots, or only lists them on a dry run. An image that
 * is gone, or that no longer carries this deployment's tag, is skipped.
 */
export async function retireImages(
  deps: RetireDeps,
  deployment: string,
  recipe: { name: string; keep: number; parameter: string; candidateParameter?: string },
  regions: { region: string; homeRegion: string },
  dryRun: boolean,
  now = new Date(),
): Promise<RetireReport> {
  const builds = await succeededBuilds(deps.table, recipe.name);
  const home = regions.region === regions.homeRegion;
  const channels = await getParameterValues(deps.ssm, [
    recipe.parameter,
    ...(home && recipe.candidateParameter ? [recipe.candidateParameter] : []),
  ]);
  const published = channels.get(recipe.parameter);
  const candidate = recipe.candidateParameter ? channels.get(recipe.candidateParameter) : undefined;
  const facts = { builds, ...regions, published, candidate, inUse: new Map<string, string>() };
  // Images whose tests failed are kept for examination, then go (they exist in the home region only).
  const expired = home
    ? expiredTestImages(await testFailedBuilds(deps.table, recipe.name), now, candidate)
    : [];
  const older = [...planRetention(facts, recipe.keep).retire, ...expired];
  const inUse = await imagesInUse(deps.ec2, older);
  const plan = planRetention({ ...facts, inUse }, recipe.keep);
  const report: RetireReport = {
    recipe: recipe.name,
    dryRun,
    kept: plan.kept,
    retired: [],
    skipped: [...plan.skipped],
  };
  const retire = [...plan.retire];
  for (const imageId of expired) {
    const use = inUse.get(imageId);
    if (use) report.skipped.push({ imageId, reason: `failed its tests, but ${use}` });
    else retire.push(imageId);
  }
  for (const imageId of retire) {
    const image = await describeImage(deps.ec2, imageId);
    const owner = image?.Tags?.find((t) => t.Key === DEPLOYMENT_TAG)?.Value;
    if (!image) {
      report.skipped.push({ imageId, reason: 'already gone' });
      continue;
    }
    if (owner !== deployment || image.State !== 'available') {
      const reason =
        owner !== deployment ? `tagged ${DEPLOYMENT_TAG}=${owner ?? '(none)'}` : `${image.State}`;
      report.skipped.push({ imageId, reason });
      continue;
    }
    const snapshots = dryRun
      ? (image.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.SnapshotId ? [m.Ebs.SnapshotId] : []))
      : await deregisterWithSnapshots(deps.ec2, image);
    report.retired.push({ imageId, name: image.Name, snapshots });
    if (!dryRun) deps.log.info('image retired', { recipe: recipe.name, imageId, snapshots });
  }
  for (const s of report.skipped) deps.log.info('image kept', { recipe: recipe.name, ...s });
  return report;
}
