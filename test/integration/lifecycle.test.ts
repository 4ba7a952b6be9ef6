import {
  CreateLaunchTemplateCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { expect } from 'chai';
import type { BuildRecord } from '../../functions/shared/build-record';
import { runBakeCycle } from '../../local/bake-cycle';
import type { LocalAccount, LocalStack } from '../../local/local-account';
import { publishNewBase } from '../../local/vendor';
import { deployed, publishingConfig, scratchDir } from '../support/local-account';

describe('after a build: publish, notify, retire', function () {
  this.timeout(120_000);
  let account: LocalAccount;
  const scratch = scratchDir();
  after(() => scratch.remove());

  const deploy = async (keep = 2) => {
    const d = await deployed(publishingConfig(keep));
    account = d.account;
    return d.stack;
  };
  const clients = () => account.emulator.clients;

  /** One successful build on a freshly released base. */
  async function buildOnNewBase(stack: LocalStack): Promise<BuildRecord> {
    const recipe = stack.deployment.recipes[0];
    if (!recipe) throw new Error('no recipe');
    await publishNewBase(clients().ec2, account.emulator.ec2, recipe, new Date());
    const { builds } = await runBakeCycle(account, stack, { workdir: scratch.path });
    expect(builds.map((b) => b.status)).to.deep.equal(['succeeded']);
    return builds[0] as BuildRecord;
  }

  async function ownImages(): Promise<string[]> {
    const images = await clients().ec2.send(
      new DescribeImagesCommand({
        Owners: ['self'],
        Filters: [{ Name: 'tag:amibake:recipe', Values: ['ecs-node'] }],
      }),
    );
    return (images.Images ?? []).map((i) => i.ImageId as string).sort();
  }

  it('keeps an image a launch template names', async () => {
    const stack = await deploy(1);
    const first = await buildOnNewBase(stack);
    await clients().ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: `uses-first-${Date.now()}`,
        LaunchTemplateData: { ImageId: first.imageId },
      }),
    );
    const second = await buildOnNewBase(stack);
    expect(await ownImages()).to.deep.equal([first.imageId, second.imageId].sort());
  });

  it('points /amibake/<recipe>/latest at each new image', async () => {
    const stack = await deploy();
    const parameter = () =>
      clients()
        .ssm.send(new GetParameterCommand({ Name: '/amibake/ecs-node/latest' }))
        .then((r) => r.Parameter);
    const first = await buildOnNewBase(stack);
    expect((await parameter())?.Value).to.equal(first.imageId);
    const second = await buildOnNewBase(stack);
    const latest = await parameter();
    expect(latest?.Value).to.equal(second.imageId);
    expect(latest?.DataType).to.equal('aws:ec2:image');
  });

  it('announces each finished build on the topic, success and failure, with attributes to filter on', async () => {
    const stack = await deploy();
    const queue = await clients().sqs.send(new CreateQueueCommand({ QueueName: `builds-${Date.now()}` }));
    const queueArn = (
      await clients().sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }),
      )
    ).Attributes?.QueueArn;
    await clients().sns.send(
      new SubscribeCommand({
        TopicArn: stack.outputs.notifications_topic,
        Protocol: 'sqs',
        Endpoint: queueArn,
      }),
    );
    const built = await buildOnNewBase(stack);
    const recipe = stack.deployment.recipes[0];
    if (!recipe) throw new Error('no recipe');
    await publishNewBase(clients().ec2, account.emulator.ec2, recipe, new Date());
    const { builds } = await runBakeCycle(account, stack, {
      workdir: scratch.path,
      standIn: () => '#!/bin/bash\necho broken >&2\nexit 3\n',
    });
    const failed = builds[0] as BuildRecord;

    const received = await clients().sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 10 }),
    );
    const envelopes = (received.Messages ?? []).map(
      (m) =>
        JSON.parse(m.Body ?? '{}') as {
          Subject: string;
          Message: string;
          MessageAttributes: Record<string, { Value: string }>;
        },
    );
    expect(envelopes.map((e) => e.Subject)).to.deep.equal([
      `[amibake] succeeded: ecs-node ${built.imageId}`,
      '[amibake] failed: ecs-node (CustomisationFailed)',
    ]);
    expect(envelopes.map((e) => e.MessageAttributes.status?.Value)).to.deep.equal(['succeeded', 'failed']);
    expect(envelopes[0]?.MessageAttributes.recipe?.Value).to.equal('ecs-node');
    const success = JSON.parse(envelopes[0]?.Message ?? '{}');
    expect(success).to.include({
      status: 'succeeded',
      recipe: 'ecs-node',
      buildId: built.buildId,
      baseImageId: built.baseImageId,
    });
    expect(success.images).to.deep.equal({
      'us-east-1': built.imageId,
      'eu-west-1': built.copies?.['eu-west-1'],
    });
    expect(success.durationMinutes).to.be.a('number');
    const failure = JSON.parse(envelopes[1]?.Message ?? '{}');
    expect(failure).to.include({
      status: 'failed',
      errorCode: 'CustomisationFailed',
      buildId: failed.buildId,
    });
    expect(failure.reason).to.match(/customisation exited with status 3; log: s3:\/\/.*\/build\.log$/);
    expect(failure.log).to.match(/^s3:\/\/.*\/build\.log$/);
  });

  it('keeps the newest images, deletes the snapshots of the others, and skips images in use', async () => {
    const stack = await deploy(2);
    const first = await buildOnNewBase(stack);
    const second = await buildOnNewBase(stack);
    // The second image becomes the oldest beyond "keep" two builds from now: something runs it.
    const run = await clients().ec2.send(
      new RunInstancesCommand({ ImageId: second.imageId, MinCount: 1, MaxCount: 1 }),
    );
    const third = await buildOnNewBase(stack);
    expect(await ownImages()).to.deep.equal([second.imageId, third.imageId].sort());
    const snapshots = await clients().ec2.send(
      new DescribeSnapshotsCommand({
        OwnerIds: ['self'],
        Filters: [{ Name: 'tag:amibake:build-id', Values: [first.buildId] }],
      }),
    );
    expect(snapshots.Snapshots ?? [], "the first image's snapshots").to.deep.equal([]);

    const fourth = await buildOnNewBase(stack);
    expect(await ownImages(), 'the second is in use by an instance').to.deep.equal(
      [second.imageId, third.imageId, fourth.imageId].sort(),
    );
    expect(run.Instances?.[0]?.ImageId).to.equal(second.imageId);
  });

  it('copies each image to the other regions with its tags, shares it, and publishes it there too', async () => {
    const stack = await deploy();
    const build = await buildOnNewBase(stack);
    const copyId = build.copies?.['eu-west-1'];
    expect(build.copies).to.deep.equal({ 'us-east-1': build.imageId, 'eu-west-1': copyId });
    const west = clients().inRegion('eu-west-1').ec2;
    const copies = await west.send(
      new DescribeImagesCommand({
        Owners: ['self'],
        Filters: [{ Name: 'tag:amibake:build-id', Values: [build.buildId] }],
      }),
    );
    expect(copies.Images?.map((i) => [i.ImageId, i.State])).to.deep.equal([[copyId, 'available']]);
    const tags = Object.fromEntries((copies.Images?.[0]?.Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags).to.include({ 'amibake:recipe': 'ecs-node', 'amibake:deployment': 'amibake' });
    for (const [client, imageId] of [
      [clients().ec2, build.imageId],
      [west, copyId],
    ] as const) {
      const permissions = await client.send(
        new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' }),
      );
      expect(permissions.LaunchPermissions).to.deep.equal([{ UserId: '111122223333' }]);
    }
    const westParameter = await clients()
      .inRegion('eu-west-1')
      .ssm.send(new GetParameterCommand({ Name: '/amibake/ecs-node/latest' }));
    expect(westParameter.Parameter?.Value).to.equal(copyId);
  });

  it('still succeeds when the endpoint lacks image deprecation, leaving the image without one', async () => {
    const stack = await deploy();
    const build = await buildOnNewBase(stack);
    const images = await clients().ec2.send(new DescribeImagesCommand({ ImageIds: [build.imageId ?? ''] }));
    const deprecation = images.Images?.[0]?.DeprecationTime;
    // moto has no EnableImageDeprecation: the build succeeds and the image has no deprecation time.
    expect(deprecation).to.equal(undefined);
  });
});
