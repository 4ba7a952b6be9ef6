import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { OPERATOR } from './callers';

/** SDK clients of the emulated account, signed as the operator unless other credentials are given. */
export interface AwsClients {
  region: string;
  ec2: EC2Client;
  s3: S3Client;
  /** Signs URLs as the functions do (no checksum signed in). */
  presigner: S3Client;
  ssm: SSMClient;
  dynamodb: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  events: EventBridgeClient;
  iam: IAMClient;
  kms: KMSClient;
  lambda: LambdaClient;
  sns: SNSClient;
  sqs: SQSClient;
  autoscaling: AutoScalingClient;
  /** The same clients in another region. */
  inRegion(region: string): AwsClients;
}

export function awsClients(
  endpoint: string,
  region: string,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = OPERATOR,
): AwsClients {
  const cache = new Map<string, AwsClients>();
  const make = (at: string): AwsClients => {
    const config = { endpoint, region: at, credentials, maxAttempts: 3 };
    const dynamodb = new DynamoDBClient(config);
    return {
      region: at,
      ec2: new EC2Client(config),
      s3: new S3Client({ ...config, forcePathStyle: true }),
      presigner: new S3Client({
        ...config,
        forcePathStyle: true,
        requestChecksumCalculation: 'WHEN_REQUIRED',
      }),
      ssm: new SSMClient(config),
      dynamodb,
      doc: DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
      events: new EventBridgeClient(config),
      iam: new IAMClient(config),
      kms: new KMSClient(config),
      lambda: new LambdaClient(config),
      sns: new SNSClient(config),
      sqs: new SQSClient(config),
      autoscaling: new AutoScalingClient(config),
      inRegion: (other) => {
        let clients = cache.get(other);
        if (!clients) {
          clients = other === region ? home : make(other);
          cache.set(other, clients);
        }
        return clients;
      },
    };
  };
  const home = make(region);
  return home;
}
