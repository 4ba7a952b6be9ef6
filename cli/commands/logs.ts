import { getText } from '../../functions/shared/aws/objects';
import { BUILD_ID_PATTERN, buildReportKeys } from '../../functions/shared/build-record';
import { AmiBakeError } from '../../functions/shared/errors';
import { UsageError } from '../args';
import type { StackContext } from '../context';

/** The log a build's instance uploaded (builds/<id>/build.log in the artifacts bucket). */
export async function logs(
  ctx: StackContext,
  buildId: string | undefined,
): Promise<{ buildId: string; log: string; text: string }> {
  if (buildId === undefined || !BUILD_ID_PATTERN.test(buildId)) {
    throw new UsageError(
      `logs needs a build id such as "ecs-base-20261124190000-0a1b2c", got ${buildId === undefined ? 'nothing' : `"${buildId}"`}`,
    );
  }
  const key = buildReportKeys(ctx.names.logPrefix, buildId).log;
  const log = await getText(ctx.clients.s3, { bucket: ctx.bucket, key });
  if (log === undefined) {
    throw new AmiBakeError(
      `no log for build ${buildId} at s3://${ctx.bucket}/${key}: the instance never reported, or the log expired`,
      { code: 'LogNotFound' },
    );
  }
  return { buildId, log, text: log.trimEnd() };
}
