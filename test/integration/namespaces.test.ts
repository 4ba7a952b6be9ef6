import { DescribeImagesCommand, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { expect } from 'chai';
import { runBakeCycle, runSweep } from '../../local/bake-cycle';
import type { LocalAccount, LocalStack } from '../../local/local-account';
import { allBuilds } from '../support/leftovers';
import { deployed, scratchDir, standardConfig } from '../support/local-account';

/** Two deployments whose prefixes overlap as strings: `amibake` is a prefix of `amibake-dev`. */
describe('two deployments in one account', function () {
  this.timeout(300_000);
  let account: LocalAccount;
  let production: LocalStack;
  let development: LocalStack;
  const scratch = scratchDir();
  after(() => scratch.remove());

  const devConfig = () => ({ ...standardConfig(), namePrefix: 'amibake-dev' });
  const clients = () => account.emulator.clients;
  const ruleNames = async () =>
    ((await clients().events.send(new ListRulesCommand({}))).Rules ?? []).map((r) => r.Name ?? '');
  const liveInstances = async () =>
    ((await clients().ec2.send(new DescribeInstancesCommand({}))).Reservations ?? [])
      .flatMap((r) => r.Instances ?? [])
      .filter((i) => i.State?.Name !== 'terminated')
      .map((i) => i.InstanceId ?? '');

  before(async () => {
    ({ stack: development } = await deployed(devConfig()));
    ({ account, stack: production } = await deployed(standardConfig()));
  });

  it("keeps each sweep away from the other's build rules and instances", async () => {
    await runBakeCycle(account, production, { workdir: scratch.path, hung: () => true });
    await runBakeCycle(account, development, { workdir: scratch.path, hung: () => true });
    const [prodBuild] = await allBuilds(clients(), production);
    const [devBuild] = await allBuilds(clients(), development);
    expect(await ruleNames()).to.include.members([
      `amibake.${prodBuild?.buildId}`,
      `amibake-dev.${devBuild?.buildId}`,
    ]);

    const soon = new Date(Date.now() + 60_000);
    for (const stack of [production, development]) {
      const report = (await runSweep(account, stack, soon)) as Record<string, unknown>;
      expect(report, stack.deployment.names.prefix).to.deep.include({
        outcome: 'swept',
        inFlight: 1,
        waiting: 1,
        orphanRules: 0,
        foreignRules: 0,
        orphanInstances: 0,
      });
    }
    expect(await ruleNames()).to.include.members([
      `amibake.${prodBuild?.buildId}`,
      `amibake-dev.${devBuild?.buildId}`,
    ]);
    expect(await liveInstances()).to.include.members([prodBuild?.instanceId, devBuild?.instanceId]);
    expect((await allBuilds(clients(), production)).map((b) => b.status)).to.deep.equal(['building']);
    expect((await allBuilds(clients(), development)).map((b) => b.status)).to.deep.equal(['building']);
  });

  it('publishes the same recipe to a parameter of each deployment, each pointing at its own image', async () => {
    ({ stack: development } = await deployed(devConfig()));
    ({ account, stack: production } = await deployed(standardConfig()));
    for (const stack of [production, development]) {
      const { builds } = await runBakeCycle(account, stack, { workdir: scratch.path });
      expect(builds.map((b) => b.status)).to.deep.equal(['succeeded']);
    }
    for (const prefix of ['amibake', 'amibake-dev']) {
      const parameter = await clients().ssm.send(
        new GetParameterCommand({ Name: `/${prefix}/ecs-node/latest` }),
      );
      const images = await clients().ec2.send(
        new DescribeImagesCommand({ ImageIds: [parameter.Parameter?.Value ?? ''] }),
      );
      const tags = Object.fromEntries((images.Images?.[0]?.Tags ?? []).map((t) => [t.Key, t.Value]));
      expect(tags['amibake:deployment'], prefix).to.equal(prefix);
    }
  });
});
