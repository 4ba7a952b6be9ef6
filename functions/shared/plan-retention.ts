import type { Image } from '@aws-sdk/client-ec2';
import { BUILD_STARTED_TAG } from './build-record';

export interface RetentionPlan {
  kept: string[];
  retire: Image[];
  /** Older than the newest `keep` but in use: left in place, with the reason. */
  skipped: { imageId: string; reason: string }[];
}

/**
 * Which images of a recipe go (pure): the newest `keep` available ones stay, and so does every
 * image in use; images still pending are never touched.
 */
export function planRetention(
  images: readonly Image[],
  keep: number,
  inUse: ReadonlyMap<string, string>,
): RetentionPlan {
  const started = (i: Image) => i.Tags?.find((t) => t.Key === BUILD_STARTED_TAG)?.Value ?? '';
  const available = images
    .filter((i) => i.State === 'available' && i.ImageId)
    .sort(
      (a, b) =>
        (b.CreationDate ?? '').localeCompare(a.CreationDate ?? '') ||
        started(b).localeCompare(started(a)) ||
        (b.ImageId ?? '').localeCompare(a.ImageId ?? ''),
    );
  const plan: RetentionPlan = { kept: [], retire: [], skipped: [] };
  available.forEach((image, index) => {
    const id = image.ImageId as string;
    if (index < keep) plan.kept.push(id);
    else if (inUse.has(id)) plan.skipped.push({ imageId: id, reason: inUse.get(id) as string });
    else plan.retire.push(image);
  });
  return plan;
}
