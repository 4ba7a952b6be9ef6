import type { S3Client } from '@aws-sdk/client-s3';
import { checkFile, type FileCheck, fileNote } from '../shared/attested-files';
import { succeededBuilds } from '../shared/aws/build-queries';
import type { BuildsTable } from '../shared/aws/builds-table';
import { streamObject } from '../shared/aws/objects';
import { type BuildRecord, buildReportKeys } from '../shared/build-record';
import type { Logger } from '../shared/logger';
import { diffPackages, type PackageDiff, parseManifest } from '../shared/package-manifest';
import { sha256Hex } from '../shared/recipe-hash';

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
  /** Why the counts may not be the instances' own: a manifest that is not the attested one. */
  notAttested?: string[];
}

/** A build's package manifest (its packages after the customisation) and what its attestation says of it, or undefined. */
export async function readManifest(
  s3: S3Client,
  settings: { bucket: string; logPrefix: string },
  build: Pick<BuildRecord, 'buildId' | 'attested'>,
): Promise<(ReturnType<typeof parseManifest> & { check: FileCheck }) | undefined> {
  const key = buildReportKeys(settings.logPrefix, build.buildId).packages;
  const chunks: Uint8Array[] = [];
  const read = await streamObject(s3, { bucket: settings.bucket, key }, MANIFEST_MAX_BYTES, (bytes) =>
    chunks.push(bytes),
  );
  if (!read) return undefined;
  const bytes = Buffer.concat(chunks);
  const check = checkFile(
    read.truncated ? undefined : sha256Hex(bytes),
    build.attested?.build?.packagesSha256,
  );
  return { ...parseManifest(bytes.toString('utf-8')), check };
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
    const own = await readManifest(deps.s3, settings, build);
    if (!own || own.after.size === 0) return undefined;
    const previous = previousBuild(await succeededBuilds(deps.table, build.recipeName), build);
    const earlier = previous ? await readManifest(deps.s3, settings, previous) : undefined;
    const against = earlier?.after.size ? (previous?.buildId ?? 'base') : 'base';
    const notes = manifestNotes([
      [build.buildId, own.check],
      ...(earlier?.after.size && previous ? [[previous.buildId, earlier.check] as const] : []),
    ]);
    return {
      ...summary(against, diffPackages(earlier?.after.size ? earlier.after : own.before, own.after)),
      ...(notes.length > 0 ? { notAttested: notes } : {}),
    };
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

/** What the reader must know of the manifests compared: each one that is not the attested one. */
export function manifestNotes(checks: readonly (readonly [string, FileCheck])[]): string[] {
  return checks.flatMap(([buildId, check]) => {
    const note = fileNote(`the package manifest of ${buildId}`, check);
    return note ? [note] : [];
  });
}
