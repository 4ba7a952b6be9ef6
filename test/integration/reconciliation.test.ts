import {
  CreateImageCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  DeleteRuleCommand,
  ListRulesCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { expect } from 'chai';
import { createImageInput } from '../../functions/ami-image-create/image-spec';
import { drain, runBakeCycle, runSweep } from '../../local/bake-cycle';
import { instanceStateChangeEvent } from '../../local/events/event-bridge';
import type { LocalAccount, LocalStack } from '../../local/local-account';
import { allBuilds, leftovers } from '../support/leftovers';
import { deployed, invoke, scratchDir, standardConfig } from '../support/local-account';

const HOUR = 3600_000;

describe('reconciliation and idempotency of the deployed stack', function () {
  this.timeout(120_000);
  let account: LocalAccount;
  const scratch = scratchDir();
  after(() => scratch.remove());

  const deploy = async () => {
    const d = await deployed(standardConfig());
    account = d.account;
    return d.stack;
  };
  const clients = () => account.emulator.clients;
  const cycle = (stack: LocalStack, options: Partial<Parameters<typeof runBakeCycle>[2]> = {}) =>
    runBakeCycle(account, stack, { workdir: scratch.path, ...options });
  const sweep = (stack: LocalStack, time: Date) => runSweep(account, stack, time);
  const clean = async (stack: LocalStack) => expect(await leftovers(clients(), stack)).to.deep.equal([]);

  async function onlyBuild(stack: LocalStack) {
    const builds = await allBuilds(clients(), stack);
    expect(builds).to.have.length(1);
    return builds[0] as NonNullable<(typeof builds)[0]>;
  }

  it('makes one AMI from two concurrent trigger runs and a stop event delivered five times at once', async () => {
    const stack = await deploy();
    await Promise.all([invoke(account, stack, 'trigger', {}), invoke(account, stack, 'trigger', {})]);
    expect(account.emulator.lambda.pending).to.equal(1);
    await cycle(stack, { dropEvents: true });
    const build = await onlyBuild(stack);
    const [delivery] = await account.events.publish(
      instanceStateChangeEvent(build.instanceId ?? '', 'stopped', account.region, new Date()),
    );
    expect(delivery?.delivered).to.equal(true);
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map(() => invoke(account, stack, 'imageCreate', delivery?.input)),
    );
    await drain(account, () => {});
    const outcomes = results.map((r) => (r as { outcome: string }).outcome);
    // One of them starts the tests (one test instance); the others find the build moved on.
    expect(outcomes.filter((o) => o === 'testing')).to.have.length(1);
    expect((await onlyBuild(stack)).status).to.equal('testing');
    await cycle(stack); // boots the test instance, whose stop finishes the build
    expect((await onlyBuild(stack)).status).to.equal('succeeded');
    await clean(stack);
  });

  it('fails a build whose instance stopped without reporting (NoReport), although S3 answers 403', async () => {
    const stack = await deploy();
    await cycle(stack, { silent: () => true });
    const build = await onlyBuild(stack);
    expect(build).to.include({ status: 'failed', errorCode: 'NoReport' });
    expect(build.reason).to.match(/^the instance stopped without reporting a status/);
    // What ami_image_create met: a 403 for the missing report, then a listing that showed it absent.
    const reads = account.emulator.faults.trace.filter(
      (c) => c.fn === stack.deployment.names.functions.imageCreate && c.action.startsWith('s3:'),
    );
    expect(reads.map((c) => c.action)).to.deep.equal(['s3:GetObject', 's3:ListObjectsV2']);
    await clean(stack);
  });

  it('times out an instance that never stops, terminates it and removes its rule', async () => {
    const stack = await deploy();
    await cycle(stack, { hung: () => true });
    expect((await onlyBuild(stack)).status).to.equal('building');
    await sweep(stack, new Date(Date.now() + 10 * 60_000));
    expect((await onlyBuild(stack)).status, 'within the timeout').to.equal('building');

    const report = await sweep(stack, new Date(Date.now() + HOUR));
    expect(report).to.include({ outcome: 'swept', ended: 1 });
    const build = await onlyBuild(stack);
    expect(build).to.include({ status: 'timed_out', errorCode: 'BuildTimedOut' });
    expect(build.reason).to.match(
      /^instance i-\w+ was still running \d+ min after launch \(timeout 5 min \+ 15 min/,
    );
    await clean(stack);
  });

  it('ends a build timed_out when the watchdog stopped its customisation (exit status 124)', async () => {
    const stack = await deploy();
    await cycle(stack, { standIn: () => '#!/bin/bash\nexit 124\n' });
    const build = await onlyBuild(stack);
    expect(build).to.include({ status: 'timed_out', errorCode: 'CustomisationTimedOut' });
    expect(build.reason).to.match(/; log: s3:\/\/.*\/build\.log$/);
    await clean(stack);
  });

  it('fails a build whose AMI name another image already has, and leaves that image alone', async () => {
    const stack = await deploy();
    await cycle(stack, { dropEvents: true });
    const building = await onlyBuild(stack);
    const { Name } = createImageInput(building, building.instanceId ?? '', 'amibake');
    const other = await clients().ec2.send(
      new RunInstancesCommand({ ImageId: building.baseImageId, MinCount: 1, MaxCount: 1 }),
    );
    const taken = await clients().ec2.send(
      new CreateImageCommand({ InstanceId: other.Instances?.[0]?.InstanceId ?? '', Name }),
    );
    await clients().ec2.send(
      new TerminateInstancesCommand({ InstanceIds: [other.Instances?.[0]?.InstanceId ?? ''] }),
    );

    await sweep(stack, new Date());
    const build = await onlyBuild(stack);
    expect(build).to.include({ status: 'failed', errorCode: 'InvalidAMIName.Duplicate' });
    expect(build.reason).to.equal(
      `CreateImage failed: the name "${Name}" is already used by ${taken.ImageId} (not an amibake build): put {buildId} in the recipe's amiName, or deregister that image`,
    );
    const images = await clients().ec2.send(new DescribeImagesCommand({ ImageIds: [taken.ImageId ?? ''] }));
    expect(images.Images?.[0]?.State).to.equal('available');
    await clean(stack);
  });

  it('finishes a build whose stop event never arrived', async () => {
    const stack = await deploy();
    await cycle(stack, { dropEvents: true });
    expect((await onlyBuild(stack)).status).to.equal('building');
    await sweep(stack, new Date());
    expect((await onlyBuild(stack)).status, 'imaged, then its tests started').to.equal('testing');
    await cycle(stack); // boots the test instance, whose stop finishes the build
    const build = await onlyBuild(stack);
    expect(build.status).to.equal('succeeded');
    expect(build.imageId).to.match(/^ami-/);
    await clean(stack);
  });

  it('fails a build whose launch was lost, once the launch grace has passed', async () => {
    const stack = await deploy();
    await invoke(account, stack, 'trigger', {});
    expect(account.emulator.lambda.dropQueued()).to.have.length(1); // the asynchronous invoke is lost
    await sweep(stack, new Date(Date.now() + 5 * 60_000));
    expect((await onlyBuild(stack)).status, 'within the grace').to.equal('pending');
    await sweep(stack, new Date(Date.now() + 20 * 60_000));
    const build = await onlyBuild(stack);
    expect(build).to.include({ status: 'failed', errorCode: 'LaunchLost' });
    await clean(stack);

    const next = await cycle(stack);
    expect(next.decisions.map((d) => d.decision)).to.deep.equal(['started']);
    expect(next.builds.map((b) => b.status)).to.deep.equal(['succeeded']);
  });

  it('removes instances and rules that belong to no build, and leaves other deployments alone', async () => {
    const stack = await deploy();
    const launch = (deployment: string) =>
      clients().ec2.send(
        new RunInstancesCommand({
          ImageId: 'ami-0aae19d30bab785d3',
          MinCount: 1,
          MaxCount: 1,
          TagSpecifications: [
            {
              ResourceType: 'instance',
              Tags: [
                { Key: 'amibake:deployment', Value: deployment },
                { Key: 'amibake:build-id', Value: 'ghost-20261124000000-abcdef' },
              ],
            },
          ],
        }),
      );
    const ours = (await launch('amibake')).Instances?.[0]?.InstanceId;
    const theirs = (await launch('staging')).Instances?.[0]?.InstanceId;
    await clients().events.send(
      new PutRuleCommand({
        Name: 'amibake.ghost-20261124000000-abcdef',
        EventPattern: '{"source":["aws.ec2"]}',
      }),
    );
    // Named like a build rule, but someone else's: it delivers to another function.
    const other = 'amibake.other-20261124000000-abcdef';
    await clients().events.send(new PutRuleCommand({ Name: other, EventPattern: '{"source":["aws.ec2"]}' }));
    await clients().events.send(
      new PutTargetsCommand({
        Rule: other,
        Targets: [{ Id: 'theirs', Arn: 'arn:aws:lambda:us-east-1:123456789012:function:their-function' }],
      }),
    );
    const report = await sweep(stack, new Date());
    expect(report).to.include({ orphanInstances: 1, orphanRules: 1, foreignRules: 1 });
    const rules = await clients().events.send(new ListRulesCommand({ NamePrefix: 'amibake.' }));
    expect((rules.Rules ?? []).map((r) => r.Name)).to.deep.equal([other]);
    await clients().events.send(new RemoveTargetsCommand({ Rule: other, Ids: ['theirs'] }));
    await clients().events.send(new DeleteRuleCommand({ Name: other }));
    const described = await clients().ec2.send(
      new DescribeInstancesCommand({ InstanceIds: [ours ?? '', theirs ?? ''] }),
    );
    const states = Object.fromEntries(
      (described.Reservations ?? [])
        .flatMap((r) => r.Instances ?? [])
        .map((i) => [i.InstanceId, i.State?.Name]),
    );
    expect(states).to.deep.equal({ [ours ?? '']: 'terminated', [theirs ?? '']: 'running' });
    await clean(stack);
  });

  it('leaves alone an instance with the deployment tag but no build id, and keeps sweeping', async () => {
    const stack = await deploy();
    const launched = await clients().ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-0aae19d30bab785d3',
        MinCount: 1,
        MaxCount: 1,
        TagSpecifications: [
          { ResourceType: 'instance', Tags: [{ Key: 'amibake:deployment', Value: 'amibake' }] },
        ],
      }),
    );
    const instanceId = launched.Instances?.[0]?.InstanceId ?? '';
    const report = await sweep(stack, new Date());
    expect(report).to.include({ outcome: 'swept', untagged: 1, orphanInstances: 0 });
    const described = await clients().ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    expect(described.Reservations?.[0]?.Instances?.[0]?.State?.Name).to.equal('running');
    expect(account.emulator.authorizer.decisions.filter((d) => !d.allowed)).to.deep.equal([]);
  });

  it('fails the build with InvalidAMIID.NotFound when the vendor withdraws the base before the launch', async () => {
    const stack = await deploy();
    await invoke(account, stack, 'trigger', {});
    const pending = await onlyBuild(stack);
    await clients().ec2.send(new DeregisterImageCommand({ ImageId: pending.baseImageId }));
    expect(account.emulator.lambda.pending).to.equal(1);
    await drain(account, () => {});
    const build = await onlyBuild(stack);
    expect(build).to.include({ status: 'failed', errorCode: 'InvalidAMIID.NotFound' });
    expect(build.reason).to.include(pending.baseImageId);
    await clean(stack);
  });

  const permanent = [
    {
      action: 'ec2:RunInstances',
      code: 'InsufficientInstanceCapacity',
      status: 500,
      reason: /^RunInstances failed: InsufficientInstanceCapacity/,
    },
    {
      action: 'ec2:RunInstances',
      code: 'UnauthorizedOperation',
      status: 403,
      reason: /^RunInstances failed: UnauthorizedOperation/,
    },
    {
      action: 'ec2:CreateImage',
      code: 'UnauthorizedOperation',
      status: 403,
      reason: /^CreateImage failed: UnauthorizedOperation/,
    },
  ];
  for (const p of permanent) {
    it(`fails the build with ${p.code} from ${p.action}, leaving nothing`, async () => {
      const stack = await deploy();
      account.emulator.faults.reset({ action: p.action, kind: 'permanent', code: p.code, status: p.status });
      await cycle(stack);
      expect(account.emulator.faults.fired?.action).to.equal(p.action);
      account.emulator.faults.reset();
      const build = await onlyBuild(stack);
      expect(build).to.include({ status: 'failed', errorCode: p.code });
      expect(build.reason).to.match(p.reason);
      await clean(stack);
    });
  }
});
