import { expect } from 'chai';
import type { RecipeDecision } from '../../functions/ami-build-trigger/plan-trigger';
import { drain, runBakeCycle } from '../../local/bake-cycle';
import { AMAZON_LINUX_ACCOUNT } from '../../local/emulator/gaps/sns-gaps';
import { publishRelease, snsEvent } from '../../local/events/vendor-topics';
import { serviceMayInvoke } from '../../local/lambda/resource-policy';
import type { LocalAccount, LocalStack } from '../../local/local-account';
import { publishNewBase } from '../../local/vendor';
import { allBuilds } from '../support/leftovers';
import { deployed, ecsRecipe, invoke, localAccount, scratchDir, testConfig } from '../support/local-account';

const AL2023_TOPIC = `arn:aws:sns:us-east-1:${AMAZON_LINUX_ACCOUNT}:amazon-linux-2023-ami-updates`;
const OTHER_TOPIC = `arn:aws:sns:us-east-1:${AMAZON_LINUX_ACCOUNT}:amazon-linux-2-ami-updates`;

/** Two recipes on the same base: one tracks Amazon Linux's release topic, the other only the schedule. */
const trackingConfig = () =>
  testConfig([
    ecsRecipe('tracking', {
      base: { describe: { name: 'al2023-ami-ecs-hvm-*-kernel-6.1-x86_64' }, releaseTopic: AL2023_TOPIC },
    }),
    ecsRecipe('polling'),
  ]);

/**
 * The fast path from a vendor release: the stack subscribes ami_build_trigger to the topic the
 * recipes track, and a notification starts a run of exactly those recipes.
 */
describe('vendor release topics', function () {
  this.timeout(180_000);
  let account: LocalAccount;
  let stack: LocalStack;

  before(async () => {
    // The vendor's topics exist before the stack subscribes to one.
    const emulated = await localAccount();
    emulated.emulator.sns.vendorTopics.add(AL2023_TOPIC);
    emulated.emulator.sns.vendorTopics.add(OTHER_TOPIC);
    ({ account, stack } = await deployed(trackingConfig()));
  });

  const triggerRuns = (seen: number) =>
    account.emulator.lambda.invocations
      .slice(seen)
      .filter((r) => r.functionName === stack.deployment.names.functions.trigger);
  const release = async (topicArn: string) => {
    const seen = account.emulator.lambda.invocations.length;
    const deliveries = await publishRelease(
      account.emulator,
      topicArn,
      JSON.stringify({ release: '2023.9.20261129' }),
      new Date(),
    );
    await drain(account, () => {});
    return { deliveries, runs: triggerRuns(seen) };
  };

  it('subscribes the trigger to the topic in its region, and only that topic may invoke it', async () => {
    const [subscription, ...others] = account.emulator.sns.subscriptionsOf(AL2023_TOPIC);
    expect(others).to.deep.equal([]);
    expect(subscription).to.include({ protocol: 'lambda' });
    expect(subscription?.endpoint).to.match(/:function:amibake_ami_build_trigger$/);
    expect(account.emulator.sns.subscriptionsOf(OTHER_TOPIC), 'no recipe tracks it').to.deep.equal([]);
    const name = stack.deployment.names.functions.trigger;
    const fn = await account.emulator.functions.get(name);
    const policy = await account.emulator.functions.policy(name);
    const may = (topic: string) =>
      serviceMayInvoke(policy, {
        service: 'sns.amazonaws.com',
        functionArn: fn.arn,
        sourceArn: topic,
        sourceAccount: AMAZON_LINUX_ACCOUNT,
      }).then((v) => v.allowed);
    expect([await may(AL2023_TOPIC), await may(OTHER_TOPIC)]).to.deep.equal([true, false]);
  });

  it('starts a run of exactly the recipes that track the topic when the vendor publishes', async () => {
    const tracking = stack.deployment.recipes.find((r) => r.name === 'tracking');
    if (!tracking) throw new Error('no tracking recipe');
    await publishNewBase(account.emulator.clients.ec2, account.emulator.ec2, tracking, new Date());
    const { deliveries, runs } = await release(AL2023_TOPIC);
    expect(deliveries.map((d) => [d.delivered, d.reason])).to.deep.equal([
      [true, 'allowed by the resource policy'],
    ]);
    expect(runs).to.have.length(1);
    const decisions = (
      runs[0]?.outcome.ok ? (runs[0].outcome.value as { decisions: RecipeDecision[] }) : { decisions: [] }
    ).decisions;
    expect(decisions.map((d) => [d.recipe, d.decision])).to.deep.equal([['tracking', 'started']]);
    const builds = await allBuilds(account.emulator.clients, stack);
    expect(builds.map((b) => b.recipeName)).to.deep.equal(['tracking']);
  });

  it('bakes the tracking recipe end to end from the notification, as the schedule would', async () => {
    ({ account, stack } = await deployed(trackingConfig()));
    const tracking = stack.deployment.recipes.find((r) => r.name === 'tracking');
    if (!tracking) throw new Error('no tracking recipe');
    await publishNewBase(account.emulator.clients.ec2, account.emulator.ec2, tracking, new Date());
    const scratch = scratchDir();
    try {
      const { decisions, builds } = await runBakeCycle(account, stack, {
        workdir: scratch.path,
        release: AL2023_TOPIC,
      });
      expect(decisions.map((d) => [d.recipe, d.decision])).to.deep.equal([['tracking', 'started']]);
      expect(builds.map((b) => [b.recipeName, b.status])).to.deep.equal([['tracking', 'succeeded']]);
    } finally {
      scratch.remove();
    }
  });

  it('starts nothing for a topic no recipe tracks, and rejects a malformed notification', async () => {
    const before = (await allBuilds(account.emulator.clients, stack)).length;
    const { deliveries } = await release(OTHER_TOPIC);
    expect(deliveries, 'not subscribed').to.deep.equal([]);

    // Delivered anyway (a hand-made invoke): the run covers no recipe.
    const foreign = (await invoke(
      account,
      stack,
      'trigger',
      snsEvent('sub', OTHER_TOPIC, '{}', new Date()),
    )) as {
      decisions: RecipeDecision[];
    };
    expect(foreign.decisions).to.deep.equal([]);
    const malformed = await invoke(account, stack, 'trigger', {
      Records: [{ EventSource: 'aws:sns', Sns: {} }],
    });
    expect(malformed).to.deep.equal({
      rejected: 'event.Records[0].Sns.TopicArn must be an SNS topic ARN, got nothing',
    });
    expect((await allBuilds(account.emulator.clients, stack)).length).to.equal(before);
  });
});
