import { randomBytes } from 'node:crypto';
import {
  createDocumentClient,
  createEc2,
  createLambda,
  createS3,
  createSns,
  createSsm,
} from '../shared/aws/clients';
import { integerEnv, optionalEnv, requireEnv } from '../shared/env';
import type { LambdaContext } from '../shared/lambda-context';
import { createLogger } from '../shared/logger';
import { topicAnnouncer, topicNotifier } from '../shared/notifier';
import { recipeStoreFrom } from '../shared/recipe-store-config';
import { runTrigger } from './run-trigger';
import { parseTriggerEvent } from './trigger-event';

const ec2 = createEc2();
const ssm = createSsm();
const s3 = createS3();
const lambda = createLambda();
const doc = createDocumentClient();
const sns = createSns();
const log = createLogger('ami_build_trigger');

/**
 * Scheduled daily (or invoked by hand): starts a build for every recipe that is due. A vendor's
 * release notification runs the recipes that track its topic.
 */
export async function handler(event: unknown, context?: LambdaContext) {
  log.startInvocation(context);
  const scope = parseTriggerEvent(event);
  if ('rejected' in scope) {
    log.warn('event rejected', { reason: scope.rejected });
    return scope;
  }
  const decisions = await runTrigger(
    {
      store: recipeStoreFrom(
        {
          kind: requireEnv('RECIPES_STORE'),
          bucket: optionalEnv('RECIPES_BUCKET'),
          key: optionalEnv('RECIPES_KEY'),
          table: optionalEnv('RECIPES_TABLE'),
        },
        { s3, doc },
      ),
      ec2,
      ssm,
      s3,
      lambda,
      table: { doc, tableName: requireEnv('BUILDS_TABLE') },
      log,
      now: () => new Date(),
      randomHex: () => randomBytes(3).toString('hex'),
      notify: topicNotifier(sns, optionalEnv('NOTIFY_TOPIC_ARN'), requireEnv('AWS_REGION'), log),
      announce: topicAnnouncer(sns, optionalEnv('NOTIFY_TOPIC_ARN'), log),
    },
    {
      maxInFlight: integerEnv('MAX_IN_FLIGHT', 5),
      deployment: requireEnv('DEPLOYMENT'),
      instanceCreateFunction: requireEnv('INSTANCE_CREATE_FUNCTION'),
      scope,
    },
  );
  return { decisions };
}
