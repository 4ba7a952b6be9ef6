import type { EC2Client, Image } from '@aws-sdk/client-ec2';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { copyImage, requireImdsV2, shareImage } from '../shared/aws/distribution';
import { describeImage, findImagesByTag } from '../shared/aws/images';
import { deregisterWithSnapshots } from '../shared/aws/retention';
import type { BuildRecord } from '../shared/build-record';
import { BUILD_ID_TAG } from '../shared/tags';
import { sortImages } from './image-provenance';
import type { DistributionResult } from './plan-settle';

export interface RegionalClients {
  ec2: EC2Client;
  ssm: SSMClient;
}

export interface DistributeDeps {
  regional: (region: string) => RegionalClients;
}

/**
 * Copies an available image to the recipe's other regions and shares the image and its copies.
 * Each copy is found by the build's tag before it is requested, so the step can be repeated
 * (each copy's state change event, a retry, the sweep) until every copy is available. A copy that fails takes every copy and
 * the image with it: a build is distributed everywhere or nowhere.
 */
export async function distribute(
  deps: DistributeDeps,
  settings: { region: string; deployment: string },
  build: BuildRecord,
  source: Image,
): Promise<DistributionResult> {
  const { copies, share } = build.recipe.distribution;
  const sourceId = source.ImageId as string;
  const ids: Record<string, string> = {};
  for (const copy of copies) {
    const { ec2 } = deps.regional(copy.region);
    const tagged = await findImagesByTag(ec2, BUILD_ID_TAG, build.buildId);
    const { own, impostors } = sortImages(tagged, build, settings.deployment, {
      kind: 'copy',
      sourceImageId: sourceId,
      sourceRegion: settings.region,
    });
    if (impostors.length > 0) {
      return {
        state: 'failed',
        errorCode: 'ImageImpostor',
        reason: `not adopted as the copy in ${copy.region}: ${impostors.join('; ')}: deregister it; the build's image ${sourceId} was not published`,
      };
    }
    ids[copy.region] =
      own?.ImageId ??
      (await copyImage(
        ec2,
        {
          imageId: sourceId,
          region: settings.region,
          name: source.Name ?? build.buildId,
          description: source.Description ?? `amibake ${build.buildId}`,
          tags: (source.Tags ?? []).filter((t) => !t.Key?.startsWith('aws:')),
        },
        { kmsKeyId: copy.kmsKeyId, clientToken: `${build.buildId}-${copy.region}` },
      ));
  }
  // The source is known to be available: only the copies are described, once. Each copy's own
  // state change event resumes the build (the sweep, if it is lost).
  const states: Record<string, Image | undefined> = { [settings.region]: source };
  for (const [region, imageId] of Object.entries(ids)) {
    states[region] = await describeImage(deps.regional(region).ec2, imageId);
  }
  const failed = Object.entries(states).filter(([, image]) => image?.State === 'failed');
  if (failed.length > 0) {
    for (const [region, image] of Object.entries(states)) {
      if (image) await deregisterWithSnapshots(deps.regional(region).ec2, image);
    }
    return {
      state: 'failed',
      reason: `copy to ${failed.map(([r, i]) => `${r} (${i?.StateReason?.Message ?? 'failed'})`).join(', ')} failed: the image and its copies were deregistered`,
    };
  }
  const waiting = Object.entries(states).filter(([, image]) => image?.State !== 'available');
  if (waiting.length > 0) {
    return { state: 'pending', reason: `copies not available yet in ${waiting.map(([r]) => r).join(', ')}` };
  }
  const images = { [settings.region]: sourceId, ...ids };
  for (const [region, imageId] of Object.entries(images)) {
    const { ec2 } = deps.regional(region);
    await requireImdsV2(ec2, states[region] ?? { ImageId: imageId });
    await shareImage(ec2, imageId, share);
  }
  return { state: 'done', images };
}
