import { DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { resolveDeployment } from '../../deployment/model';
import { runBakeCycle } from '../../local/bake-cycle';
import { deployLocally, type LocalAws, type LocalDeployment } from '../../local/local-aws';
import { publishRecipes } from '../../local/provision';
import { publishNewBase } from '../../local/vendor';
import { PROJECT_ROOT } from '../../scripts/bundle-functions';
import {
  accountState,
  buildRecord,
  ecsRecipe,
  localAws,
  scratchDir,
  tagsOf,
  testConfig,
} from '../support/local-aws';

function firstRecipe(local: LocalDeployment) {
  const recipe = local.deployment.recipes[0];
  if (!recipe) throw new Error('the deployment has no recipe');
  return recipe;
}

describe('a bake cycle against moto', function () {
  this.timeout(60_000);
  let aws: LocalAws;
  let scratch: ReturnType<typeof scratchDir>;

  before(async () => {
    aws = await localAws();
    scratch = scratchDir();
  });
  after(() => scratch.remove());

  const deploy = (recipes = [ecsRecipe('ecs-node')], overrides = {}) =>
    deployLocally(aws, testConfig(recipes, overrides), { logLevel: 'silent' });
  const cycle = (local: LocalDeployment, standIn?: (recipe: string) => string) =>
    runBakeCycle(aws, local, { workdir: scratch.path, ...(standIn ? { standIn } : {}) });

  it('bakes one AMI with lineage tags from a new base and leaves nothing behind', async () => {
    const local = await deploy([ecsRecipe('ecs-node', { tags: { team: 'platform' } })]);
    const { builds } = await cycle(local);

    expect(builds).to.have.length(1);
    const build = builds[0];
    const state = await accountState(aws);
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
    const record = await buildRecord(aws, local, build?.buildId as string);
    expect(record).to.deep.include({ status: 'succeeded', imageId: image?.ImageId });
    expect(record?.logLocation).to.match(
      /^s3:\/\/amibake-artifacts-123456789012-us-east-1\/builds\/ecs-node-.*\/build\.log$/,
    );
  });

  it('tags the snapshots of the image with its lineage', async () => {
    const local = await deploy();
    await cycle(local);
    const [image] = (await accountState(aws)).images;
    const snapshotId = image?.BlockDeviceMappings?.[0]?.Ebs?.SnapshotId as string;
    const snapshots = await aws.clients.ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }));
    expect(tagsOf(snapshots.Snapshots?.[0])).to.include({
      'amibake:recipe': 'ecs-node',
      'amibake:created-by': 'amibake',
    });
  });

  it('does nothing when no new base was released, and builds again when one is', async () => {
    const local = await deploy();
    await cycle(local);
    const before = await accountState(aws);

    const second = await cycle(local);
    expect(second.builds).to.deep.equal([]);
    expect(second.decisions.map((d) => d.decision)).to.deep.equal(['not-due']);
    expect(await accountState(aws)).to.deep.equal(before);

    const release = await publishNewBase(aws.clients.ec2, aws.gateway, firstRecipe(local), new Date());
    const third = await cycle(local);
    expect(third.builds.map((b) => [b.baseImageId, b.status])).to.deep.equal([
      [release.imageId, 'succeeded'],
    ]);
    expect((await accountState(aws)).images).to.have.length(2);
  });

  it('rebuilds when the recipe changes although the base did not', async () => {
    const local = await deploy();
    const first = await cycle(local);
    const edited = resolveDeployment(testConfig([ecsRecipe('ecs-node', { instanceType: 't3.large' })]), {
      projectRoot: PROJECT_ROOT,
      bucket: local.deployment.bucket,
    });
    await publishRecipes(aws.clients, edited);

    const second = await cycle(local);
    expect(second.builds.map((b) => [b.baseImageId, b.status])).to.deep.equal([
      [first.builds[0]?.baseImageId, 'succeeded'],
    ]);
    expect(second.builds[0]?.recipeHash).not.to.equal(first.builds[0]?.recipeHash);
    expect((await accountState(aws)).images).to.have.length(2);
  });

  it('looks up a selector shared by two recipes once', async () => {
    const local = await deploy([ecsRecipe('first'), ecsRecipe('second')]);
    aws.gateway.calls.clear();
    const { decisions } = (await local.runtime.invoke(local.deployment.names.functions.trigger, {})) as {
      decisions: { decision: string }[];
    };
    expect(decisions.map((d) => d.decision)).to.deep.equal(['started', 'started']);
    expect(aws.gateway.calls.get('ec2:DescribeImages')).to.equal(1);
    aws.invokeQueue.length = 0;
  });

  it('fails a build whose customisation fails: no AMI, the reason recorded, nothing left', async () => {
    const local = await deploy();
    const { builds } = await cycle(local, () => '#!/bin/bash\necho "installing..."\nexit 3\n');
    const record = await buildRecord(aws, local, builds[0]?.buildId as string);
    expect(record?.status).to.equal('failed');
    expect(record?.errorCode).to.equal('CustomisationFailed');
    expect(record?.reason).to.match(/^customisation exited with status 3; log: s3:\/\/.*build\.log$/);
    expect(await accountState(aws)).to.deep.equal({ images: [], liveInstances: [], rules: [] });
  });

  it('retries a failed build on the next run', async () => {
    const local = await deploy();
    await cycle(local, () => 'exit 1\n');
    const retry = await cycle(local);
    expect(retry.builds.map((b) => b.status)).to.deep.equal(['succeeded']);
  });

  it('reads recipes from DynamoDB items as well as from the S3 document', async () => {
    const local = await deploy([ecsRecipe('from-dynamodb')], { recipeStore: 'dynamodb' });
    expect(local.runtime.byArn(local.deployment.names.functions.trigger)?.environment.RECIPES_STORE).to.equal(
      'dynamodb',
    );
    const { builds } = await cycle(local);
    expect(builds.map((b) => [b.recipeName, b.status])).to.deep.equal([['from-dynamodb', 'succeeded']]);
    expect((await accountState(aws)).images).to.have.length(1);
  });

  it('fetches a customisation too large for user data from S3', async () => {
    const local = await deploy([
      ecsRecipe('large', { script: 's3://amibake-artifacts-123456789012-us-east-1/custom/large.sh' }),
    ]);
    const large = `#!/bin/bash\n${'echo "a step of a long customisation"\n'.repeat(600)}`;
    await aws.clients.s3.send(
      new PutObjectCommand({ Bucket: local.deployment.bucket, Key: 'custom/large.sh', Body: large }),
    );
    const lines: string[] = [];
    const { builds } = await runBakeCycle(aws, local, { workdir: scratch.path, say: (l) => lines.push(l) });
    expect(lines.join('\n')).to.include('(user data fetch)');
    expect(builds.map((b) => b.status)).to.deep.equal(['succeeded']);
  });

  it('keeps at most the configured number of builds in flight', async () => {
    const local = await deploy([ecsRecipe('a'), ecsRecipe('b'), ecsRecipe('c')], { maxInFlight: 2 });
    const { decisions } = (await local.runtime.invoke(local.deployment.names.functions.trigger, {})) as {
      decisions: { recipe: string; decision: string }[];
    };
    expect(decisions.map((d) => [d.recipe, d.decision])).to.deep.equal([
      ['a', 'started'],
      ['b', 'started'],
      ['c', 'deferred'],
    ]);
    aws.invokeQueue.length = 0;
  });

  it('starts one build when two trigger runs overlap', async () => {
    const local = await deploy();
    const trigger = local.deployment.names.functions.trigger;
    const runs = (await Promise.all([
      local.runtime.invoke(trigger, {}),
      local.runtime.invoke(trigger, {}),
    ])) as { decisions: { decision: string }[] }[];
    const started = runs.flatMap((r) => r.decisions).filter((d) => d.decision === 'started');
    expect(started).to.have.length(1);
    expect(aws.invokeQueue).to.have.length(1);
    aws.invokeQueue.length = 0;
  });
});
