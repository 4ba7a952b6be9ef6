import type { Notification } from './aws/notifications';
import type { BuildRecord, FinalStatus } from './build-record';
import type { ConsumerUpdate } from './update-consumers';

export interface BuildOutcome {
  status: FinalStatus;
  reason: string;
  imageId?: string;
  /** The image in every region it reached. */
  images?: Record<string, string>;
  errorCode?: string;
  /** What happened to the recipe's launch templates and Auto Scaling groups. */
  consumers?: ConsumerUpdate[];
  /** Package changes of a succeeded build (see package-changes.ts). */
  packages?: {
    against: string;
    added: number;
    removed: number;
    changed: number;
    kernel?: { from: string; to: string } | undefined;
    /** Why the counts may not be the instance's: a manifest that is not the attested one. */
    notAttested?: string[];
  };
}

/** Tells subscribers that a build ended; failures to tell are logged, never fatal to the build. */
export type Notify = (build: BuildRecord, outcome: BuildOutcome) => Promise<void>;

/**
 * The message of a finished build (pure). The subject starts with the status so that people
 * can filter on it; subscribers can also filter on the `status` and `recipe` attributes.
 */
export function buildNotification(
  build: BuildRecord,
  outcome: BuildOutcome,
  context: { finishedAt: Date; region: string },
): Notification {
  const { finishedAt } = context;
  const minutes = Math.round((finishedAt.getTime() - Date.parse(build.createdAt)) / 60_000);
  const succeeded = outcome.status === 'succeeded';
  const subject = succeeded
    ? `[amibake] succeeded: ${build.recipeName} ${outcome.imageId ?? ''}`
    : `[amibake] ${outcome.status}: ${build.recipeName} (${outcome.errorCode ?? 'error'})`;
  const body = {
    status: outcome.status,
    recipe: build.recipeName,
    buildId: build.buildId,
    baseImageId: build.baseImageId,
    ...(build.baseImageName ? { baseImageName: build.baseImageName } : {}),
    ...(succeeded && outcome.imageId
      ? { images: outcome.images ?? { [context.region]: outcome.imageId } }
      : {}),
    ...(!succeeded ? { reason: outcome.reason, errorCode: outcome.errorCode } : {}),
    ...(build.test?.outcome ? { tests: build.test.outcome } : {}),
    ...(outcome.packages ? { packages: outcome.packages } : {}),
    ...(outcome.consumers ? { consumers: outcome.consumers } : {}),
    ...(build.logLocation ? { log: build.logLocation } : {}),
    durationMinutes: minutes,
    startedAt: build.createdAt,
    finishedAt: finishedAt.toISOString(),
  };
  return {
    subject: subject.trim().slice(0, 100),
    body: JSON.stringify(body, null, 2),
    attributes: { status: outcome.status, recipe: build.recipeName },
  };
}
