import { manifestNotes, previousBuild, readManifest } from '../../functions/ami-image-create/package-changes';
import { succeededBuilds } from '../../functions/shared/aws/build-queries';
import { getBuild } from '../../functions/shared/aws/builds-table';
import { BUILD_ID_PATTERN, type BuildRecord } from '../../functions/shared/build-record';
import { AmiBakeError } from '../../functions/shared/errors';
import { diffPackages, type PackageDiff, summarizeDiff } from '../../functions/shared/package-manifest';
import { UsageError } from '../args';
import type { StackContext } from '../context';

export interface DiffResult extends PackageDiff {
  buildId: string;
  against: string;
  /** Each manifest compared that is not the one its instance attested, and why. */
  notAttested?: string[];
  text: string;
}

/**
 * `diff <build-id> [<other-build-id>]`: the packages a build's image adds, removes and changes
 * against another build's (default: the recipe's succeeded build published before it).
 */
export async function diff(
  ctx: StackContext,
  buildId: string | undefined,
  otherId: string | undefined,
): Promise<DiffResult> {
  const table = { doc: ctx.clients.doc, tableName: ctx.names.buildsTable };
  for (const id of [buildId, otherId]) {
    if (id !== undefined && !BUILD_ID_PATTERN.test(id)) {
      throw new UsageError(`diff needs build ids such as "ecs-base-20261124190000-0a1b2c", got "${id}"`);
    }
  }
  if (buildId === undefined)
    throw new UsageError('diff needs a build id: npx amibake diff <build-id> [<other-build-id>]');
  const build = await known(table, buildId);
  const other = otherId
    ? await known(table, otherId)
    : previousBuild(await succeededBuilds(table, build.recipeName), build);
  if (!other) {
    throw new AmiBakeError(
      `build ${buildId} has no earlier succeeded build of "${build.recipeName}" to compare with: name one`,
      {
        code: 'NothingToCompare',
      },
    );
  }
  const settings = { bucket: ctx.bucket, logPrefix: ctx.names.logPrefix };
  const [later, earlier] = await Promise.all([
    readManifest(ctx.clients.s3, settings, build),
    readManifest(ctx.clients.s3, settings, other),
  ]);
  for (const [id, manifest] of [
    [build.buildId, later],
    [other.buildId, earlier],
  ] as const) {
    if (!manifest?.after.size) {
      throw new AmiBakeError(
        `build ${id} has no package manifest (builds before manifests, an image without rpm or dpkg, or a customisation that never ended)`,
        { code: 'ManifestNotFound' },
      );
    }
  }
  const changes = diffPackages(earlier?.after ?? new Map(), later?.after ?? new Map());
  const notAttested = manifestNotes([
    [build.buildId, later?.check ?? { verdict: 'unattested' }],
    [other.buildId, earlier?.check ?? { verdict: 'unattested' }],
  ]);
  const lines = [
    ...notAttested.map((note) => `[amibake: ${note}]`),
    `packages of ${build.buildId} against ${other.buildId}: ${summarizeDiff(changes)}`,
    ...changes.added.map((p) => `+ ${p.name} ${p.version}`),
    ...changes.removed.map((p) => `- ${p.name} ${p.version}`),
    ...changes.changed.map((p) => `~ ${p.name} ${p.from} -> ${p.to}`),
  ];
  return {
    buildId: build.buildId,
    against: other.buildId,
    ...changes,
    ...(notAttested.length > 0 ? { notAttested } : {}),
    text: lines.join('\n'),
  };
}

async function known(table: Parameters<typeof getBuild>[0], buildId: string): Promise<BuildRecord> {
  const build = await getBuild(table, buildId);
  if (!build) throw new UsageError(`unknown build "${buildId}": see npx amibake history <recipe>`);
  return build;
}
