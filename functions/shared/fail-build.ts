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
): Promise<EndedOutcome> {
  const ended = await finishBuild(deps.table, build, status, { reason, errorCode }, deps.now());
  deps.log.error(status === 'failed' ? 'build failed' : 'build timed out', {
    buildId: build.buildId,
    recipe: build.recipeName,
    reason,
    errorCode,
  });
  if (ended) await deps.notify?.(build, { status, reason, errorCode });
  return { outcome: status, buildId: build.buildId, reason };
}
