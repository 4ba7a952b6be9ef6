import { type BuildsTable, finishBuild } from './aws/builds-table';
import type { BuildRecord } from './build-record';
import type { Logger } from './logger';

export interface EndedOutcome {
  outcome: 'failed' | 'timed_out';
  buildId: string;
  reason: string;
}

/** Ends a build as failed (or timed out) with its reason and error code, and says so in the log. */
export async function failBuild(
  deps: { table: BuildsTable; log: Logger; now: () => Date },
  build: BuildRecord,
  reason: string,
  errorCode: string,
  status: 'failed' | 'timed_out' = 'failed',
): Promise<EndedOutcome> {
  await finishBuild(deps.table, build, status, { reason, errorCode }, deps.now());
  deps.log.error(status === 'failed' ? 'build failed' : 'build timed out', {
    buildId: build.buildId,
    recipe: build.recipeName,
    reason,
    errorCode,
  });
  return { outcome: status, buildId: build.buildId, reason };
}
