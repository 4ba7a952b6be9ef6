/** The outcome the instance reported through its pre-signed status URL. */
export interface BuildReport {
  exitCode: number;
  reason: string;
  startedAt?: string;
  finishedAt?: string;
}

/** The failures the wrapper itself names (any other code in a report is ignored). */
const WRAPPER_ERROR_CODES = new Set(['ScriptDigestMismatch']);

export type Outcome =
  | { succeeded: true; report: BuildReport }
  | { succeeded: false; reason: string; errorCode: string };

/** Decides success from the status object's text (undefined when the instance never reported). */
export function outcomeOf(statusText: string | undefined, buildId: string): Outcome {
  if (statusText === undefined) {
    return {
      succeeded: false,
      errorCode: 'NoReport',
      reason:
        'the instance stopped without reporting a status (user data did not run, or it crashed before the end)',
    };
  }
  let report: Partial<BuildReport> & { buildId?: unknown; errorCode?: unknown };
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
  return {
    succeeded: false,
    errorCode: wrapperError ?? (report.exitCode === 124 ? 'CustomisationTimedOut' : 'CustomisationFailed'),
    reason: full.reason || `customisation exited with status ${report.exitCode}`,
  };
}
