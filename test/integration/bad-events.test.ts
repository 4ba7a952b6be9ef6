import { ListRulesCommand } from '@aws-sdk/client-cloudwatch-events';
import { DescribeImagesCommand, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { ListObjectVersionsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'chai';
import { runBakeCycle } from '../../local/bake-cycle';
import { deployLocally, type LocalAws, type LocalDeployment } from '../../local/local-aws';
import { ecsRecipe, localAws, scratchDir, testConfig } from '../support/local-aws';

/** Everything the account holds that a handler could change. */
async function snapshot(aws: LocalAws, local: LocalDeployment): Promise<string> {
  const { names } = local.deployment;
  const instances = await aws.clients.ec2.send(new DescribeInstancesCommand({}));
  const images = await aws.clients.ec2.send(new DescribeImagesCommand({ Owners: ['self'] }));
  const rules = await aws.clients.events.send(new ListRulesCommand({}));
  const items = await aws.clients.doc.send(new ScanCommand({ TableName: names.buildsTable }));
  const objects = await aws.clients.s3.send(
    new ListObjectVersionsCommand({ Bucket: local.deployment.bucket }),
  );
  return JSON.stringify({
    instances: (instances.Reservations ?? [])
      .flatMap((r) => r.Instances ?? [])
      .map((i) => [i.InstanceId, i.State?.Name]),
    images: (images.Images ?? []).map((i) => [i.ImageId, i.State]),
    rules: (rules.Rules ?? []).map((r) => r.Name),
    items: (items.Items ?? []).map((i) => JSON.stringify(i)).sort(),
    objects: (objects.Versions ?? []).map((v) => [v.Key, v.VersionId]),
  });
}

const READS = /:(Describe\w*|Get\w*|BatchGetItem|Query|Scan|List\w*|GET|HEAD)$/;

describe('malformed and foreign events', function () {
  this.timeout(60_000);
  let aws: LocalAws;
  let local: LocalDeployment;
  const scratch = scratchDir();
  let existing: { buildId: string; instanceId: string };

  before(async () => {
    aws = await localAws();
    local = await deployLocally(aws, testConfig([ecsRecipe('ecs-node')]), { logLevel: 'silent' });
    const { builds } = await runBakeCycle(aws, local, { workdir: scratch.path, hung: () => true });
    existing = { buildId: builds[0]?.buildId ?? '', instanceId: builds[0]?.instanceId ?? '' };
  });
  after(() => scratch.remove());

  const fns = () => local.deployment.names.functions;
  const ec2Event = (state: string) => ({
    version: '0',
    source: 'aws.ec2',
    'detail-type': 'EC2 Instance State-change Notification',
    detail: { 'instance-id': existing.instanceId, state },
  });
  const cases: { name: string; fn: () => string; event: () => unknown; expect: RegExp }[] = [
    {
      name: 'trigger: null',
      fn: () => fns().trigger,
      event: () => null,
      expect: /event must be a scheduled event or \{\}, got null/,
    },
    { name: 'trigger: a list', fn: () => fns().trigger, event: () => [1], expect: /got \[1\]/ },
    {
      name: 'trigger: an EC2 event',
      fn: () => fns().trigger,
      event: () => ec2Event('stopped'),
      expect: /got source "aws.ec2"/,
    },
    { name: 'launch: no build id', fn: () => fns().instanceCreate, event: () => ({}), expect: /buildId/ },
    {
      name: 'launch: a number',
      fn: () => fns().instanceCreate,
      event: () => ({ buildId: 42 }),
      expect: /got 42/,
    },
    {
      name: 'launch: not a build id',
      fn: () => fns().instanceCreate,
      event: () => ({ buildId: '../etc' }),
      expect: /got "..\/etc"/,
    },
    {
      name: 'launch: an unknown build',
      fn: () => fns().instanceCreate,
      event: () => ({ buildId: 'ghost-20261124000000-abcdef' }),
      expect: /no such build/,
    },
    {
      name: 'launch: a build already launched',
      fn: () => fns().instanceCreate,
      event: () => ({ buildId: existing.buildId }),
      expect: /already building/,
    },
    {
      name: 'image: empty',
      fn: () => fns().imageCreate,
      event: () => ({}),
      expect: /event.buildId must be an amibake build id/,
    },
    {
      name: 'image: the raw EC2 event',
      fn: () => fns().imageCreate,
      event: () => ec2Event('stopped'),
      expect: /event.buildId/,
    },
    {
      name: 'image: state running',
      fn: () => fns().imageCreate,
      event: () => ({ ...existing, state: 'running' }),
      expect: /event.state must be "stopped", got "running"/,
    },
    {
      name: 'image: a bad instance id',
      fn: () => fns().imageCreate,
      event: () => ({ buildId: existing.buildId, instanceId: 'i-zz', state: 'stopped' }),
      expect: /EC2 instance id, got "i-zz"/,
    },
    {
      name: 'image: an unknown build',
      fn: () => fns().imageCreate,
      event: () => ({
        buildId: 'ghost-20261124000000-abcdef',
        instanceId: existing.instanceId,
        state: 'stopped',
      }),
      expect: /no such build/,
    },
    {
      name: "image: another build's instance",
      fn: () => fns().imageCreate,
      event: () => ({ buildId: existing.buildId, instanceId: 'i-0123456789abcdef0', state: 'stopped' }),
      expect: /is not this build's/,
    },
    {
      name: 'image: an instance still running',
      fn: () => fns().imageCreate,
      event: () => ({ ...existing, state: 'stopped' }),
      expect: /is running, not stopped/,
    },
    {
      name: 'sweep: a scheduled event without time',
      fn: () => fns().imageCreate,
      event: () => ({ source: 'aws.events', 'detail-type': 'Scheduled Event' }),
      expect: /event.time must be the ISO 8601 time/,
    },
  ];

  for (const c of cases) {
    it(`rejects ${c.name} with no AWS mutation`, async () => {
      const before = await snapshot(aws, local);
      aws.gateway.faults.reset();
      const result = await local.runtime.invoke(c.fn(), c.event());
      const writes = aws.gateway.faults.trace.filter((call) => !READS.test(call.action));
      const said = result as { reason?: string; rejected?: string };
      expect(said.reason ?? said.rejected).to.match(c.expect);
      expect(writes, 'mutating calls').to.deep.equal([]);
      expect(await snapshot(aws, local)).to.equal(before);
    });
  }
});

describe('a corrupt recipes document', function () {
  this.timeout(60_000);
  let aws: LocalAws;
  const scratch = scratchDir();
  before(async () => {
    aws = await localAws();
  });
  after(() => scratch.remove());

  async function publish(local: LocalDeployment, body: string): Promise<void> {
    const { names } = local.deployment;
    await aws.clients.s3.send(
      new PutObjectCommand({ Bucket: local.deployment.bucket, Key: names.recipesKey, Body: body }),
    );
  }

  it('fails only the recipes it breaks', async () => {
    const local = await deployLocally(aws, testConfig([ecsRecipe('ecs-node')]), { logLevel: 'silent' });
    const document = JSON.parse(local.deployment.recipesDocument) as { recipes: Record<string, unknown>[] };
    const good = document.recipes[0] ?? {};
    document.recipes.push(
      { ...good, name: 'no-glob', base: { describe: { name: '' } } },
      { ...good, name: 'typo', instanceTyp: 't3.large' },
    );
    await publish(local, JSON.stringify(document));
    const { decisions, builds } = await runBakeCycle(aws, local, { workdir: scratch.path });
    expect(decisions.map((d) => [d.recipe, d.decision])).to.deep.equal([
      ['no-glob', 'invalid'],
      ['typo', 'invalid'],
      ['ecs-node', 'started'],
    ]);
    expect(decisions[0]?.reason).to.equal(
      'recipe "no-glob": base.describe.name must be a non-empty glob such as "al2023-ami-ecs-hvm-*-x86_64", got ""',
    );
    expect(decisions[1]?.reason).to.match(/^recipe "typo": instanceTyp is not a known field, got "t3.large"/);
    expect(builds.map((b) => b.status)).to.deep.equal(['succeeded']);
  });

  it('starts nothing and changes nothing when the document is not JSON', async () => {
    const local = await deployLocally(aws, testConfig([ecsRecipe('ecs-node')]), { logLevel: 'silent' });
    await publish(local, '{"version": 1, "recipes": [');
    const before = await snapshot(aws, local);
    const { decisions, builds } = await runBakeCycle(aws, local, { workdir: scratch.path });
    expect(decisions).to.have.length(1);
    expect(decisions[0]).to.include({ recipe: '*', decision: 'invalid' });
    expect(decisions[0]?.reason).to.match(
      /^recipes document s3:\/\/amibake-artifacts-\d+-us-east-1\/recipes\/recipes.json is not valid JSON/,
    );
    expect(builds).to.deep.equal([]);
    expect(await snapshot(aws, local)).to.equal(before);
  });
});
