import { PutRuleCommand } from '@aws-sdk/client-cloudwatch-events';
import {
  CreateImageCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import { createImageInput } from '../../functions/ami-image-create/image-spec';
import { runBakeCycle, runSweep, scheduledEvent } from '../../local/bake-cycle';
import { deliveriesFor, instanceStateChangeEvent } from '../../local/event-bus';
import { deployLocally, LOCAL_ACCOUNT, type LocalAws, type LocalDeployment } from '../../local/local-aws';
import { allBuilds, leftovers } from '../support/leftovers';
import { ecsRecipe, localAws, scratchDir, testConfig } from '../support/local-aws';

const HOUR = 3600_000;

describe('reconciliation and idempotency against moto', function () {
  this.timeout(60_000);
  let aws: LocalAws;
  const scratch = scratchDir();
  before(async () => {
    aws = await localAws();
  });
  after(() => scratch.remove());

  const deploy = (recipes = [ecsRecipe('ecs-node')]) =>
    deployLocally(aws, testConfig(recipes), { logLevel: 'silent' });

  async function onlyBuild(local: LocalDeployment) {
    const builds = await allBuilds(aws, local);
    expect(builds).to.have.length(1);
    return builds[0] as NonNullable<(typeof builds)[0]>;
  }

  it('makes one AMI from two concurrent trigger runs and a stop event delivered five times at once', async () => {
    const local = await deploy();
    const { names } = local.deployment;
    await Promise.all([
      local.runtime.invokeAsync(names.functions.trigger, scheduledEvent(aws, names.scheduleRule, new Date())),
      local.runtime.invokeAsync(names.functions.trigger, scheduledEvent(aws, names.scheduleRule, new Date())),
    ]);
    expect(aws.invokeQueue).to.have.length(1);
    await runBakeCycle(aws, local, { workdir: scratch.path, dropEvents: true });
    const build = await onlyBuild(local);
    const stopped = instanceStateChangeEvent(build.instanceId ?? '', 'stopped', {
      account: LOCAL_ACCOUNT,
      region: aws.region,
      time: new Date(),
      id: 'duplicate-delivery',
    });
    const [delivery] = await deliveriesFor(aws.clients.events, stopped);
    const input = delivery?.input;
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map(() => local.runtime.invoke(names.functions.imageCreate, input)),
    );
    const outcomes = results.map((r) => (r as { outcome: string }).outcome);
    expect(outcomes.filter((o) => o === 'succeeded')).to.have.length.at.least(1);
    expect((await onlyBuild(local)).status).to.equal('succeeded');
    expect(await leftovers(aws, local)).to.deep.equal([]);
  });

  it('times out an instance that never stops, terminates it and removes its rule', async () => {
    const local = await deploy();
    await runBakeCycle(aws, local, { workdir: scratch.path, hung: () => true });
    expect((await onlyBuild(local)).status).to.equal('building');
    await runSweep(aws, local, new Date(Date.now() + 10 * 60_000));
    expect((await onlyBuild(local)).status, 'within the timeout').to.equal('building');

    const report = await runSweep(aws, local, new Date(Date.now() + HOUR));
    expect(report).to.include({ outcome: 'swept', ended: 1 });
    const build = await onlyBuild(local);
    expect(build).to.include({ status: 'timed_out', errorCode: 'BuildTimedOut' });
    expect(build.reason).to.match(
      /^instance i-\w+ was still running \d+ min after launch \(timeout 5 min \+ 15 min/,
    );
    expect(await leftovers(aws, local)).to.deep.equal([]);
  });

  it('ends a build timed_out when the watchdog stopped its customisation (exit status 124)', async () => {
    const local = await deploy();
    await runBakeCycle(aws, local, { workdir: scratch.path, standIn: () => '#!/bin/bash\nexit 124\n' });
    const build = await onlyBuild(local);
    expect(build).to.include({ status: 'timed_out', errorCode: 'CustomisationTimedOut' });
    expect(build.reason).to.match(/; log: s3:\/\/.*\/build\.log$/);
    expect(await leftovers(aws, local)).to.deep.equal([]);
  });

  it('fails a build whose AMI name another image already has, and leaves that image alone', async () => {
    const local = await deploy();
    await runBakeCycle(aws, local, { workdir: scratch.path, dropEvents: true });
    const building = await onlyBuild(local);
    const { Name } = createImageInput(building, building.instanceId ?? '', 'amibake');
    const other = await aws.clients.ec2.send(
      new RunInstancesCommand({ ImageId: building.baseImageId, MinCount: 1, MaxCount: 1 }),
    );
    const taken = await aws.clients.ec2.send(
      new CreateImageCommand({ InstanceId: other.Instances?.[0]?.InstanceId ?? '', Name }),
    );
    await aws.clients.ec2.send(
      new TerminateInstancesCommand({ InstanceIds: [other.Instances?.[0]?.InstanceId ?? ''] }),
    );

    await runSweep(aws, local, new Date());
    const build = await onlyBuild(local);
    expect(build).to.include({ status: 'failed', errorCode: 'InvalidAMIName.Duplicate' });
    expect(build.reason).to.equal(
      `CreateImage failed: the name "${Name}" is already used by ${taken.ImageId} (not an amibake build): put {buildId} in the recipe's amiName, or deregister that image`,
    );
    const images = await aws.clients.ec2.send(new DescribeImagesCommand({ ImageIds: [taken.ImageId ?? ''] }));
    expect(images.Images?.[0]?.State).to.equal('available');
    expect(await leftovers(aws, local)).to.deep.equal([]);
  });

  it('finishes a build whose stop event never arrived', async () => {
    const local = await deploy();
    await runBakeCycle(aws, local, { workdir: scratch.path, dropEvents: true });
    expect((await onlyBuild(local)).status).to.equal('building');
    await runSweep(aws, local, new Date());
    const build = await onlyBuild(local);
    expect(build.status).to.equal('succeeded');
    expect(build.imageId).to.match(/^ami-/);
    expect(await leftovers(aws, local)).to.deep.equal([]);
  });

  it('fails a build whose launch was lost, once the launch grace has passed', async () => {
    const local = await deploy();
    const { names } = local.deployment;
    await local.runtime.invokeAsync(
      names.functions.trigger,
      scheduledEvent(aws, names.scheduleRule, new Date()),
    );
    aws.invokeQueue.length = 0; // the asynchronous invoke is lost
    await runSweep(aws, local, new Date(Date.now() + 5 * 60_000));
    expect((await onlyBuild(local)).status, 'within the grace').to.equal('pending');
    await runSweep(aws, local, new Date(Date.now() + 20 * 60_000));
    const build = await onlyBuild(local);
    expect(build).to.include({ status: 'failed', errorCode: 'LaunchLost' });
    expect(await leftovers(aws, local)).to.deep.equal([]);

    const next = await runBakeCycle(aws, local, { workdir: scratch.path });
    expect(next.decisions.map((d) => d.decision)).to.deep.equal(['started']);
    expect(next.builds.map((b) => b.status)).to.deep.equal(['succeeded']);
  });

  it('removes instances and rules that belong to no build, and leaves other deployments alone', async () => {
    const local = await deploy();
    const launch = (deployment: string) =>
      aws.clients.ec2.send(
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
    await aws.clients.events.send(
      new PutRuleCommand({
        Name: 'amibake-ghost-20261124000000-abcdef',
        EventPattern: '{"source":["aws.ec2"]}',
      }),
    );
    const report = await runSweep(aws, local, new Date());
    expect(report).to.include({ orphanInstances: 1, orphanRules: 1 });
    const described = await aws.clients.ec2.send(
      new DescribeInstancesCommand({ InstanceIds: [ours ?? '', theirs ?? ''] }),
    );
    const states = Object.fromEntries(
      (described.Reservations ?? [])
        .flatMap((r) => r.Instances ?? [])
        .map((i) => [i.InstanceId, i.State?.Name]),
    );
    expect(states).to.deep.equal({ [ours ?? '']: 'terminated', [theirs ?? '']: 'running' });
    expect(await leftovers(aws, local)).to.deep.equal([]);
  });

  it('fails the build with InvalidAMIID.NotFound when the vendor withdraws the base before the launch', async () => {
    const local = await deploy();
    const { names } = local.deployment;
    await local.runtime.invokeAsync(
      names.functions.trigger,
      scheduledEvent(aws, names.scheduleRule, new Date()),
    );
    const pending = await onlyBuild(local);
    await aws.clients.ec2.send(new DeregisterImageCommand({ ImageId: pending.baseImageId }));
    const queued = aws.invokeQueue.splice(0);
    expect(queued).to.have.length(1);
    for (const q of queued) await local.runtime.invokeAsync(q.functionName, JSON.parse(q.payload));
    const build = await onlyBuild(local);
    expect(build).to.include({ status: 'failed', errorCode: 'InvalidAMIID.NotFound' });
    expect(build.reason).to.include(pending.baseImageId);
    expect(await leftovers(aws, local)).to.deep.equal([]);
  });

  const permanent = [
    {
      action: 'ec2:RunInstances',
      code: 'InsufficientInstanceCapacity',
      status: 500,
      times: 6,
      reason: /^RunInstances failed: InsufficientInstanceCapacity/,
    },
    {
      action: 'ec2:RunInstances',
      code: 'UnauthorizedOperation',
      status: 403,
      times: 1,
      reason: /^RunInstances failed: UnauthorizedOperation/,
    },
    {
      action: 'ec2:CreateImage',
      code: 'UnauthorizedOperation',
      status: 403,
      times: 1,
      reason: /^CreateImage failed: UnauthorizedOperation/,
    },
  ];
  for (const p of permanent) {
    it(`fails the build with ${p.code} from ${p.action}${p.times > 1 ? ' after every retry' : ''}, leaving nothing`, async () => {
      const clean = await deploy();
      aws.gateway.faults.reset();
      await runBakeCycle(aws, clean, { workdir: scratch.path });
      const at = aws.gateway.faults.trace.findIndex((c) => c.action === p.action) + 1;
      expect(at).to.be.greaterThan(0);

      const local = await deploy();
      aws.gateway.faults.reset({ at, kind: 'permanent', code: p.code, status: p.status, times: p.times });
      await runBakeCycle(aws, local, { workdir: scratch.path });
      aws.gateway.faults.reset();
      const build = await onlyBuild(local);
      expect(build).to.include({ status: 'failed', errorCode: p.code });
      expect(build.reason).to.match(p.reason);
      expect(await leftovers(aws, local)).to.deep.equal([]);
    });
  }
});
