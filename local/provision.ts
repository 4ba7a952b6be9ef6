import { BatchWriteItemCommand, CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import {
  CreateBucketCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { CreateTopicCommand, type SNSClient } from '@aws-sdk/client-sns';
import { toItem } from '../deployment/dynamodb-json';
import type { Deployment } from '../deployment/model';
import { BUILDS_TABLE_SCHEMA, RECIPES_TABLE_SCHEMA, type TableSchema } from '../deployment/tables';

export interface ProvisionClients {
  dynamodb: DynamoDBClient;
  s3: S3Client;
  iam: IAMClient;
  sns: SNSClient;
}

/** Creates in the emulator what the stack declares: table(s), bucket, scripts, recipes, instance profile. */
export async function provision(clients: ProvisionClients, deployment: Deployment): Promise<void> {
  const { names } = deployment;
  await createTable(clients.dynamodb, names.buildsTable, BUILDS_TABLE_SCHEMA);
  await clients.s3.send(new CreateBucketCommand({ Bucket: deployment.bucket }));
  await clients.s3.send(
    new PutBucketVersioningCommand({
      Bucket: deployment.bucket,
      VersioningConfiguration: { Status: 'Enabled' },
    }),
  );
  for (const script of deployment.scripts) {
    await clients.s3.send(
      new PutObjectCommand({
        Bucket: deployment.bucket,
        Key: script.key,
        Body: script.content,
        ContentType: 'text/x-shellscript',
      }),
    );
  }
  await publishRecipes(clients, deployment);
  await clients.sns.send(new CreateTopicCommand({ Name: `${names.prefix}-builds` }));
  await clients.iam.send(
    new CreateRoleCommand({
      RoleName: names.buildRole,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    }),
  );
  await clients.iam.send(
    new CreateInstanceProfileCommand({ InstanceProfileName: names.buildInstanceProfile }),
  );
  await clients.iam.send(
    new AddRoleToInstanceProfileCommand({
      InstanceProfileName: names.buildInstanceProfile,
      RoleName: names.buildRole,
    }),
  );
}

/** Writes the recipes to the configured store, as the stack's recipe resources do. */
export async function publishRecipes(clients: ProvisionClients, deployment: Deployment): Promise<void> {
  if (deployment.config.recipeStore === 's3') {
    await clients.s3.send(
      new PutObjectCommand({
        Bucket: deployment.bucket,
        Key: deployment.names.recipesKey,
        Body: deployment.recipesDocument,
        ContentType: 'application/json',
      }),
    );
    return;
  }
  await createTable(clients.dynamodb, deployment.names.recipesTable, RECIPES_TABLE_SCHEMA).catch(
    (error: Error) => {
      if (error.name !== 'ResourceInUseException') throw error;
    },
  );
  for (let i = 0; i < deployment.recipeItems.length; i += 25) {
    await clients.dynamodb.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [deployment.names.recipesTable]: deployment.recipeItems
            .slice(i, i + 25)
            .map((item) => ({ PutRequest: { Item: toItem(item) } })),
        },
      }),
    );
  }
}

async function createTable(dynamodb: DynamoDBClient, name: string, schema: TableSchema): Promise<void> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: schema.attributes.map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
      KeySchema: [
        { AttributeName: schema.hashKey, KeyType: 'HASH' },
        ...(schema.rangeKey ? [{ AttributeName: schema.rangeKey, KeyType: 'RANGE' as const }] : []),
      ],
      ...(schema.globalSecondaryIndexes.length > 0
        ? {
            GlobalSecondaryIndexes: schema.globalSecondaryIndexes.map((index) => ({
              IndexName: index.name,
              KeySchema: [
                { AttributeName: index.hashKey, KeyType: 'HASH' },
                { AttributeName: index.rangeKey, KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'ALL' },
            })),
          }
        : {}),
    }),
  );
}
