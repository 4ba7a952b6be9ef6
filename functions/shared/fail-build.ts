import { type BuildsTable, finishBuild } from './aws/builds-table';
import type { BuildRecord } from './build-record';
import type { Logger } from './logger';
import type { Notify } from './notification';

export interface EndedOutcome {
  outcome: 'failed' | 'timed_out';
  buildId: string;
  reason: string;
}

export interface EndDeps {
  table: BuildsTable;
  log: Logger;
  now: () => Date;
  notify?: Notify | undefined;
}

/** Ends a build as failed (or timed out) with its reason and error code, says so in the log, and notifies. */
export async function failBuild(
  deps: EndDeps,
  build: BuildRecord,
  reason: string,
  errorCode: string,
  status: 'failed' | 'timed_out' = 'failed',
  /** Recorded with the end (the test stage's outcome). */
  changes: Pick<BuildRecord, 'test'> = {},
): Promise<EndedOutcome> {
  const bounded = boundedReason(reason);
  const ended = await finishBuild(
    deps.table,
    build,
    status,
    { ...changes, reason: bounded, errorCode },
    deps.now(),
  );
  deps.log.error(status === 'failed' ? 'build failed' : 'build timed out', {
    buildId: build.buildId,
    recipe: build.recipeName,
    reason,
    errorCode,
  });
  if (ended) await deps.notify?.(build, { status, reason: bounded, errorCode });
  return { outcome: status, buildId: build.buildId, reason: bounded };
}

/** Reasons kept in build records and notifications; the log keeps the whole reason. */
export const REASON_MAX_CHARACTERS = 500;

/**
 * A reason cut to REASON_MAX_CHARACTERS (part of it may come from the build instance's report),
 * saying how much was left out and where the rest is.
 */
export function boundedReason(reason: string): string {
  if (reason.length <= REASON_MAX_CHARACTERS) return reason;
  const note = ` … (${reason.length - REASON_MAX_CHARACTERS} more characters in the function's log)`;
  return `${reason.slice(0, REASON_MAX_CHARACTERS)}${note}`;
}
