import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { artifactsBucketName, type DeploymentNames, deploymentNames } from '../deployment/names';
import {
  createAutoScaling,
  createDocumentClient,
  createEc2,
  createEvents,
  createLambda,
  createS3,
  createSns,
  createSsm,
} from '../functions/shared/aws/clients';
import type { RecipeStore } from '../functions/shared/aws/recipe-store';
import { AmiBakeError } from '../functions/shared/errors';
import { createLogger } from '../functions/shared/logger';

type Clients = {
  ec2: ReturnType<typeof createEc2>;
  s3: ReturnType<typeof createS3>;
  ssm: ReturnType<typeof createSsm>;
  sns: ReturnType<typeof createSns>;
  lambda: ReturnType<typeof createLambda>;
  events: ReturnType<typeof createEvents>;
  autoscaling: ReturnType<typeof createAutoScaling>;
  doc: ReturnType<typeof createDocumentClient>;
};

/** A deployed stack as the command finds it: names from the prefix, bucket from the account. */
export interface StackContext {
  names: DeploymentNames;
  region: string;
  account: string;
  bucket: string;
  store: RecipeStore;
  clients: Clients;
  log: ReturnType<typeof createLogger>;
}

/** An error of the environment (credentials, stack): exit code 3. */
export class EnvironmentError extends AmiBakeError {
  override readonly name = 'EnvironmentError';
}

export async function findStack(prefix: string, region: string): Promise<StackContext> {
  process.env.AWS_REGION = region;
  const clients: Clients = {
    ec2: createEc2(),
    s3: createS3(),
    ssm: createSsm(),
    sns: createSns(),
    lambda: createLambda(),
    events: createEvents(),
    autoscaling: createAutoScaling(),
    doc: createDocumentClient(),
  };
  const account = await accountId();
  const names = deploymentNames(prefix);
  if (!(await tableExists(clients, names.buildsTable))) {
    throw new EnvironmentError(
      `no amibake stack with prefix "${prefix}" in ${region} (table ${names.buildsTable} not found): deploy it with npx cdktf deploy, or pass --prefix and --region`,
    );
  }
  const bucket = artifactsBucketName(prefix, account, region);
  const recipesTable = await tableExists(clients, names.recipesTable);
  const store: RecipeStore = recipesTable
    ? { kind: 'dynamodb', doc: clients.doc, tableName: names.recipesTable }
    : { kind: 's3', s3: clients.s3, bucket, key: names.recipesKey };
  return {
    names,
    region,
    account,
    bucket,
    store,
    clients,
    log: createLogger('amibake', { level: 'silent' }),
  };
}

async function accountId(): Promise<string> {
  try {
    const identity = await new STSClient({}).send(new GetCallerIdentityCommand({}));
    return identity.Account ?? '';
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'CredentialsProviderError' || name === 'ExpiredToken' || name === 'InvalidClientTokenId') {
      throw new EnvironmentError(
        `no usable AWS credentials (${name}): set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or log in with aws sso login`,
      );
    }
    throw error;
  }
}

async function tableExists(clients: Clients, name: string): Promise<boolean> {
  try {
    await clients.doc.send(new DescribeTableCommand({ TableName: name }));
    return true;
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return false;
    throw error;
  }
}
