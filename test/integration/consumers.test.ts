import {
  CreateAutoScalingGroupCommand,
  DescribeInstanceRefreshesCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
} from '@aws-sdk/client-ec2';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { expect } from 'chai';
import { runCli } from '../../cli/main';
import type { BuildRecord } from '../../functions/shared/build-record';
import type { Recipe } from '../../functions/shared/recipe';
import { subscribeQueue } from '../../local/after-build';
import { runBakeCycle } from '../../local/bake-cycle';
import type { LocalAccount, LocalStack } from '../../local/local-account';
import { publishNewBase } from '../../local/vendor';
import {
  clientsAs,
  deployed,
  ecsRecipe,
  localAccount,
  pointCliAt,
  scratchDir,
  testConfig,
} from '../support/local-account';

/**
 * The recipe's consumers follow the published channel: each launch template gets a new default
 * version with the image (the rest of the template as it was), each Auto Scaling group an
 * instance refresh. A consumer that cannot be updated is reported, and the build still succeeds.
 */
describe('consumers of the published image', function () {
  this.timeout(300_000);
  let account: LocalAccount;
  let stack: LocalStack;
  let templateId = '';
  let firstImage = '';
  const scratch = scratchDir();
  after(() => scratch.remove());

  before(async () => {
    // The stack looks the named template up when it is applied: it exists first, as it would.
    const shared = await localAccount();
    const ec2 = shared.emulator.clients.ec2;
    const template = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'web-fleet',
        LaunchTemplateData: {
          ImageId: 'ami-0aae19d30bab785d3',
          InstanceType: 't3.small',
          SecurityGroupIds: ['sg-0123456789abcdef0'],
          TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'team', Value: 'web' }] }],
        },
      }),
    );
    templateId = template.LaunchTemplate?.LaunchTemplateId ?? '';
    await shared.emulator.clients.autoscaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: 'web',
        LaunchTemplate: { LaunchTemplateName: 'web-fleet', Version: '$Default' },
        MinSize: 0,
        MaxSize: 2,
        AvailabilityZones: ['us-east-1a'],
      }),
    );
    ({ account, stack } = await deployed(
      testConfig(
        [
          ecsRecipe('web', {
            consumers: {
              launchTemplates: ['web-fleet'],
              autoScalingGroups: ['web', 'retired-fleet'],
              minHealthyPercentage: 75,
            },
          }),
        ],
        { namePrefix: 'consumers' },
      ),
      { keepBuildData: true },
    ));
    pointCliAt(account);
  });

  const clients = () => account.emulator.clients;
  const defaultVersion = async () => {
    const versions = await clients().ec2.send(
      new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: templateId, Versions: ['$Default'] }),
    );
    return versions.LaunchTemplateVersions?.[0];
  };
  const build = async () => {
    await publishNewBase(
      clients().ec2,
      account.emulator.ec2,
      stack.deployment.recipes[0] as Recipe,
      new Date(),
    );
    const { builds } = await runBakeCycle(account, stack, { workdir: scratch.path });
    return builds[0] as BuildRecord;
  };

  it('gives each template a new default version with the image, refreshes each group, and reports the one it could not', async () => {
    const inbox = await subscribeQueue(clients(), stack);
    const first = await build();
    expect(first.status, first.reason).to.equal('succeeded');
    firstImage = first.imageId as string;

    const version = await defaultVersion();
    expect(version?.VersionNumber).to.equal(2);
    expect(version?.VersionDescription).to.equal(`amibake web ${first.buildId}`);
    // Only the image changed: the rest of the template came from its default version.
    expect(version?.LaunchTemplateData).to.deep.include({
      ImageId: first.imageId,
      InstanceType: 't3.small',
      SecurityGroupIds: ['sg-0123456789abcdef0'],
    });
    expect(version?.LaunchTemplateData?.TagSpecifications?.[0]?.Tags).to.deep.equal([
      { Key: 'team', Value: 'web' },
    ]);

    const refreshes = await clients().autoscaling.send(
      new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: 'web' }),
    );
    expect(
      refreshes.InstanceRefreshes?.map((r) => [r.Status, r.Preferences?.MinHealthyPercentage]),
    ).to.deep.equal([['Pending', 75]]);

    const batch = await clients().sqs.send(
      new ReceiveMessageCommand({ QueueUrl: inbox, MaxNumberOfMessages: 10 }),
    );
    const [body] = (batch.Messages ?? []).map((m) => JSON.parse(JSON.parse(m.Body ?? '{}').Message));
    expect(body.consumers).to.deep.equal([
      { kind: 'launch-template', name: 'web-fleet', ok: true, detail: 'default version 2' },
      {
        kind: 'auto-scaling-group',
        name: 'web',
        ok: true,
        detail: `instance refresh ${refreshes.InstanceRefreshes?.[0]?.InstanceRefreshId}`,
      },
      {
        kind: 'auto-scaling-group',
        name: 'retired-fleet',
        ok: false,
        detail: 'ValidationError: AutoScalingGroup name not found - retired-fleet',
      },
    ]);
  });

  it('rolls the consumers back with the published channel, and reports a refresh still in progress', async () => {
    const second = await build();
    expect(second.status).to.equal('succeeded');
    const previous = (await defaultVersion())?.LaunchTemplateData?.ImageId;
    expect(previous).to.equal(second.imageId);
    // The first refresh is still running: the second build's refresh is refused, and said so.
    const refreshes = account.emulator.autoscaling.refreshesOf('web');
    expect(refreshes).to.have.length(1);
    const inbox = await subscribeQueue(clients(), stack);
    const batch = await clients().sqs.send(
      new ReceiveMessageCommand({ QueueUrl: inbox, MaxNumberOfMessages: 10 }),
    );
    const bodies = (batch.Messages ?? []).map((m) => JSON.parse(JSON.parse(m.Body ?? '{}').Message));
    const announced = bodies.find((b) => b.buildId === second.buildId);
    expect(announced?.consumers?.[1]).to.deep.include({ name: 'web', ok: false });
    expect(announced?.consumers?.[1]?.detail).to.match(
      /^InstanceRefreshInProgressFault: An Instance Refresh is already in progress/,
    );
    for (const r of refreshes) account.emulator.autoscaling.finish(r.id);

    const rollback = await runCli(['rollback', 'web', '--prefix', 'consumers']);
    expect(rollback.code, rollback.stderr).to.equal(0);
    const [channel, template, group] = rollback.stdout.trimEnd().split('\n');
    expect(channel).to.match(new RegExp(`^/consumers/web/latest = ${firstImage} `));
    expect(template).to.equal('launch-template web-fleet: default version 4');
    expect(group).to.match(/^auto-scaling-group web: instance refresh [0-9a-f-]{36}$/);
    const rolled = await defaultVersion();
    expect(rolled?.LaunchTemplateData?.ImageId).to.equal(firstImage);
    const templates = await clients().ec2.send(
      new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [templateId] }),
    );
    expect(templates.LaunchTemplates?.[0]?.DefaultVersionNumber).to.equal(4);
  });

  it('may change no launch template but the ones recipes name', async () => {
    const other = await clients().ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'payments',
        LaunchTemplateData: { InstanceType: 't3.micro' },
      }),
    );
    const asFunction = await clientsAs(account, stack, 'imageCreate');
    const attempt = (LaunchTemplateId: string) =>
      asFunction.ec2
        .send(
          new CreateLaunchTemplateVersionCommand({
            LaunchTemplateId,
            SourceVersion: '$Default',
            LaunchTemplateData: { ImageId: 'ami-0aae19d30bab785d3' },
          }),
        )
        .then(
          () => 'allowed',
          (error: Error) => error.name,
        );
    expect(await attempt(other.LaunchTemplate?.LaunchTemplateId ?? '')).to.equal('UnauthorizedOperation');
    expect(await attempt(templateId)).to.equal('allowed');
  });
});
