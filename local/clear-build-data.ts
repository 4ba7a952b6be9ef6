import {
  DeleteLaunchTemplateCommand,
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplatesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  DeleteRuleCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { DeleteObjectsCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { ListSubscriptionsCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import { DeleteQueueCommand, ListQueuesCommand, PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { DeleteParametersCommand } from '@aws-sdk/client-ssm';
import { BatchWriteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { AwsClients } from './emulator/aws-clients';
import type { LocalAccount, LocalStack } from './local-account';

/**
 * Returns the account to "stack just deployed": removes everything builds, tests and the
 * emulated vendor made (instances, images, snapshots, build rules, build records, build files,
 * parameters, queues' messages, subscriptions, launch templates) and leaves every resource the
 * stack declares to Terraform. Also forgets the emulator's record of calls and invocations.
 */
export async function clearBuildData(account: LocalAccount, stacks: readonly LocalStack[]): Promise<void> {
  const emulator = account.emulator;
  await emulator.lambda.drain();
  const regions = new Set([
    account.region,
    ...stacks.flatMap((s) => s.deployment.recipes.flatMap((r) => r.distribution.copies.map((c) => c.region))),
  ]);
  for (const region of regions) await clearRegion(emulator.clients.inRegion(region));
  for (const [region, written] of emulator.ssm.written) {
    await clearParameters(emulator.clients.inRegion(region), written);
  }
  const clients = emulator.clients;
  const declaredRules = new Set(
    stacks.flatMap((s) => [s.outputs.schedule_rule, s.outputs.sweep_rule, s.outputs.image_state_rule]),
  );
  const rules = await clients.events.send(new ListRulesCommand({}));
  for (const rule of rules.Rules ?? []) {
    if (!rule.Name || declaredRules.has(rule.Name)) continue;
    const targets = await clients.events.send(new ListTargetsByRuleCommand({ Rule: rule.Name }));
    const ids = (targets.Targets ?? []).flatMap((t) => (t.Id ? [t.Id] : []));
    if (ids.length > 0) await clients.events.send(new RemoveTargetsCommand({ Rule: rule.Name, Ids: ids }));
    await clients.events.send(new DeleteRuleCommand({ Name: rule.Name }));
  }
  for (const stack of stacks) {
    await clearTable(clients, stack.outputs.builds_table ?? '');
    await clearPrefix(clients, stack.outputs.artifacts_bucket ?? '', stack.deployment.names.logPrefix);
  }
  const declaredQueues = new Set(stacks.map((s) => s.outputs.failed_launches_queue?.split('/').pop()));
  for (const url of (await clients.sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []) {
    if (declaredQueues.has(url.split('/').pop()))
      await clients.sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
    else await clients.sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
  }
  for (const s of (await clients.sns.send(new ListSubscriptionsCommand({}))).Subscriptions ?? []) {
    if (s.SubscriptionArn)
      await clients.sns.send(new UnsubscribeCommand({ SubscriptionArn: s.SubscriptionArn }));
  }
  emulator.ec2.clear();
  emulator.faults.reset();
  emulator.lambda.invocations.length = 0;
  emulator.lambda.logs.length = 0;
  emulator.authorizer.decisions.length = 0;
  emulator.problems.length = 0;
  account.events.deliveries.length = 0;
}

async function clearRegion(clients: AwsClients): Promise<void> {
  const { ec2 } = clients;
  const reservations = await ec2.send(
    new DescribeInstancesCommand({
      Filters: [{ Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] }],
    }),
  );
  const live = (reservations.Reservations ?? [])
    .flatMap((r) => r.Instances ?? [])
    .filter((i) => i.State?.Name !== 'terminated')
    .flatMap((i) => (i.InstanceId ? [i.InstanceId] : []));
  if (live.length > 0) await ec2.send(new TerminateInstancesCommand({ InstanceIds: live }));
  for (const image of (await ec2.send(new DescribeImagesCommand({ Owners: ['self'] }))).Images ?? []) {
    await ec2.send(new DeregisterImageCommand({ ImageId: image.ImageId }));
    for (const mapping of image.BlockDeviceMappings ?? []) {
      const snapshotId = mapping.Ebs?.SnapshotId;
      if (snapshotId)
        await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId })).catch(() => undefined);
    }
  }
  for (const template of (await ec2.send(new DescribeLaunchTemplatesCommand({}))).LaunchTemplates ?? []) {
    await ec2.send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: template.LaunchTemplateId }));
  }
}

/** Deletes the parameters written since the last clearing. */
async function clearParameters({ ssm }: AwsClients, written: Set<string>): Promise<void> {
  // AWS's public parameters (/aws/service/...) stay: the emulated vendor publishes its bases there.
  const names = [...written].filter((name) => !name.startsWith('/aws/'));
  written.clear();
  for (let i = 0; i < names.length; i += 10) {
    await ssm.send(new DeleteParametersCommand({ Names: names.slice(i, i + 10) }));
  }
}

async function clearTable(clients: AwsClients, tableName: string): Promise<void> {
  const items =
    (await clients.doc.send(new ScanCommand({ TableName: tableName, ProjectionExpression: 'pk, sk' })))
      .Items ?? [];
  for (let i = 0; i < items.length; i += 25) {
    await clients.doc.send(
      new BatchWriteCommand({
        RequestItems: { [tableName]: items.slice(i, i + 25).map((key) => ({ DeleteRequest: { Key: key } })) },
      }),
    );
  }
}

async function clearPrefix(clients: AwsClients, bucket: string, prefix: string): Promise<void> {
  const listed = await clients.s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix }));
  const objects = [...(listed.Versions ?? []), ...(listed.DeleteMarkers ?? [])].map((v) => ({
    Key: v.Key,
    VersionId: v.VersionId,
  }));
  for (let i = 0; i < objects.length; i += 1000) {
    await clients.s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects.slice(i, i + 1000) } }),
    );
  }
}
