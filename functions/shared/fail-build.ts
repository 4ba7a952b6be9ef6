import { type BuildsTable, finishBuild } from './aws/builds-table';
import type { BuildRecord } from './build-record';
import type { Logger } from './logger';

export interface FailedOutcome {
  outcome: 'failed';
  buildId: string;
  reason: string;
}

/** Ends a build as failed with its reason and error code, and says so in the log. */
export async function failBuild(
  deps: { table: BuildsTable; log: Logger; now: () => Date },
  build: BuildRecord,
  reason: string,
  errorCode: string,
): Promise<FailedOutcome> {
  await finishBuild(deps.table, build, 'failed', { reason, errorCode }, deps.now());
  deps.log.error('build failed', { buildId: build.buildId, recipe: build.recipeName, reason, errorCode });
  return { outcome: 'failed', buildId: build.buildId, reason };
}
