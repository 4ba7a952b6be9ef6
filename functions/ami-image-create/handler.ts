import {
  createAutoScaling,
  createDocumentClient,
  createEc2,
  createEvents,
  createLambda,
  createS3,
  createSns,
  createSsm,
} from '../shared/aws/clients';
import { invokeAsync } from '../shared/aws/invoke';
import { BOOT_MARGIN_MINUTES } from '../shared/build-record';
import { optionalEnv, requireEnv } from '../shared/env';
import { InvalidInputError } from '../shared/errors';
import type { LambdaContext } from '../shared/lambda-context';
import { createLogger } from '../shared/logger';
import { topicNotifier } from '../shared/notifier';
import { isScheduledEvent } from '../shared/scheduled-event';
import { type CompleteDeps, type CompleteSettings, completeBuild, resumeImaging } from './complete-build';
import type { RegionalClients } from './distribute';
import { isImageStateEvent, parseImageStateEvent } from './image-state-event';
import { parseStoppedEvent } from './stopped-event';
import { sweep } from './sweep';
import { checkSweepInvocation } from './sweep-event';

const ec2 = createEc2();
const s3 = createS3();
const events = createEvents();
const doc = createDocumentClient();
const ssm = createSsm();
const sns = createSns();
const lambda = createLambda();
const autoscaling = createAutoScaling();
const log = createLogger('ami_image_create');

const regions = new Map<string, RegionalClients>();
/** Clients of a region (the home region's are the ones above), created once. */
function regional(region: string): RegionalClients {
  if (region === process.env.AWS_REGION) return { ec2, ssm };
  let clients = regions.get(region);
  if (!clients) {
    clients = { ec2: createEc2({ region }), ssm: createSsm({ region }) };
    regions.set(region, clients);
  }
  return clients;
}

/** Sweep limits: see plan-sweep.ts. */
const LAUNCH_GRACE_MINUTES = 15;

/**
 * Invoked by a build's rule when its instance stops, by the image-state rules when an image or
 * copy becomes available or fails, and by the sweep schedule to reconcile the builds in flight.
 * It never waits for AWS: each step ends where the next event takes over. Anything else is rejected before any AWS call.
 */
export async function handler(event: unknown, context?: LambdaContext) {
  log.startInvocation(context);
  const deps: CompleteDeps = {
    ec2,
    s3,
    ssm,
    events,
    table: { doc, tableName: requireEnv('BUILDS_TABLE') },
    log,
    now: () => new Date(),
    notify: topicNotifier(sns, optionalEnv('NOTIFY_TOPIC_ARN'), requireEnv('AWS_REGION'), log),
    regional,
    autoscaling,
    requestTest: (buildId) =>
      invokeAsync(lambda, requireEnv('INSTANCE_CREATE_FUNCTION'), { buildId, stage: 'test' }),
  };
  const settings: CompleteSettings = {
    bucket: requireEnv('ARTIFACTS_BUCKET'),
    logPrefix: requireEnv('BUILD_LOG_PREFIX'),
    deployment: requireEnv('DEPLOYMENT'),
    region: requireEnv('AWS_REGION'),
  };
  try {
    if (isScheduledEvent(event)) {
      const now = deps.now();
      const limits = {
        deployment: settings.deployment,
        functionArn: checkSweepInvocation(event, context?.invokedFunctionArn, now),
        launchGraceMinutes: LAUNCH_GRACE_MINUTES,
        bootMarginMinutes: BOOT_MARGIN_MINUTES,
      };
      return { outcome: 'swept', ...(await sweep(deps, settings, limits, now)) };
    }
    const result = isImageStateEvent(event)
      ? await resumeImaging(deps, settings, parseImageStateEvent(event))
      : await completeBuild(deps, settings, parseStoppedEvent(event));
    log.info('completion finished', { ...result });
    return result;
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    log.warn('event rejected', { problems: error.problems });
    return { outcome: 'rejected', reason: error.message };
  }
}
