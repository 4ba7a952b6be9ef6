import { DescribeImagesCommand, DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { expect } from 'chai';
import { listAttention } from '../../functions/shared/aws/attention';
import { receivedSubjects, subscribeQueue } from '../../local/after-build';
import { runBakeCycle } from '../../local/bake-cycle';
import type { LocalAccount, LocalStack } from '../../local/local-account';
import { publishNewBase } from '../../local/vendor';
import {
  accountState,
  buildRecord,
  deployed,
  ecsRecipe,
  invoke,
  publishingConfig,
  scratchDir,
  standardConfig,
  tagsOf,
  testConfig,
} from '../support/local-account';

function firstRecipe(stack: LocalStack) {
  const recipe = stack.deployment.recipes[0];
  if (!recipe) throw new Error('the deployment has no recipe');
  return recipe;
}

/** Three recipes, at most two in flight: a large script from S3, a base found through SSM, and a third. */
const mixedConfig = () =>
  testConfig(
    [
      ecsRecipe('large', { script: 's3://amibake-artifacts-123456789012-us-east-1/custom/large.sh' }),
      ecsRecipe('from-ssm', {
        base: { ssmParameter: '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id' },
      }),
      ecsRecipe('third'),
    ],
    { maxInFlight: 2 },
  );

/** The standard recipe, kept as one DynamoDB item per recipe. */
const dynamodbConfig = () =>
  testConfig([ecsRecipe('ecs-node', { tags: { team: 'platform' } })], { recipeStore: 'dynamodb' });

describe('a bake cycle of the deployed stack', function () {
  this.timeout(120_000);
  let account: LocalAccount;
  const scratch = scratchDir();
  after(() => scratch.remove());

  const deploy = async (config = standardConfig()) => {
    const d = await deployed(config);
    account = d.account;
    return d.stack;
  };
  const clients = () => account.emulator.clients;
  /** The large recipe's script lives outside the stack, in a bucket path the team writes. */
  const uploadLarge = async (stack: LocalStack) => {
    const large = `#!/bin/bash\n${'echo "a step of a long customisation"\n'.repeat(600)}`;
    await clients().s3.send(
      new PutObjectCommand({ Bucket: stack.deployment.bucket, Key: 'custom/large.sh', Body: large }),
    );
    return stack;
  };
  const cycle = (stack: LocalStack, standIn?: (recipe: string) => string) =>
    runBakeCycle(account, stack, { workdir: scratch.path, ...(standIn ? { standIn } : {}) });

  it('bakes one AMI with lineage tags from a new base and leaves nothing behind', async () => {
    const stack = await deploy();
    const { builds } = await cycle(stack);

    expect(builds).to.have.length(1);
    const build = builds[0];
    const state = await accountState(clients());
    expect(state.images).to.have.length(1);
    const image = state.images[0];
    expect(image?.ImageId).to.equal(build?.imageId);
    expect(tagsOf(image)).to.include({
      'amibake:recipe': 'ecs-node',
      'amibake:build-id': build?.buildId,
      'amibake:base-image-id': build?.baseImageId,
      'amibake:recipe-hash': build?.recipeHash,
      'amibake:created-by': 'amibake',
      team: 'platform',
    });
    expect(tagsOf(image)['amibake:base-image-name']).to.match(/^al2023-ami-ecs-hvm-.*-kernel-6\.1-x86_64$/);
    expect(image?.Name).to.match(/^ecs-node-\d{14}-[0-9a-f]{6}$/);
    expect(state.liveInstances).to.deep.equal([]);
    expect(state.rules).to.deep.equal([]);
    const record = await buildRecord(clients(), stack, build?.buildId as string);
    expect(record).to.deep.include({ status: 'succeeded', imageId: image?.ImageId });
    expect(record?.logLocation).to.match(
      /^s3:\/\/amibake-artifacts-123456789012-us-east-1\/builds\/ecs-node-.*\/build\.log$/,
    );
  });

  it('tags the snapshots of the image with its lineage', async () => {
    const stack = await deploy();
    await cycle(stack);
    const [image] = (await accountState(clients())).images;
    const snapshotId = image?.BlockDeviceMappings?.[0]?.Ebs?.SnapshotId as string;
    const snapshots = await clients().ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }));
    expect(tagsOf(snapshots.Snapshots?.[0])).to.include({
      'amibake:recipe': 'ecs-node',
      'amibake:created-by': 'amibake',
    });
  });

  it('does nothing when no new base was released, and builds again when one is', async () => {
    const stack = await deploy();
    await cycle(stack);
    const before = await accountState(clients());

    const second = await cycle(stack);
    expect(second.builds).to.deep.equal([]);
    expect(second.decisions.map((d) => d.decision)).to.deep.equal(['not-due']);
    expect(await accountState(clients())).to.deep.equal(before);

    const release = await publishNewBase(clients().ec2, account.emulator.ec2, firstRecipe(stack), new Date());
    const third = await cycle(stack);
    expect(third.builds.map((b) => [b.baseImageId, b.status])).to.deep.equal([
      [release.imageId, 'succeeded'],
    ]);
    expect((await accountState(clients())).images).to.have.length(2);
  });

  it('fails a build whose customisation fails: no AMI, the reason recorded, nothing left', async () => {
    const stack = await deploy();
    const { builds } = await cycle(stack, () => '#!/bin/bash\necho "installing..."\nexit 3\n');
    const record = await buildRecord(clients(), stack, builds[0]?.buildId as string);
    expect(record?.status).to.equal('failed');
    expect(record?.errorCode).to.equal('CustomisationFailed');
    expect(record?.reason).to.match(/^customisation exited with status 3; log: s3:\/\/.*build\.log$/);
    expect(await accountState(clients())).to.deep.equal({ images: [], liveInstances: [], rules: [] });
  });

  it('retries a failed build on the next run', async () => {
    const stack = await deploy();
    await cycle(stack, () => 'exit 1\n');
    const retry = await cycle(stack);
    expect(retry.builds.map((b) => b.status)).to.deep.equal(['succeeded']);
  });

  it('starts one build when two trigger runs overlap', async () => {
    const stack = await deploy();
    const runs = (await Promise.all([
      invoke(account, stack, 'trigger', {}),
      invoke(account, stack, 'trigger', {}),
    ])) as {
      decisions: { decision: string }[];
    }[];
    const started = runs.flatMap((r) => r.decisions).filter((d) => d.decision === 'started');
    expect(started).to.have.length(1);
    expect(account.emulator.lambda.pending).to.equal(1);
  });

  it('looks up a selector shared by two recipes once, and keeps at most maxInFlight builds in flight', async () => {
    const stack = await uploadLarge(await deploy(mixedConfig()));
    const { decisions } = (await invoke(account, stack, 'trigger', {})) as {
      decisions: { recipe: string; decision: string }[];
    };
    // Recipes are taken in name order: the limit defers the same ones on every run.
    expect(decisions.map((d) => [d.recipe, d.decision])).to.deep.equal([
      ['from-ssm', 'started'],
      ['large', 'started'],
      ['third', 'deferred'],
    ]);
    const describes = account.emulator.faults.trace.filter((c) => c.action === 'ec2:DescribeImages');
    expect(
      describes,
      'large and third share one walk; the image from-ssm names is described once',
    ).to.have.length(2);
    account.emulator.lambda.dropQueued();
  });

  it('fetches a customisation too large for user data from S3, and names a base found through SSM', async () => {
    const stack = await uploadLarge(await deploy(mixedConfig()));
    const lines: string[] = [];
    const { builds } = await runBakeCycle(account, stack, {
      workdir: scratch.path,
      say: (l) => lines.push(l),
    });
    expect(lines.join('\n')).to.include('(user data fetch)');
    expect(builds.map((b) => [b.recipeName, b.status])).to.deep.equal([
      ['from-ssm', 'succeeded'],
      ['large', 'succeeded'],
    ]);
    const fromSsm = builds.find((b) => b.recipeName === 'from-ssm');
    const base = await clients().ec2.send(
      new DescribeImagesCommand({ ImageIds: [fromSsm?.baseImageId ?? ''] }),
    );
    const image = (await accountState(clients())).images.find((i) => i.ImageId === fromSsm?.imageId);
    expect(tagsOf(image)['amibake:base-image-name']).to.equal(base.Images?.[0]?.Name);
  });

  it("checks an SSM base's architecture before launching: arm64 names get a Graviton type, a mismatch starts nothing", async () => {
    const arm64Image = 'ami-0e9271c829888680e';
    const stack = await deploy(
      testConfig([
        ecsRecipe('arm-by-path', { base: { ssmParameter: '/team/arm64/base' } }),
        ecsRecipe('arm-untyped', { base: { ssmParameter: '/team/graviton-base' } }),
      ]),
    );
    for (const Name of ['/team/arm64/base', '/team/graviton-base']) {
      await clients().ssm.send(
        new PutParameterCommand({ Name, Value: arm64Image, Type: 'String', Overwrite: true }),
      );
    }
    const inbox = await subscribeQueue(clients(), stack);
    const { decisions } = (await invoke(account, stack, 'trigger', {})) as {
      decisions: { recipe: string; decision: string; reason?: string }[];
    };
    expect(decisions.map((d) => [d.recipe, d.decision])).to.deep.equal([
      ['arm-untyped', 'invalid'],
      ['arm-by-path', 'started'],
    ]);
    const mismatch = `recipe "arm-untyped": instanceType "t3.small" runs x86_64 but the base is arm64: choose an arm64 type such as t4g.small, m7g.large, or a base of the other architecture (base ${arm64Image})`;
    expect(decisions[0]?.reason).to.equal(mismatch);
    const { builds } = await runBakeCycle(account, stack, { workdir: scratch.path });
    // The refused recipe is announced once, recorded for status, and not announced again.
    await invoke(account, stack, 'trigger', {});
    const table = { doc: clients().doc, tableName: stack.outputs.builds_table ?? '' };
    expect((await listAttention(table)).map((a) => [a.recipe, a.decision, a.reason])).to.deep.equal([
      ['arm-untyped', 'invalid', mismatch],
    ]);
    const subjects = await receivedSubjects(clients(), inbox);
    expect(subjects.filter((s) => s.includes('arm-untyped'))).to.deep.equal([
      '[amibake] invalid: arm-untyped (needs attention)',
    ]);
    const [build] = builds;
    expect([build?.recipeName, build?.status, build?.recipe.instanceType]).to.deep.equal([
      'arm-by-path',
      'succeeded',
      't4g.small',
    ]);
    expect(build?.baseImageName, 'the name of the image the parameter names').to.match(/arm64/);
    expect((await accountState(clients())).liveInstances).to.deep.equal([]);
  });

  it('reads recipes from DynamoDB items as well as from the S3 document', async () => {
    const stack = await deploy(dynamodbConfig());
    const trigger = await account.emulator.lambda.describe(stack.deployment.names.functions.trigger);
    expect(trigger.environment.RECIPES_STORE).to.equal('dynamodb');
    const { builds } = await cycle(stack);
    expect(builds.map((b) => [b.recipeName, b.status])).to.deep.equal([['ecs-node', 'succeeded']]);
    expect((await accountState(clients())).images).to.have.length(1);
  });

  it('rebuilds when the recipe changes although the base did not', async () => {
    const stack = await deploy(dynamodbConfig());
    const first = await cycle(stack);
    const edited = await deploy(publishingConfig());
    expect(edited.apply.changed).to.be.greaterThan(0);

    const second = await cycle(edited);
    expect(second.builds.map((b) => [b.baseImageId, b.status])).to.deep.equal([
      [first.builds[0]?.baseImageId, 'succeeded'],
    ]);
    expect(second.builds[0]?.recipeHash).not.to.equal(first.builds[0]?.recipeHash);
  });
});
