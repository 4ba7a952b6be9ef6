import wrapperTemplate from '../../user_data/wrapper.sh';
import {
  createDocumentClient,
  createEc2,
  createEvents,
  createPresigner,
  createS3,
  createSns,
} from '../shared/aws/clients';
import { optionalEnv, requireEnv } from '../shared/env';
import { InvalidInputError } from '../shared/errors';
import type { LambdaContext } from '../shared/lambda-context';
import { createLogger } from '../shared/logger';
import { topicNotifier } from '../shared/notifier';
import { launchBuild } from './launch-build';
import { parseLaunchEvent } from './launch-event';

const ec2 = createEc2();
const s3 = createS3();
const presigner = createPresigner();
const events = createEvents();
const doc = createDocumentClient();
const sns = createSns();
const log = createLogger('ami_ec2_instance_create');

/**
 * Invoked asynchronously by the trigger with `{ "buildId": ... }`, and by ami_image_create with
 * `{ "buildId": ..., "stage": "test" }` once the build's image is available.
 */
export async function handler(event: unknown, context?: LambdaContext) {
  log.startInvocation(context);
  let request: ReturnType<typeof parseLaunchEvent>;
  try {
    request = parseLaunchEvent(event);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    log.warn('event rejected', { problems: error.problems });
    return { outcome: 'rejected', reason: error.message };
  }
  log.appendKeys({ buildId: request.buildId });
  const result = await launchBuild(
    {
      ec2,
      s3,
      presigner,
      events,
      table: { doc, tableName: requireEnv('BUILDS_TABLE') },
      log,
      now: () => new Date(),
      notify: topicNotifier(sns, optionalEnv('NOTIFY_TOPIC_ARN'), requireEnv('AWS_REGION'), log),
    },
    {
      bucket: requireEnv('ARTIFACTS_BUCKET'),
      logPrefix: requireEnv('BUILD_LOG_PREFIX'),
      imageCreateFunctionArn: requireEnv('IMAGE_CREATE_FUNCTION_ARN'),
      defaults: {
        deployment: requireEnv('DEPLOYMENT'),
        instanceProfile: optionalEnv('BUILD_INSTANCE_PROFILE'),
        subnetId: optionalEnv('DEFAULT_SUBNET_ID'),
        securityGroupIds: (optionalEnv('DEFAULT_SECURITY_GROUP_IDS') ?? '').split(',').filter(Boolean),
      },
      wrapperTemplate,
    },
    request.buildId,
    request.stage,
  );
  log.info('launch finished', { ...result });
  return result;
}
