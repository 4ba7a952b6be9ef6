import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { retryStrategy } from './retry';

/**
 * SDK clients with amibake's retry policy (see retry.ts). Endpoints come from the environment
 * only (AWS_ENDPOINT_URL for the emulator).
 */
const retry = () => ({ retryStrategy: retryStrategy() });

export const createEc2 = (options: { region?: string } = {}) => new EC2Client({ ...retry(), ...options });
export const createS3 = () => new S3Client({ ...retry(), forcePathStyle: true });
/**
 * The client that signs the build instance's URLs. The SDK's default (since 3.729) computes a
 * checksum of every upload, and for a URL signed without a body that is the CRC-32 of nothing:
 * S3 then refuses every real upload. Pre-signed URLs carry no checksum.
 */
export const createPresigner = () =>
  new S3Client({ forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' });
export const createSsm = (options: { region?: string } = {}) => new SSMClient({ ...retry(), ...options });
export const createSns = () => new SNSClient(retry());
export const createLambda = () => new LambdaClient(retry());
export const createEvents = () => new EventBridgeClient(retry());
export const createAutoScaling = () => new AutoScalingClient(retry());
export const createDocumentClient = () =>
  DynamoDBDocumentClient.from(new DynamoDBClient(retry()), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
