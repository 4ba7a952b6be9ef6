import { DescribeImagesCommand, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { ListObjectVersionsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'chai';
import type { FunctionRole } from '../../deployment/functions';
import { runBakeCycle } from '../../local/bake-cycle';
import type { LocalAccount, LocalStack } from '../../local/local-account';
import { deployed, invoke, scratchDir, standardConfig } from '../support/local-account';

/** Everything the account holds that a handler could change. */
async function snapshot(account: LocalAccount, stack: LocalStack): Promise<string> {
  const { clients } = account.emulator;
  const { names } = stack.deployment;
  const instances = await clients.ec2.send(new DescribeInstancesCommand({}));
  const images = await clients.ec2.send(new DescribeImagesCommand({ Owners: ['self'] }));
  const rules = await clients.events.send(new ListRulesCommand({}));
  const items = await clients.doc.send(new ScanCommand({ TableName: names.buildsTable }));
  const objects = await clients.s3.send(new ListObjectVersionsCommand({ Bucket: stack.deployment.bucket }));
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

const READS = /:(Describe\w*|Get\w*|Head\w*|BatchGetItem|Query|Scan|List\w*)$/;

describe('malformed and foreign events', function () {
  this.timeout(120_000);
  let account: LocalAccount;
  let stack: LocalStack;
  const scratch = scratchDir();
  let existing: { buildId: string; instanceId: string };

  before(async () => {
    ({ account, stack } = await deployed(standardConfig()));
    const { builds } = await runBakeCycle(account, stack, { workdir: scratch.path, hung: () => true });
    existing = { buildId: builds[0]?.buildId ?? '', instanceId: builds[0]?.instanceId ?? '' };
  });
  after(() => scratch.remove());

  const fns = () =>
    ({ trigger: 'trigger', instanceCreate: 'instanceCreate', imageCreate: 'imageCreate' }) as const;
  const ec2Event = (state: string) => ({
    version: '0',
    source: 'aws.ec2',
    'detail-type': 'EC2 Instance State-change Notification',
    detail: { 'instance-id': existing.instanceId, state },
  });
  const scheduled = (time: string) => ({
    version: '0',
    source: 'aws.events',
    'detail-type': 'Scheduled Event',
    time,
    resources: [`arn:aws:events:us-east-1:123456789012:rule/${stack.deployment.names.sweepRule}`],
    detail: {},
  });
  const cases: {
    name: string;
    fn: () => FunctionRole;
    /** Invoke through this alias of the function. */
    alias?: string;
    event: () => unknown;
    expect: RegExp;
  }[] = [
    {
      name: 'trigger: null',
      fn: () => fns().trigger,
      event: () => null,
      expect: /event must be a scheduled event, an SNS notification or \{\}, got null/,
    },
    {
      name: 'trigger: an SNS notification without a topic',
      fn: () => fns().trigger,
      event: () => ({ Records: [{ EventSource: 'aws:sns', Sns: { Message: '{}' } }] }),
      expect: /event\.Records\[0\]\.Sns\.TopicArn must be an SNS topic ARN, got nothing/,
    },
    { name: 'trigger: a list', fn: () => fns().trigger, event: () => [1], expect: /got \[1\]/ },
    {
      name: 'trigger: an EC2 event',
      fn: () => fns().trigger,
      event: () => ec2Event('stopped'),
      expect: /got source "aws.ec2"/,
    },
    {
      name: 'image: an image state event from another source',
      fn: () => fns().imageCreate,
      event: () => ({
        source: 'custom.app',
        'detail-type': 'EC2 AMI State Change',
        region: 'us-east-1',
        detail: { ImageId: 'ami-0123456789abcdef0', State: 'available' },
      }),
      expect: /event\.source of an "EC2 AMI State Change" event must be "aws\.ec2", got "custom\.app"/,
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
    {
      // Any rule with a constant input can send this; only the sweep schedule may use the alias.
      name: 'sweep: a well-formed scheduled event sent to the function, not its sweep alias',
      fn: () => fns().imageCreate,
      event: () => scheduled(new Date().toISOString()),
      expect: /runs the sweep only through the function's alias "sweep"/,
    },
    {
      // Taken from the event, this time would end every build in flight as timed out.
      name: 'sweep: a scheduled event from 2099 through the sweep alias',
      fn: () => fns().imageCreate,
      alias: 'sweep',
      event: () => scheduled('2099-01-01T00:00:00Z'),
      expect: /event.time must be within 5 min of the function's clock/,
    },
  ];

  for (const c of cases) {
    it(`rejects ${c.name} with no AWS mutation`, async () => {
      const before = await snapshot(account, stack);
      account.emulator.faults.reset();
      const result = await invoke(account, stack, c.fn(), c.event(), c.alias);
      const writes = account.emulator.faults.trace.filter((call) => !READS.test(call.action));
      const said = result as { reason?: string; rejected?: string };
      expect(said.reason ?? said.rejected).to.match(c.expect);
      expect(writes, 'mutating calls').to.deep.equal([]);
      expect(await snapshot(account, stack)).to.equal(before);
    });
  }
});

describe('a corrupt recipes document', function () {
  this.timeout(120_000);
  let account: LocalAccount;
  let stack: LocalStack;
  const scratch = scratchDir();
  beforeEach(async () => {
    ({ account, stack } = await deployed(standardConfig()));
  });
  // The document is the stack's: put back what Terraform wrote.
  afterEach(() => publish(stack, stack.deployment.recipesDocument));
  after(() => scratch.remove());

  /** Someone with write access to the bucket replaces the recipes document. */
  async function publish(target: LocalStack, body: string): Promise<void> {
    await account.emulator.clients.s3.send(
      new PutObjectCommand({
        Bucket: target.deployment.bucket,
        Key: target.deployment.names.recipesKey,
        Body: body,
      }),
    );
  }

  it('fails only the recipes it breaks', async () => {
    const document = JSON.parse(stack.deployment.recipesDocument) as {
      recipes: Record<string, Record<string, unknown>>;
    };
    const good = document.recipes['ecs-node'] ?? {};
    document.recipes['no-glob'] = { ...good, base: { describe: { name: '' } } };
    document.recipes.typo = { ...good, instanceTyp: 't3.large' };
    await publish(stack, JSON.stringify(document));
    const { decisions, builds } = await runBakeCycle(account, stack, { workdir: scratch.path });
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

  it('starts nothing and changes nothing but the recorded attention when the document is not JSON', async () => {
    await publish(stack, '{"version": 1, "recipes": [');
    const before = await snapshot(account, stack);
    const { decisions, builds } = await runBakeCycle(account, stack, { workdir: scratch.path });
    expect(decisions).to.have.length(1);
    expect(decisions[0]).to.include({ recipe: '*', decision: 'invalid' });
    expect(decisions[0]?.reason).to.match(
      /^recipes document s3:\/\/amibake-artifacts-\d+-us-east-1\/recipes\/recipes.json is not valid JSON/,
    );
    expect(builds).to.deep.equal([]);
    // The one write: the document needs attention, recorded once so that it is announced once.
    const after = JSON.parse(await snapshot(account, stack)) as { items: string[] };
    const attention = after.items
      .map((i) => JSON.parse(i) as Record<string, unknown>)
      .filter((i) => i.pk === 'attention');
    expect(attention.map((i) => [i.sk, i.decision])).to.deep.equal([['recipe#*', 'invalid']]);
    const unchanged = { ...after, items: after.items.filter((i) => !i.includes('"pk":"attention"')) };
    expect(JSON.stringify(unchanged)).to.equal(before);
  });
});
