import { setTimeout as sleep } from 'node:timers/promises';
import { createDocumentClient, createEc2, createEvents, createS3 } from '../shared/aws/clients';
import { optionalEnv, requireEnv } from '../shared/env';
import { InvalidInputError } from '../shared/errors';
import type { LambdaContext } from '../shared/lambda-context';
import { createLogger, parseLogLevel } from '../shared/logger';
import { completeBuild } from './complete-build';
import { parseStoppedEvent, type StoppedEvent } from './stopped-event';

const ec2 = createEc2();
const s3 = createS3();
const events = createEvents();
const doc = createDocumentClient();
const log = createLogger('ami_image_create', { level: parseLogLevel(optionalEnv('LOG_LEVEL')) });

/** Time kept back from the function's timeout for the final record and clean-up. */
const SAFETY_MARGIN_MS = 60_000;

/** Invoked by the per-build rule when the build instance stops. */
export async function handler(event: unknown, context?: LambdaContext) {
  let stopped: StoppedEvent;
  try {
    stopped = parseStoppedEvent(event);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    log.warn('event rejected', { problems: error.problems });
    return { outcome: 'rejected', reason: error.message };
  }
  const result = await completeBuild(
    {
      ec2,
      s3,
      events,
      table: { doc, tableName: requireEnv('BUILDS_TABLE') },
      log,
      now: () => new Date(),
      sleep: (ms) => sleep(ms),
      remainingMs: () => (context?.getRemainingTimeInMillis?.() ?? 0) - SAFETY_MARGIN_MS,
    },
    {
      bucket: requireEnv('ARTIFACTS_BUCKET'),
      logPrefix: requireEnv('BUILD_LOG_PREFIX'),
      pollIntervalMs: 15_000,
    },
    stopped,
  );
  log.info('completion finished', { ...result });
  return result;
}
