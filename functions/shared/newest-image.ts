/** The fields of an EC2 image that choosing the newest base needs. */
export interface ImageSummary {
  ImageId?: string | undefined;
  Name?: string | undefined;
  CreationDate?: string | undefined;
  State?: string | undefined;
  DeprecationTime?: string | undefined;
}

/**
 * The newest usable image: available, not deprecated (unless asked), latest CreationDate,
 * ties broken by name compared as versions (2023.0.20260226 after 2023.0.9).
 */
export function pickNewestImage<T extends ImageSummary>(
  images: readonly T[],
  options: { includeDeprecated: boolean; now: Date },
): T | undefined {
  let newest: T | undefined;
  for (const image of images) {
    if (!image.ImageId || image.State !== 'available') continue;
    if (!options.includeDeprecated && isDeprecated(image, options.now)) continue;
    if (!newest || compareImages(image, newest) > 0) newest = image;
  }
  return newest;
}

function isDeprecated(image: ImageSummary, now: Date): boolean {
  return image.DeprecationTime !== undefined && Date.parse(image.DeprecationTime) <= now.getTime();
}

function compareImages(a: ImageSummary, b: ImageSummary): number {
  const byDate = Date.parse(a.CreationDate ?? '') - Date.parse(b.CreationDate ?? '');
  if (byDate !== 0 && !Number.isNaN(byDate)) return byDate;
  const byName = compareVersions(a.Name ?? '', b.Name ?? '');
  return byName !== 0 ? byName : (a.ImageId ?? '').localeCompare(b.ImageId ?? '');
}

/** Compares strings by their runs of digits as numbers and the rest as text. */
export function compareVersions(a: string, b: string): number {
  const left = a.match(/\d+|\D+/g) ?? [];
  const right = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const x = left[i] as string;
    const y = right[i] as string;
    if (x === y) continue;
    const bothNumbers = /^\d/.test(x) && /^\d/.test(y);
    if (bothNumbers) {
      const diff = Number(x) - Number(y);
      if (diff !== 0) return diff;
    }
    return x < y ? -1 : 1;
  }
  return left.length - right.length;
}
