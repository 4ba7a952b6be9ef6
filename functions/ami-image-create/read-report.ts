import type { EC2Client, Instance } from '@aws-sdk/client-ec2';
import type { S3Client } from '@aws-sdk/client-s3';
import { type BuildsTable, updateBuild } from '../shared/aws/builds-table';
import { consoleOutput, describeInstance, serialConsoleAccess } from '../shared/aws/instances';
import { getText } from '../shared/aws/objects';
import { runsOnNitro } from '../shared/aws-facts';
import { type AttestedFiles, type BuildRecord, buildReportKeys, type Stage } from '../shared/build-record';
import { sha256Hex } from '../shared/recipe-hash';
import { attestedFiles, judgeAttestation, outcomeOf, type ReadReport } from './build-report';

/** The wrapper's status is a few hundred bytes: more than this is not read (and is not JSON). */
const STATUS_MAX_BYTES = 4096;

/**
 * How long a reported success waits for its attestation to show on the console. EC2 posts the
 * console output of a non-Nitro instance some time after it stops (minutes; up to about 20).
 */
export const ATTESTATION_GRACE_MINUTES = 30;

export interface ReportDeps {
  ec2: EC2Client;
  s3: S3Client;
  table: BuildsTable;
  now: () => Date;
}

/**
 * What the build's instance reported, believed only as far as its console attests it: a status
 * object that the instance did not attest fails the build (`ReportForged`), and a success whose
 * attestation has not shown yet waits for it, then fails (`NoAttestation`). A reported failure
 * needs no attestation: nobody gains an image by it.
 */
export async function readReport(
  deps: ReportDeps,
  settings: { bucket: string; logPrefix: string },
  build: BuildRecord,
  /** The stage's instance, when the caller has described it already. */
  described?: Instance,
  stage: Stage = 'build',
): Promise<ReadReport> {
  const { buildId } = build;
  const test = stage === 'test' ? build.test : undefined;
  const instanceId = (stage === 'test' ? test?.instanceId : build.instanceId) ?? '';
  const key = buildReportKeys(settings.logPrefix, buildId, stage).status;
  const status = await getText(deps.s3, { bucket: settings.bucket, key }, { maxBytes: STATUS_MAX_BYTES });
  const claimed = outcomeOf(status, buildId, stage);
  if (status === undefined) return claimed;
  const instance = described ?? (await describeInstance(deps.ec2, instanceId));
  const text = instance
    ? await consoleOutput(deps.ec2, instanceId, runsOnNitro(instance.InstanceType ?? ''))
    : '';
  const judged = judgeAttestation(sha256Hex(status), text, { buildId, instanceId });
  if (judged.verdict === 'attested') {
    // Recorded as the report is first believed: a repeated read (a resumed build) reads nothing more.
    if (!build.attested?.[stage]) {
      const files = { ...attestedFiles(status), ...(await consoleAccess(deps.ec2)) };
      await recordAttestedFiles(deps, build, stage, files);
    }
    return claimed;
  }
  if (judged.verdict === 'contradicted')
    return { succeeded: false, errorCode: 'ReportForged', reason: judged.reason };
  if (!claimed.succeeded) return claimed;
  const now = deps.now();
  const awaitedSince = test ? test.attestationAwaitedSince : build.attestationAwaitedSince;
  const wait = awaitAttestation(awaitedSince, now, judged.reason);
  if ('waiting' in wait && !awaitedSince) {
    const since = now.toISOString();
    if (test) {
      await updateBuild(
        deps.table,
        buildId,
        'testing',
        { test: { ...test, attestationAwaitedSince: since } },
        now,
      );
    } else {
      await updateBuild(deps.table, buildId, 'building', { attestationAwaitedSince: since }, now);
    }
  }
  return wait;
}

/**
 * What the account's serial console setting says of an attestation. It is not a reason to refuse
 * the report (an account may need the console to debug), so a setting that cannot be read is
 * recorded as unknown rather than failing the build.
 */
async function consoleAccess(ec2: EC2Client): Promise<Pick<AttestedFiles, 'serialConsole'>> {
  try {
    return (await serialConsoleAccess(ec2)) ? { serialConsole: 'enabled' } : {};
  } catch {
    return { serialConsole: 'unknown' };
  }
}

/**
 * Keeps what the stage's instance attested of its log and manifest in the record, where the
 * operator's commands and the notification find it.
 */
async function recordAttestedFiles(
  deps: ReportDeps,
  build: BuildRecord,
  stage: Stage,
  files: AttestedFiles,
): Promise<void> {
  if (Object.keys(files).length === 0) return;
  const attested = { ...build.attested, [stage]: files };
  await updateBuild(deps.table, build.buildId, build.status, { attested }, deps.now());
}

/**
 * Whether a reported success still waits for its attestation (pure): for
 * ATTESTATION_GRACE_MINUTES from the first time it was found missing, then it fails.
 */
export function awaitAttestation(since: string | undefined, now: Date, missing: string): ReadReport {
  const waited = since ? Math.floor((now.getTime() - Date.parse(since)) / 60_000) : 0;
  if (waited < ATTESTATION_GRACE_MINUTES) {
    return {
      waiting: `${missing} yet (waited ${waited} of ${ATTESTATION_GRACE_MINUTES} min for EC2 to post the console)`,
    };
  }
  return {
    succeeded: false,
    errorCode: 'NoAttestation',
    reason: `${missing} ${waited} min after the report: the success it reported is not believed (an image without a serial console, or a status written by someone else)`,
  };
}
