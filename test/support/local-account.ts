import { DescribeImagesCommand, DescribeInstancesCommand, type Image } from '@aws-sdk/client-ec2';
import { ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { config as sampleConfig } from '../../amibake.config';
import type { AmiBakeConfig, RecipeConfig } from '../../deployment/config';
import type { FunctionRole } from '../../deployment/functions';
import { getBuild } from '../../functions/shared/aws/builds-table';
import type { BuildRecord } from '../../functions/shared/build-record';
import { clearBuildData } from '../../local/clear-build-data';
import { type AwsClients, awsClients } from '../../local/emulator/aws-clients';
import { OPERATOR } from '../../local/emulator/callers';
import { LocalAccount, type LocalStack } from '../../local/local-account';
import { bundleFunctions } from '../../scripts/bundle-functions';

let shared: Promise<LocalAccount> | undefined;
const stacks = new Map<string, LocalStack>();

/** One emulated account for the whole test run (started on first use, stopped after the last test). */
export function localAccount(): Promise<LocalAccount> {
  if (!shared) {
    bundleFunctions();
    shared = LocalAccount.start('us-east-1');
  }
  return shared;
}

export async function stopLocalAccount(): Promise<void> {
  if (shared) await (await shared).stop();
  shared = undefined;
  stacks.clear();
}

/**
 * Deploys a configuration's stack with Terraform (an apply only when the stack changed) and
 * returns the account to "just deployed": no build, instance, image, rule or record of earlier tests.
 */
export async function deployed(
  config: AmiBakeConfig,
  options: { keepBuildData?: boolean } = {},
): Promise<{ account: LocalAccount; stack: LocalStack }> {
  const account = await localAccount();
  const stack = await account.deploy(config);
  stacks.delete(config.namePrefix);
  stacks.set(config.namePrefix, stack);
  if (!options.keepBuildData) await clearBuildData(account, [...stacks.values()]);
  return { account, stack };
}

/** The stack deployed last (deploying the standard one if there is none), without applying anything. */
export async function currentStack(): Promise<{ account: LocalAccount; stack: LocalStack }> {
  const last = [...stacks.values()].at(-1);
  return last ? { account: await localAccount(), stack: last } : deployed(standardConfig());
}

/** The environment the `amibake` command reads: the emulator's endpoint and the operator's credentials. */
export function pointCliAt(account: LocalAccount): void {
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: account.emulator.endpoint,
    AWS_ACCESS_KEY_ID: OPERATOR.accessKeyId,
    AWS_SECRET_ACCESS_KEY: OPERATOR.secretAccessKey,
    AWS_REGION: account.region,
  });
  delete process.env.AWS_PROFILE;
}

const ECS_GLOB = 'al2023-ami-ecs-hvm-*-kernel-6.1-x86_64';

export function testConfig(recipes: RecipeConfig[], overrides: Partial<AmiBakeConfig> = {}): AmiBakeConfig {
  return { ...sampleConfig, logRetentionDays: 7, retainData: false, ...overrides, recipes };
}

export function ecsRecipe(name: string, extra: Record<string, unknown> = {}): RecipeConfig {
  return {
    name,
    base: { describe: { name: ECS_GLOB } },
    script: 'user_data/ecs-node.sh',
    timeoutMinutes: 5,
    ...extra,
  };
}

/** The configuration most integration tests share: one recipe, ecs-node (one apply for all of them). */
export const standardConfig = () =>
  testConfig([ecsRecipe('ecs-node', { tags: { team: 'platform' } })], { authors: [RECIPE_AUTHORS] });

/** The role the standard configuration names as the recipes' authors (`authors`). */
export const RECIPE_AUTHORS = 'arn:aws:iam::123456789012:role/platform-authors';

/**
 * ecs-node again, edited (a larger instance type) and published everywhere: retention, deprecation,
 * a copy to eu-west-1 and a share. The publishing, retention and command tests share it.
 */
export const publishingConfig = (keep = 2) =>
  testConfig([
    ecsRecipe('ecs-node', {
      tags: { team: 'platform' },
      instanceType: 't3.large',
      lifecycle: { keep, deprecateAfterDays: 30 },
      distribution: { copies: [{ region: 'eu-west-1' }], share: { accounts: ['111122223333'] } },
    }),
  ]);

export { scratchDir } from './scratch';

/** Runs a deployed function synchronously, as Lambda would for a RequestResponse invoke; its error throws. */
export async function invoke(
  account: LocalAccount,
  stack: LocalStack,
  role: FunctionRole,
  event: unknown,
  alias?: string,
): Promise<unknown> {
  const name = stack.deployment.names.functions[role];
  const outcome = await account.emulator.lambda.invoke(alias ? `${name}:${alias}` : name, event, 'test');
  if (!outcome.ok) throw new Error(`${outcome.errorType}: ${outcome.errorMessage}`);
  return outcome.value;
}

/** SDK clients signed with session credentials of a deployed function's role, as its code would be. */
export async function clientsAs(
  account: LocalAccount,
  stack: LocalStack,
  role: FunctionRole,
): Promise<AwsClients> {
  const fn = await account.emulator.lambda.describe(stack.deployment.names.functions[role]);
  const credentials = account.emulator.callers.issue({
    kind: 'function',
    functionName: fn.name,
    roleArn: fn.roleArn,
    environmentId: `test-${role}`,
  });
  return awsClients(account.emulator.endpoint, account.region, credentials);
}

/** What the emulated account holds that a build could leave behind or produce. */
export interface AccountState {
  images: Image[];
  liveInstances: string[];
  rules: string[];
}

export async function accountState(clients: AwsClients, prefix = 'amibake'): Promise<AccountState> {
  const images = await clients.ec2.send(
    new DescribeImagesCommand({
      Owners: ['self'],
      Filters: [{ Name: 'tag-key', Values: ['amibake:build-id'] }],
    }),
  );
  const instances = await clients.ec2.send(new DescribeInstancesCommand({}));
  const liveInstances = (instances.Reservations ?? [])
    .flatMap((r) => r.Instances ?? [])
    .filter((i) => i.State?.Name !== 'terminated')
    .map((i) => i.InstanceId as string);
  const rules = await clients.events.send(new ListRulesCommand({ NamePrefix: `${prefix}-` }));
  return {
    images: images.Images ?? [],
    liveInstances,
    rules: (rules.Rules ?? []).map((r) => r.Name as string),
  };
}

export function buildRecord(
  clients: AwsClients,
  stack: LocalStack,
  buildId: string,
): Promise<BuildRecord | undefined> {
  return getBuild({ doc: clients.doc, tableName: stack.deployment.names.buildsTable }, buildId);
}

export const tagsOf = (
  resource: { Tags?: { Key?: string; Value?: string }[] } | undefined,
): Record<string, string> => Object.fromEntries((resource?.Tags ?? []).map((t) => [t.Key, t.Value]));
