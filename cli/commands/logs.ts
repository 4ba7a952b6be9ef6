import { createHash } from 'node:crypto';
import { checkFile, type FileCheck, fileNote } from '../../functions/shared/attested-files';
import { getBuild } from '../../functions/shared/aws/builds-table';
import { streamObject } from '../../functions/shared/aws/objects';
import { BUILD_ID_PATTERN, buildReportKeys, type Stage } from '../../functions/shared/build-record';
import { AmiBakeError } from '../../functions/shared/errors';
import { UsageError } from '../args';
import type { StackContext } from '../context';
import { PrintableStream } from '../terminal';

/** The most of a build log the command prints: the whole log stays in S3. */
export const LOG_MAX_BYTES = 1024 * 1024;

export interface LogResult {
  buildId: string;
  /** The log itself, when it was not streamed (--json). */
  log?: string;
  truncated: boolean;
  /** Whether the log is the one its instance attested (see attested-files.ts). */
  attested: FileCheck['verdict'];
  text: string;
  /** True when the log went to `write`: `text` is then the rest of the output, line end included. */
  streamed?: boolean;
}

/**
 * The log a build's instance uploaded (builds/<id>/build.log in the artifacts bucket; its test
 * instance's, builds/<id>/test/test.log), up to
 * LOG_MAX_BYTES. With `write` (text mode), the log is written there as S3 sends it, made
 * printable, and `text` holds only what follows it.
 */
export async function logs(
  ctx: StackContext,
  buildId: string | undefined,
  write?: (text: string) => void,
  stage: Stage = 'build',
): Promise<LogResult> {
  if (buildId === undefined || !BUILD_ID_PATTERN.test(buildId)) {
    throw new UsageError(
      `logs needs a build id such as "ecs-base-20261124190000-0a1b2c", got ${buildId === undefined ? 'nothing' : `"${buildId}"`}`,
    );
  }
  const ref = { bucket: ctx.bucket, key: buildReportKeys(ctx.names.logPrefix, buildId, stage).log };
  const missing = () =>
    new AmiBakeError(
      `no ${stage === 'test' ? 'test ' : ''}log for build ${buildId} at s3://${ref.bucket}/${ref.key}: the ${stage === 'test' ? 'test ' : ''}instance never reported, or the log expired`,
      { code: 'LogNotFound' },
    );
  const note = `[amibake: the log is longer than ${LOG_MAX_BYTES} bytes; the whole log is s3://${ref.bucket}/${ref.key}]`;
  const table = { doc: ctx.clients.doc, tableName: ctx.names.buildsTable };
  const record = await getBuild(table, buildId);
  const out = write ? new PrintableStream(write) : undefined;
  const hash = createHash('sha256');
  const chunks: Uint8Array[] = [];
  const streamed = await streamObject(ctx.clients.s3, ref, LOG_MAX_BYTES, (bytes) => {
    hash.update(bytes);
    if (out) out.push(bytes);
    else chunks.push(bytes);
  });
  if (!streamed) throw missing();
  const check = checkFile(
    streamed.truncated ? undefined : hash.digest('hex'),
    record?.attested?.[stage]?.logSha256,
  );
  const what = `the ${stage === 'test' ? 'test ' : ''}log of ${buildId}`;
  const warnings = [fileNote(what, check), consoleNote(record?.attested?.[stage]?.serialConsole)];
  const notes = [
    ...(streamed.truncated ? [note] : []),
    ...warnings.flatMap((w) => (w ? [`[amibake: ${w}]`] : [])),
  ];
  if (out) {
    out.end();
    const lineEnd = out.last === '' || out.last === '\n' ? '' : '\n';
    const text = `${lineEnd}${notes.map((n) => `${n}\n`).join('')}`;
    return { buildId, truncated: streamed.truncated, attested: check.verdict, text, streamed: true };
  }
  const log = Buffer.concat(chunks).toString('utf-8');
  return {
    buildId,
    log,
    truncated: streamed.truncated,
    attested: check.verdict,
    text: [log.trimEnd(), ...notes].join('\n'),
  };
}

/** What the reader must know of an attestation believed while the account allowed the serial console. */
function consoleNote(access: 'enabled' | 'unknown' | undefined): string | undefined {
  if (access === 'enabled')
    return 'the account allowed the EC2 serial console when this report was believed: whoever could use it may have typed the attestation (aws ec2 disable-serial-console-access)';
  if (access === 'unknown')
    return 'whether the account allowed the EC2 serial console when this report was believed could not be read: the attestation may have been typed there';
  return undefined;
}
