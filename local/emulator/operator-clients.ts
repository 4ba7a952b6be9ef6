import { CloudWatchEventsClient } from '@aws-sdk/client-cloudwatch-events';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { OPERATOR } from './callers';

/** SDK clients signed as the operator: what the tests, the harness and the emulated services use. */
export interface OperatorClients {
  region: string;
  ec2: EC2Client;
  s3: S3Client;
  ssm: SSMClient;
  dynamodb: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  events: CloudWatchEventsClient;
  iam: IAMClient;
  lambda: LambdaClient;
  sns: SNSClient;
  sqs: SQSClient;
  /** The same clients in another region. */
  inRegion(region: string): OperatorClients;
}

export function operatorClients(endpoint: string, region: string): OperatorClients {
  const cache = new Map<string, OperatorClients>();
  const make = (at: string): OperatorClients => {
    const config = { endpoint, region: at, credentials: OPERATOR, maxAttempts: 3 };
    const dynamodb = new DynamoDBClient(config);
    return {
      region: at,
      ec2: new EC2Client(config),
      s3: new S3Client({ ...config, forcePathStyle: true }),
      ssm: new SSMClient(config),
      dynamodb,
      doc: DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
      events: new CloudWatchEventsClient(config),
      iam: new IAMClient(config),
      lambda: new LambdaClient(config),
      sns: new SNSClient(config),
      sqs: new SQSClient(config),
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
