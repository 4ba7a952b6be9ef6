import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListRulesCommand } from '@aws-sdk/client-cloudwatch-events';
import { DescribeImagesCommand, DescribeInstancesCommand, type Image } from '@aws-sdk/client-ec2';
import { config as sampleConfig } from '../../amibake.config';
import type { AmiBakeConfig, RecipeConfig } from '../../deployment/config';
import { getBuild } from '../../functions/shared/aws/builds-table';
import type { BuildRecord } from '../../functions/shared/build-record';
import { type LocalAws, type LocalDeployment, startLocalAws } from '../../local/local-aws';
import { bundleFunctions } from '../../scripts/bundle-functions';

let shared: Promise<LocalAws> | undefined;
let bundled = false;

/** One emulator for the whole test run (started on first use, stopped after the last test). */
export function localAws(): Promise<LocalAws> {
  if (!bundled) {
    bundleFunctions();
    bundled = true;
  }
  shared ??= startLocalAws('us-east-1');
  return shared;
}

export async function stopLocalAws(): Promise<void> {
  if (shared) await (await shared).stop();
  shared = undefined;
}

export const ECS_GLOB = 'al2023-ami-ecs-hvm-*-kernel-6.1-x86_64';

export function testConfig(recipes: RecipeConfig[], overrides: Partial<AmiBakeConfig> = {}): AmiBakeConfig {
  return { ...sampleConfig, logRetentionDays: 7, ...overrides, recipes };
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

export function scratchDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'amibake-test-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** What the emulated account holds that a build could leave behind or produce. */
export interface AccountState {
  images: Image[];
  liveInstances: string[];
  rules: string[];
}

export async function accountState(aws: LocalAws, prefix = 'amibake'): Promise<AccountState> {
  const images = await aws.clients.ec2.send(
    new DescribeImagesCommand({
      Owners: ['self'],
      Filters: [{ Name: 'tag-key', Values: ['amibake:build-id'] }],
    }),
  );
  const instances = await aws.clients.ec2.send(new DescribeInstancesCommand({}));
  const liveInstances = (instances.Reservations ?? [])
    .flatMap((r) => r.Instances ?? [])
    .filter((i) => i.State?.Name !== 'terminated')
    .map((i) => i.InstanceId as string);
  const rules = await aws.clients.events.send(new ListRulesCommand({ NamePrefix: `${prefix}-` }));
  return {
    images: images.Images ?? [],
    liveInstances,
    rules: (rules.Rules ?? []).map((r) => r.Name as string),
  };
}

export async function buildRecord(
  aws: LocalAws,
  local: LocalDeployment,
  buildId: string,
): Promise<BuildRecord | undefined> {
  return getBuild({ doc: aws.clients.doc, tableName: local.deployment.names.buildsTable }, buildId);
}

export const tagsOf = (
  resource: { Tags?: { Key?: string; Value?: string }[] } | undefined,
): Record<string, string> => Object.fromEntries((resource?.Tags ?? []).map((t) => [t.Key, t.Value]));
