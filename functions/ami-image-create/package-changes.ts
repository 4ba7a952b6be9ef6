import type { S3Client } from '@aws-sdk/client-s3';
import { succeededBuilds } from '../shared/aws/build-queries';
import type { BuildsTable } from '../shared/aws/builds-table';
import { getText } from '../shared/aws/objects';
import { type BuildRecord, buildReportKeys } from '../shared/build-record';
import type { Logger } from '../shared/logger';
import { diffPackages, type PackageDiff, parseManifest } from '../shared/package-manifest';

/** A manifest is a few hundred KB at most (thousands of packages); more is not read. */
const MANIFEST_MAX_BYTES = 4 * 1024 * 1024;

/** What the notification says of a build's packages: counts, and the kernel's change. */
export interface PackageSummary {
  /** The build compared against, or "base" (the packages before the customisation). */
  against: string;
  added: number;
  removed: number;
  changed: number;
  kernel?: { from: string; to: string } | undefined;
}

/** A build's package manifest (its packages after the customisation), or undefined. */
export async function readManifest(
  s3: S3Client,
  settings: { bucket: string; logPrefix: string },
  buildId: string,
): Promise<ReturnType<typeof parseManifest> | undefined> {
  const key = buildReportKeys(settings.logPrefix, buildId).packages;
  const text = await getText(s3, { bucket: settings.bucket, key }, { maxBytes: MANIFEST_MAX_BYTES });
  return text === undefined ? undefined : parseManifest(text);
}

/** The recipe's succeeded build published last before this one, if any (pure). */
export function previousBuild(
  builds: readonly BuildRecord[],
  build: Pick<BuildRecord, 'buildId' | 'createdAt'>,
): BuildRecord | undefined {
  return builds
    .filter((b) => b.buildId !== build.buildId && b.createdAt < build.createdAt)
    .sort((a, b) => (b.finishedAt ?? '').localeCompare(a.finishedAt ?? ''))[0];
}

/**
 * The package changes of a succeeded build against the recipe's previous succeeded build (or,
 * for the first, against its base). Informational: a manifest that cannot be read leaves the
 * summary out, and the build is not affected.
 */
export async function packageChanges(
  deps: { s3: S3Client; table: BuildsTable; log: Logger },
  settings: { bucket: string; logPrefix: string },
  build: BuildRecord,
): Promise<PackageSummary | undefined> {
  try {
    const own = await readManifest(deps.s3, settings, build.buildId);
    if (!own || own.after.size === 0) return undefined;
    const previous = previousBuild(await succeededBuilds(deps.table, build.recipeName), build);
    const earlier = previous ? await readManifest(deps.s3, settings, previous.buildId) : undefined;
    const against = earlier?.after.size ? (previous?.buildId ?? 'base') : 'base';
    return summary(against, diffPackages(earlier?.after.size ? earlier.after : own.before, own.after));
  } catch (error) {
    deps.log.warn('package changes not read', { buildId: build.buildId, error });
    return undefined;
  }
}

function summary(against: string, diff: PackageDiff): PackageSummary {
  return {
    against,
    added: diff.added.length,
    removed: diff.removed.length,
    changed: diff.changed.length,
    ...(diff.kernel ? { kernel: { from: diff.kernel.from, to: diff.kernel.to } } : {}),
  };
}
