import { getText } from '../../functions/shared/aws/objects';
import { BUILD_ID_PATTERN, buildReportKeys } from '../../functions/shared/build-record';
import { AmiBakeError } from '../../functions/shared/errors';
import { UsageError } from '../args';
import type { StackContext } from '../context';

/** The most of a build log the command prints: the whole log stays in S3. */
export const LOG_MAX_BYTES = 1024 * 1024;

/** The log a build's instance uploaded (builds/<id>/build.log in the artifacts bucket), up to LOG_MAX_BYTES. */
export async function logs(
  ctx: StackContext,
  buildId: string | undefined,
): Promise<{ buildId: string; log: string; truncated: boolean; text: string }> {
  if (buildId === undefined || !BUILD_ID_PATTERN.test(buildId)) {
    throw new UsageError(
      `logs needs a build id such as "ecs-base-20261124190000-0a1b2c", got ${buildId === undefined ? 'nothing' : `"${buildId}"`}`,
    );
  }
  const key = buildReportKeys(ctx.names.logPrefix, buildId).log;
  const log = await getText(ctx.clients.s3, { bucket: ctx.bucket, key }, { maxBytes: LOG_MAX_BYTES });
  if (log === undefined) {
    throw new AmiBakeError(
      `no log for build ${buildId} at s3://${ctx.bucket}/${key}: the instance never reported, or the log expired`,
      { code: 'LogNotFound' },
    );
  }
  const cut = Buffer.byteLength(log, 'utf-8') >= LOG_MAX_BYTES;
  const note = cut
    ? `\n[amibake: the log is longer than ${LOG_MAX_BYTES} bytes; the whole log is s3://${ctx.bucket}/${key}]`
    : '';
  return { buildId, log, truncated: cut, text: `${log.trimEnd()}${note}` };
}
