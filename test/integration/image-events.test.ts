import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { DeleteRolePolicyCommand, GetRolePolicyCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { expect } from 'chai';
import { runBakeCycle, runSweep } from '../../local/bake-cycle';
import { imageStateChangeEvent } from '../../local/events/event-bridge';
import type { LocalAccount, LocalStack } from '../../local/local-account';
import { allBuilds, leftovers } from '../support/leftovers';
import { deployed, publishingConfig, scratchDir, standardConfig } from '../support/local-account';

const MINUTE = 60_000;

/**
 * Completion by EC2's `EC2 AMI State Change` events: ami_image_create requests the image and
 * returns; the image's event (a copy's, forwarded from its region) resumes the build; the sweep
 * settles a build whose event never came.
 */
describe('completion by image state events', function () {
  this.timeout(180_000);
  let account: LocalAccount;
  const scratch = scratchDir();
  after(() => scratch.remove());

  const deploy = async (config = standardConfig()) => {
    const d = await deployed(config);
    account = d.account;
    return d.stack;
  };
  const clients = () => account.emulator.clients;
  const cycle = (stack: LocalStack, images: Parameters<typeof runBakeCycle>[2]['images']) =>
    runBakeCycle(account, stack, { workdir: scratch.path, ...(images ? { images } : {}) });
  /** ami_image_create's invocations since `seen`: what set each off, how it ended, how long it ran. */
  const imageCreateRuns = (stack: LocalStack, seen: number) =>
    account.emulator.lambda.invocations
      .slice(seen)
      .filter((r) => r.functionName === stack.deployment.names.functions.imageCreate)
      .map((r) => ({
        source: r.source,
        outcome: r.outcome.ok ? (r.outcome.value as { outcome?: string }).outcome : r.outcome.errorType,
        ms: r.outcome.durationMs,
      }));

  it('requests the image and returns; the available event finishes the build, and no invocation waits', async () => {
    const stack = await deploy();
    const seen = account.emulator.lambda.invocations.length;
    const { builds } = await cycle(stack, { pendingMinutes: 20 });

    expect(builds.map((b) => b.status)).to.deep.equal(['succeeded']);
    const runs = imageCreateRuns(stack, seen);
    expect(
      runs.map((r) => [r.source.replace(/amibake\.[^ ]+$/, 'amibake.<build>'), r.outcome]),
    ).to.deep.equal([
      ['rule amibake.<build>', 'imaging'],
      ['rule amibake_image_states', 'testing'],
      // The same rule name, armed for the test instance's stop.
      ['rule amibake.<build>', 'succeeded'],
    ]);
    // The image was pending for 20 simulated minutes; each invocation ran only its own calls.
    for (const run of runs) expect(run.ms, `${run.source} ran ${run.ms} ms`).to.be.below(10_000);
    expect(await leftovers(clients(), stack)).to.deep.equal([]);
  });

  it('settles a build whose image event was lost at the next sweep', async () => {
    const stack = await deploy();
    await cycle(stack, { outcome: () => 'lost' });
    const [waiting] = await allBuilds(clients(), stack);
    expect(waiting?.status, 'no event, no progress').to.equal('imaging');

    const report = await runSweep(account, stack, new Date(Date.now() + 15 * MINUTE));
    expect(report).to.include({ settled: 1 });
    const [testing] = await allBuilds(clients(), stack);
    expect(testing?.status, 'the sweep found the image available and started its tests').to.equal('testing');
    // The next cycle boots the test instance, whose stop finishes the build.
    await cycle(stack, undefined);
    const [build] = await allBuilds(clients(), stack);
    expect(build?.status).to.equal('succeeded');
    expect(await leftovers(clients(), stack)).to.deep.equal([]);
  });

  it('fails the build with the reason EC2 gives when the image fails, and publishes nothing', async () => {
    const stack = await deploy();
    const { builds } = await cycle(stack, { outcome: () => ({ failed: 'snapshot creation failed' }) });
    const [build] = builds;
    expect(build).to.include({ status: 'failed', errorCode: 'ImageFailed' });
    expect(build?.reason).to.contain('snapshot creation failed');
    const parameter = await clients()
      .ssm.send(new GetParameterCommand({ Name: '/amibake/ecs-node/latest' }))
      .then((p) => p.Parameter?.Value)
      .catch((e: Error) => e.name);
    expect(parameter, 'the parameter does not name the failed image').to.not.equal(build?.imageId);
    expect(await leftovers(clients(), stack)).to.deep.equal([]);
  });

  it("completes copies in another region by their own events, forwarded by that region's rule", async () => {
    const stack = await deploy(publishingConfig());
    const delivered = account.events.deliveries.length;
    const { builds } = await cycle(stack, { pendingMinutes: 5 });
    const [build] = builds;
    expect(build?.status).to.equal('succeeded');
    const copyId = build?.copies?.['eu-west-1'];
    expect(copyId).to.match(/^ami-/);
    // The copy's event went to eu-west-1's rule, which forwarded it to the home bus.
    // (Another deployment of the account, if any, looks at the event too: only this one's rules count.)
    const forwarded = account.events.deliveries
      .slice(delivered)
      .filter((d) => d.ruleName === stack.deployment.names.imageStateRule)
      .filter((d) => (d.input as { detail?: { ImageId?: string } }).detail?.ImageId === copyId)
      .map((d) => [d.ruleName, d.targetArn.replace(/^arn:aws:/, ''), d.delivered]);
    expect(forwarded).to.deep.equal([
      ['amibake_image_states', 'events:us-east-1:123456789012:event-bus/default', true],
      ['amibake_image_states', 'lambda:us-east-1:123456789012:function:amibake_ami_image_create', true],
    ]);
    expect(await leftovers(clients(), stack)).to.deep.equal([]);
  });

  it("forwards nothing when the forwarding role may not put events home: the sweep settles the copy's build", async () => {
    const stack = await deploy(publishingConfig());
    const { names } = stack.deployment;
    const role = { RoleName: names.imageStateForwardingRole, PolicyName: names.imageStateForwardingRole };
    const policy = (await clients().iam.send(new GetRolePolicyCommand(role))).PolicyDocument as string;
    await clients().iam.send(new DeleteRolePolicyCommand(role));
    account.emulator.authorizer.forget();
    try {
      const delivered = account.events.deliveries.length;
      await cycle(stack, {});
      const refused = account.events.deliveries.slice(delivered).filter((d) => !d.delivered);
      expect(refused.map((d) => d.reason)).to.have.length(1);
      expect(refused[0]?.reason).to.match(/not authorized to perform: events:PutEvents/);
      expect((await allBuilds(clients(), stack))[0]?.status).to.equal('imaging');

      const report = await runSweep(account, stack, new Date(Date.now() + 15 * MINUTE));
      expect(report).to.include({ settled: 1 });
      expect((await allBuilds(clients(), stack))[0]?.status).to.equal('succeeded');
    } finally {
      await clients().iam.send(
        new PutRolePolicyCommand({ ...role, PolicyDocument: decodeURIComponent(policy) }),
      );
      account.emulator.authorizer.forget();
    }
  });

  it("ignores an image that is not a build's, and one of another deployment, after one look", async () => {
    const stack = await deploy();
    await cycle(stack, {});
    const [build] = await allBuilds(clients(), stack);
    const before = JSON.stringify(await allBuilds(clients(), stack));
    const seen = account.emulator.lambda.invocations.length;
    const foreign = await clients().ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    const vendorImage = foreign.Images?.[0]?.ImageId as string;
    for (const imageId of [vendorImage, build?.imageId as string]) {
      await account.events.publish(
        imageStateChangeEvent({ imageId, region: 'us-east-1', state: 'available' }, new Date()),
      );
    }
    await account.emulator.lambda.drain(() => {});
    const results = account.emulator.lambda.invocations
      .slice(seen)
      .filter((r) => r.functionName === stack.deployment.names.functions.imageCreate)
      .map((r) => (r.outcome.ok ? (r.outcome.value as { outcome: string; reason: string }) : r.outcome));
    expect(results).to.deep.equal([
      { outcome: 'ignored', imageId: vendorImage, reason: 'not an image of this deployment' },
      { outcome: 'ignored', buildId: build?.buildId, reason: 'build is succeeded' },
    ]);
    expect(JSON.stringify(await allBuilds(clients(), stack))).to.equal(before);
  });
});
