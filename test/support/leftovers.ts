import { DescribeImagesCommand, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type BuildRecord, isFinal } from '../../functions/shared/build-record';
import { BUILD_ID_TAG, DEPLOYMENT_TAG } from '../../functions/shared/tags';
import type { AwsClients } from '../../local/emulator/aws-clients';
import type { LocalStack } from '../../local/local-account';

/** Every build record of the deployment's table. */
export async function allBuilds(clients: AwsClients, stack: LocalStack): Promise<BuildRecord[]> {
  const items = await clients.doc.send(new ScanCommand({ TableName: stack.deployment.names.buildsTable }));
  return (items.Items ?? []).filter((i) => String(i.pk).startsWith('build#')) as BuildRecord[];
}

/**
 * What a finished cycle must not leave in the account, as sentences (empty when clean): a live
 * build instance, a build rule, two images for one build, a build not final or without its
 * reason, or a slot of the in-flight counter still taken.
 */
export async function leftovers(clients: AwsClients, stack: LocalStack): Promise<string[]> {
  const { names } = stack.deployment;
  const problems: string[] = [];
  const instances = await clients.ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: `tag:${DEPLOYMENT_TAG}`, Values: [names.prefix] },
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
      ],
    }),
  );
  for (const i of (instances.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
    problems.push(`instance ${i.InstanceId} is still ${i.State?.Name}`);
  }
  const rules = await clients.events.send(new ListRulesCommand({ NamePrefix: names.rulePrefix }));
  for (const r of rules.Rules ?? []) problems.push(`rule ${r.Name} is left`);
  const images = await clients.ec2.send(
    new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'tag-key', Values: [BUILD_ID_TAG] }] }),
  );
  const perBuild = new Map<string, number>();
  for (const image of images.Images ?? []) {
    const id = image.Tags?.find((t) => t.Key === BUILD_ID_TAG)?.Value ?? '';
    perBuild.set(id, (perBuild.get(id) ?? 0) + 1);
  }
  for (const [id, count] of perBuild) if (count > 1) problems.push(`build ${id} has ${count} images`);
  const builds = await allBuilds(clients, stack);
  for (const b of builds) {
    if (!isFinal(b.status)) problems.push(`build ${b.buildId} is still ${b.status}`);
    else if (!b.reason || !b.finishedAt)
      problems.push(`build ${b.buildId} is ${b.status} without reason or end time`);
    if (b.status === 'succeeded' && (perBuild.get(b.buildId) ?? 0) !== 1) {
      problems.push(`build ${b.buildId} succeeded without its image`);
    }
  }
  const counter = await clients.doc.send(
    new ScanCommand({
      TableName: names.buildsTable,
      FilterExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'counter#in-flight' },
    }),
  );
  const taken = Number(counter.Items?.[0]?.inFlight ?? 0);
  if (taken !== 0) problems.push(`the in-flight counter holds ${taken}`);
  return problems;
}
