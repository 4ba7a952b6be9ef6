import { join } from 'node:path';
import { CloudWatchEventsClient } from '@aws-sdk/client-cloudwatch-events';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AmiBakeConfig } from '../deployment/config';
import { FUNCTION_SETTINGS, type FunctionRole } from '../deployment/functions';
import { type Deployment, functionEnvironments, resolveDeployment } from '../deployment/model';
import { artifactsBucketName } from '../deployment/names';
import { DIST, PROJECT_ROOT } from '../scripts/bundle-functions';
import { AwsGateway } from './aws-gateway';
import { type LocalFunction, LocalLambdaRuntime } from './lambda-runtime';
import { type MotoServer, startMoto } from './moto-server';
import { provision } from './provision';

export const LOCAL_ACCOUNT = '123456789012';

export interface LocalClients {
  ec2: EC2Client;
  s3: S3Client;
  ssm: SSMClient;
  dynamodb: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  events: CloudWatchEventsClient;
  iam: IAMClient;
  sns: SNSClient;
  sqs: SQSClient;
}

/** moto behind the gateway, with the process environment pointing every AWS SDK client at it. */
export interface LocalAws {
  moto: MotoServer;
  gateway: AwsGateway;
  endpoint: string;
  region: string;
  clients: LocalClients;
  /** Asynchronous invokes received by the gateway, in order. */
  invokeQueue: { functionName: string; payload: string }[];
  stop(): Promise<void>;
}

export async function startLocalAws(region = 'us-east-1'): Promise<LocalAws> {
  const moto = await startMoto();
  const invokeQueue: LocalAws['invokeQueue'] = [];
  const gateway = new AwsGateway(moto.url, {
    asyncInvoke: (functionName, payload) => invokeQueue.push({ functionName, payload }),
  });
  try {
    const endpoint = await gateway.start();
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    delete process.env.AWS_PROFILE;
    const config = { endpoint, region };
    const dynamodb = new DynamoDBClient(config);
    const clients: LocalClients = {
      ec2: new EC2Client(config),
      s3: new S3Client({ ...config, forcePathStyle: true }),
      ssm: new SSMClient(config),
      dynamodb,
      doc: DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
      events: new CloudWatchEventsClient(config),
      iam: new IAMClient(config),
      sns: new SNSClient(config),
      sqs: new SQSClient(config),
    };
    return {
      moto,
      gateway,
      endpoint,
      region,
      clients,
      invokeQueue,
      stop: async () => {
        await gateway.stop();
        await moto.stop();
      },
    };
  } catch (error) {
    await moto.stop();
    throw error;
  }
}

export interface LocalDeployment {
  deployment: Deployment;
  runtime: LocalLambdaRuntime;
}

/** Wipes the emulator, then creates the stack's resources for `config` and loads the bundled functions. */
/**
 * The functions as the local runtime runs them: the bundles the stack zips, the environments and
 * timeouts the stack declares, with ARNs in the emulated account.
 */
/** The notifications topic the local run creates (the stack's `<prefix>-builds`). */
export function localTopicArn(deployment: Deployment): string {
  return `arn:aws:sns:${deployment.config.region}:${LOCAL_ACCOUNT}:${deployment.names.prefix}-builds`;
}

export function localFunctions(deployment: Deployment, logLevel?: string): LocalFunction[] {
  const region = deployment.config.region;
  const arn = (name: string) => `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:${name}`;
  const { functions } = deployment.names;
  const env = functionEnvironments(deployment, {
    imageCreate: arn(functions.imageCreate),
    topic: localTopicArn(deployment),
  });
  return (Object.keys(FUNCTION_SETTINGS) as FunctionRole[]).map((role) => ({
    name: functions[role],
    arn: arn(functions[role]),
    bundle: join(DIST, FUNCTION_SETTINGS[role].bundle, 'index.js'),
    environment: logLevel ? { ...env[role], LOG_LEVEL: logLevel } : env[role],
    timeoutSeconds: FUNCTION_SETTINGS[role].timeoutSeconds,
  }));
}

export async function deployLocally(
  aws: LocalAws,
  config: AmiBakeConfig,
  options: { logLevel?: string | undefined } = {},
): Promise<LocalDeployment> {
  await aws.moto.reset();
  aws.gateway.vendorImages.clear();
  aws.invokeQueue.length = 0;
  const deployment = resolveDeployment(
    { ...config, region: aws.region },
    { projectRoot: PROJECT_ROOT, bucket: artifactsBucketName(config.namePrefix, LOCAL_ACCOUNT, aws.region) },
  );
  await provision(aws.clients, deployment);
  const runtime = new LocalLambdaRuntime(localFunctions(deployment, options.logLevel), aws.gateway.faults);
  return { deployment, runtime };
}
