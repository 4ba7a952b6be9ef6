import type { AttestedFiles, Stage } from '../shared/build-record';

/** The outcome the instance reported through its pre-signed status URL. */
interface BuildReport {
  exitCode: number;
  reason: string;
  startedAt?: string;
  finishedAt?: string;
}

/** The failures the wrapper itself names (any other code in a report is ignored). */
const WRAPPER_ERROR_CODES = new Set(['ScriptDigestMismatch', 'HygieneFailed']);

export type Outcome =
  | { succeeded: true; report: BuildReport }
  | { succeeded: false; reason: string; errorCode: string };

/** A report as far as the console attests it: an outcome, or a wait for the attestation. */
export type ReadReport = Outcome | { waiting: string };

/**
 * Decides success from the status object's text (undefined when the instance never reported).
 * The test stage's codes are its own: TestsFailed, TestsTimedOut.
 */
export function outcomeOf(statusText: string | undefined, buildId: string, stage: Stage = 'build'): Outcome {
  if (statusText === undefined) {
    return {
      succeeded: false,
      errorCode: 'NoReport',
      reason:
        'the instance stopped without reporting a status (user data did not run, or it crashed before the end)',
    };
  }
  let report: Partial<BuildReport> & { buildId?: unknown; errorCode?: unknown; stage?: unknown };
  try {
    report = JSON.parse(statusText);
  } catch {
    return {
      succeeded: false,
      errorCode: 'BadReport',
      reason: `the reported status is not JSON: ${statusText.slice(0, 80)}`,
    };
  }
  if (report.buildId !== buildId || typeof report.exitCode !== 'number') {
    return {
      succeeded: false,
      errorCode: 'BadReport',
      reason: `the reported status is not for build ${buildId}: ${statusText.slice(0, 120)}`,
    };
  }
  // A build stage's status never stands for the tests, nor the reverse.
  if ((report.stage ?? 'build') !== stage) {
    return {
      succeeded: false,
      errorCode: 'BadReport',
      reason: `the reported status is of the ${String(report.stage)} stage, not the ${stage} stage: ${statusText.slice(0, 120)}`,
    };
  }
  const full: BuildReport = {
    exitCode: report.exitCode,
    reason: String(report.reason ?? ''),
    ...(report.startedAt ? { startedAt: report.startedAt } : {}),
    ...(report.finishedAt ? { finishedAt: report.finishedAt } : {}),
  };
  const wrapperError =
    typeof report.errorCode === 'string' && WRAPPER_ERROR_CODES.has(report.errorCode)
      ? report.errorCode
      : undefined;
  if (report.exitCode === 0 && !wrapperError) return { succeeded: true, report: full };
  const timedOut = report.exitCode === 124;
  const code =
    stage === 'test'
      ? timedOut
        ? 'TestsTimedOut'
        : 'TestsFailed'
      : timedOut
        ? 'CustomisationTimedOut'
        : 'CustomisationFailed';
  return {
    succeeded: false,
    errorCode: wrapperError ?? code,
    reason:
      full.reason || `${stage === 'test' ? 'tests' : 'customisation'} exited with status ${report.exitCode}`,
  };
}

const SHA256 = /^[0-9a-f]{64}$/;

/** The digests of the uploaded log and manifest that a status object names (pure). */
export function attestedFiles(statusText: string): AttestedFiles {
  let status: { logSha256?: unknown; packagesSha256?: unknown };
  try {
    status = JSON.parse(statusText);
  } catch {
    return {};
  }
  const digest = (value: unknown) => (typeof value === 'string' && SHA256.test(value) ? value : undefined);
  const logSha256 = digest(status.logSha256);
  const packagesSha256 = digest(status.packagesSha256);
  return { ...(logSha256 ? { logSha256 } : {}), ...(packagesSha256 ? { packagesSha256 } : {}) };
}

/**
 * What the wrapper writes to the instance's serial console when it reports (user_data/wrapper.sh):
 * only code running on the instance can write there, and the pipeline reads it back with
 * GetConsoleOutput, so it binds the status object to the instance. Only a whole line counts (the
 * wrapper starts it on a fresh line): services log text that others choose to the console (a
 * rejected login's user name, a DHCP host name), and such text must not pass for an attestation.
 */
const ATTESTATION = /^amibake-attestation build=(\S+) exit=(\d+) status-sha256=([0-9a-f]{64})\r*$/gm;

export interface Attestation {
  exitCode: number;
  statusSha256: string;
}

/** The distinct attestations of a build on a console (a line may reach several console devices). */
export function attestationsOf(consoleText: string, buildId: string): Attestation[] {
  const seen = new Map<string, Attestation>();
  for (const [, build, exit, digest] of consoleText.matchAll(ATTESTATION)) {
    if (build !== buildId) continue;
    seen.set(`${exit} ${digest}`, { exitCode: Number(exit), statusSha256: digest as string });
  }
  return [...seen.values()];
}

export type Attested =
  | { verdict: 'attested' }
  | { verdict: 'contradicted'; reason: string }
  | { verdict: 'missing'; reason: string };

/**
 * Judges the status object against the console of the instance that should have written it:
 * attested when the console carries exactly one attestation of the build and it names the
 * status's SHA-256; contradicted when it names another (someone else wrote the status) or
 * several; missing when there is none (yet: EC2 may post a console late).
 */
export function judgeAttestation(
  statusSha256: string,
  consoleText: string,
  build: { buildId: string; instanceId: string },
): Attested {
  const found = attestationsOf(consoleText, build.buildId);
  const [only] = found;
  if (!only) {
    return {
      verdict: 'missing',
      reason: `the console of instance ${build.instanceId} carries no attestation of build ${build.buildId}`,
    };
  }
  if (found.length > 1) {
    return {
      verdict: 'contradicted',
      reason: `the console of instance ${build.instanceId} carries ${found.length} different attestations of build ${build.buildId}: the report is not trusted`,
    };
  }
  if (only.statusSha256 !== statusSha256) {
    return {
      verdict: 'contradicted',
      reason: `the status object (SHA-256 ${statusSha256}) is not the one instance ${build.instanceId} attested on its console (exit status ${only.exitCode}, SHA-256 ${only.statusSha256}): someone else wrote it`,
    };
  }
  return { verdict: 'attested' };
}
