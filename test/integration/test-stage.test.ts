import {
  CreateTagsCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  ModifyImageAttributeCommand,
  type ModifyImageAttributeCommandInput,
} from '@aws-sdk/client-ec2';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { expect } from 'chai';
import { runCli } from '../../cli/main';
import { getText } from '../../functions/shared/aws/objects';
import type { BuildRecord } from '../../functions/shared/build-record';
import { createLogger } from '../../functions/shared/logger';
import type { Recipe } from '../../functions/shared/recipe';
import { retireImages } from '../../functions/shared/retire-images';
import { STAGE_TAG, TESTS_TAG } from '../../functions/shared/tags';
import { subscribeQueue } from '../../local/after-build';
import { type CycleOptions, runBakeCycle, runSweep } from '../../local/bake-cycle';
import { STAND_IN_TESTS_FAIL } from '../../local/instance-simulator';
import type { LocalAccount, LocalStack } from '../../local/local-account';
import { publishNewBase } from '../../local/vendor';
import { allBuilds, leftovers } from '../support/leftovers';
import {
  clientsAs,
  deployed,
  ecsRecipe,
  invoke,
  pointCliAt,
  scratchDir,
  testConfig,
} from '../support/local-account';

const MINUTE = 60_000;
const silent = createLogger('test', { level: 'silent' });

/** ecs-node with a test script, copied to eu-west-1 and shared: what the tests let through, or not. */
const testedConfig = () =>
  testConfig([
    ecsRecipe('ecs-node', {
      test: { script: 'user_data/ecs-node-test.sh', timeoutMinutes: 5, keepFailedDays: 3 },
      distribution: { copies: [{ region: 'eu-west-1' }], share: { accounts: ['111122223333'] } },
    }),
  ]);

/**
 * The test stage against the emulated account: an instance launched from each new image runs
 * the recipe's tests under the wrapper, and only an image that passes is published, copied and
 * shared. A failed or hung test publishes nothing and leaks nothing.
 */
describe('the test stage', function () {
  this.timeout(300_000);
  let account: LocalAccount;
  let stack: LocalStack;
  const scratch = scratchDir();
  after(() => scratch.remove());

  beforeEach(async () => {
    ({ account, stack } = await deployed(testedConfig()));
  });

  const clients = () => account.emulator.clients;
  const parameter = async (name: string, region = 'us-east-1') => {
    const ssm = clients().inRegion(region).ssm;
    return (await ssm.send(new GetParameterCommand({ Name: name })).catch(() => undefined))?.Parameter?.Value;
  };
  const tagsOf = async (imageId: string) => {
    const found = await clients().ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
    return Object.fromEntries((found.Images?.[0]?.Tags ?? []).map((t) => [t.Key, t.Value]));
  };
  const instance = async (instanceId: string) => {
    const found = await clients().ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    return found.Reservations?.[0]?.Instances?.[0];
  };
  const copiesOf = async (buildId: string) => {
    const found = await clients()
      .inRegion('eu-west-1')
      .ec2.send(
        new DescribeImagesCommand({
          Owners: ['self'],
          Filters: [{ Name: 'tag:amibake:build-id', Values: [buildId] }],
        }),
      );
    return found.Images ?? [];
  };
  const sharedWith = async (imageId: string) => {
    const attribute = await clients().ec2.send(
      new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' }),
    );
    return (attribute.LaunchPermissions ?? []).map((p) => p.UserId);
  };

  it('launches the test instance from the new image, and publishes, copies and shares only after the tests pass', async () => {
    const { builds } = await runBakeCycle(account, stack, { workdir: scratch.path });
    const [build] = builds as [BuildRecord];
    expect(build).to.include({ status: 'succeeded' });
    expect(build.test).to.include({ outcome: 'passed' });
    const imageId = build.imageId as string;

    // The test instance ran the new image, tagged as the build's test instance, and is gone.
    const tester = await instance(build.test?.instanceId as string);
    expect(tester?.ImageId).to.equal(imageId);
    expect(tester?.State?.Name).to.equal('terminated');
    expect(tester?.Tags?.find((t) => t.Key === STAGE_TAG)?.Value).to.equal('test');
    expect(tester?.InstanceId).to.not.equal(build.instanceId);

    // Both channels hold the tested image; the copy and the share exist.
    expect(await parameter('/amibake/ecs-node/latest')).to.equal(imageId);
    expect(await parameter('/amibake/ecs-node/candidate')).to.equal(imageId);
    const [copy] = await copiesOf(build.buildId);
    expect(await parameter('/amibake/ecs-node/latest', 'eu-west-1')).to.equal(copy?.ImageId);
    expect(await sharedWith(imageId)).to.deep.equal(['111122223333']);
    expect(await tagsOf(imageId)).to.not.have.property(TESTS_TAG);
    // Instances of the image and of its copy require IMDSv2 by default.
    const [image] =
      (await clients().ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images ?? [];
    expect([image?.ImdsSupport, copy?.ImdsSupport]).to.deep.equal(['v2.0', 'v2.0']);
    const unset = await clients()
      .ec2.send(new ModifyImageAttributeCommand({ ImageId: imageId, ImdsSupport: { Value: 'v1.0' } }))
      .catch((error: Error) => error.name);
    expect(unset, 'EC2 accepts only v2.0, and never unsets it').to.equal('InvalidParameterValue');

    // The test log is kept beside the build's.
    const key = `builds/${build.buildId}/test/test.log`;
    expect(build.test?.logLocation).to.equal(`s3://${stack.deployment.bucket}/${key}`);
    expect(await getText(clients().s3, { bucket: stack.deployment.bucket, key })).to.include(
      'stand-in tests',
    );
    expect(await leftovers(clients(), stack)).to.deep.equal([]);
  });

  it('publishes, copies and shares nothing when the tests fail, and keeps the image tagged for examination', async () => {
    const { builds } = await runBakeCycle(account, stack, {
      workdir: scratch.path,
      tests: () => STAND_IN_TESTS_FAIL,
    });
    const [build] = builds as [BuildRecord];
    const imageId = build.imageId as string;
    expect(build).to.include({ status: 'failed', errorCode: 'TestsFailed' });
    expect(build.reason).to.match(
      new RegExp(
        `^tests exited with status 3; test log: s3://\\S+/builds/${build.buildId}/test/test.log; image ${imageId} kept for examination until `,
      ),
    );
    expect(build.test).to.include({ outcome: 'failed' });
    const days =
      (Date.parse(build.test?.examineUntil as string) - Date.parse(build.finishedAt as string)) / 86_400_000;
    expect(Math.round(days)).to.equal(3);

    expect(build.reason).to.contain(
      '; candidate /amibake/ecs-node/candidate removed (no tested image published yet)',
    );
    // A canary fleet on the candidate stops getting the image that failed: nothing was published.
    expect(await parameter('/amibake/ecs-node/latest')).to.equal(undefined);
    expect(await parameter('/amibake/ecs-node/candidate')).to.equal(undefined);
    expect(await tagsOf(imageId)).to.include({ [TESTS_TAG]: 'failed' });
    expect(await copiesOf(build.buildId)).to.deep.equal([]);
    expect(await sharedWith(imageId)).to.deep.equal([]);
    expect(await leftovers(clients(), stack)).to.deep.equal([]);
  });

  it('times out a hung test at the sweep, terminates its instance and publishes nothing', async () => {
    await runBakeCycle(account, stack, { workdir: scratch.path, hung: (_, stage) => stage === 'test' });
    const [testing] = await allBuilds(clients(), stack);
    expect(testing?.status, 'the test instance never reports').to.equal('testing');
    const testInstance = testing?.test?.instanceId as string;

    // Within its 5 minutes and the 15-minute boot margin, the sweep waits.
    expect(await runSweep(account, stack, new Date(Date.now() + 15 * MINUTE))).to.include({ waiting: 1 });
    const report = await runSweep(account, stack, new Date(Date.now() + 22 * MINUTE));
    expect(report).to.include({ ended: 1 });
    const [build] = await allBuilds(clients(), stack);
    expect(build).to.include({ status: 'timed_out', errorCode: 'TestsTimedOut' });
    expect(build?.reason).to.contain(`test instance ${testInstance} was still running`);
    expect((await instance(testInstance))?.State?.Name).to.equal('terminated');
    expect(await tagsOf(build?.imageId as string)).to.include({ [TESTS_TAG]: 'failed' });
    expect(await parameter('/amibake/ecs-node/latest')).to.equal(undefined);
    expect(await leftovers(clients(), stack)).to.deep.equal([]);
  });

  it('launches no second test instance for a replayed request, nor one for a build that is not testing', async () => {
    const { builds } = await runBakeCycle(account, stack, { workdir: scratch.path });
    const [build] = builds as [BuildRecord];
    const replay = await invoke(account, stack, 'instanceCreate', { buildId: build.buildId, stage: 'test' });
    expect(replay).to.deep.include({ outcome: 'ignored', reason: 'build is succeeded, not testing' });
    expect(await leftovers(clients(), stack)).to.deep.equal([]);
  });

  it("lets ami_image_create tag an image amibake:tests=failed and write no other tag, on this deployment's images only", async () => {
    const { builds } = await runBakeCycle(account, stack, { workdir: scratch.path });
    const imageId = builds[0]?.imageId as string;
    const asFunction = await clientsAs(account, stack, 'imageCreate');
    const tag = (Key: string, Value: string, id = imageId) =>
      asFunction.ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key, Value }] })).then(
        () => 'allowed',
        (error: Error) => error.name,
      );
    expect(await tag(TESTS_TAG, 'passed')).to.equal('UnauthorizedOperation');
    expect(await tag('amibake:recipe', 'other')).to.equal('UnauthorizedOperation');
    // An image that is not the deployment's (the vendor's base) cannot be marked either.
    expect(await tag(TESTS_TAG, 'failed', builds[0]?.baseImageId)).to.equal('UnauthorizedOperation');
    expect(await tag(TESTS_TAG, 'failed')).to.equal('allowed');
  });

  /** The build of a cycle after the vendor released a new base. */
  const buildOnNewBase = async (options: Omit<CycleOptions, 'workdir'> = {}) => {
    await publishNewBase(
      clients().ec2,
      account.emulator.ec2,
      stack.deployment.recipes[0] as Recipe,
      new Date(),
    );
    const { builds } = await runBakeCycle(account, stack, { workdir: scratch.path, ...options });
    return builds[0] as BuildRecord;
  };

  it("lets ami_image_create change an image's IMDSv2 support and launch permissions, and no other attribute", async () => {
    const { builds } = await runBakeCycle(account, stack, { workdir: scratch.path });
    const imageId = builds[0]?.imageId as string;
    const asFunction = await clientsAs(account, stack, 'imageCreate');
    const modify = (input: Omit<ModifyImageAttributeCommandInput, 'ImageId'>) =>
      asFunction.ec2.send(new ModifyImageAttributeCommand({ ImageId: imageId, ...input })).then(
        () => 'allowed',
        (error: Error) => error.name,
      );
    expect(await modify({ Attribute: 'description', Value: 'not what the build made' })).to.equal(
      'UnauthorizedOperation',
    );
    // The structured form names no attribute, which the statements require.
    expect(await modify({ LaunchPermission: { Add: [{ UserId: '444455556666' }] } })).to.equal(
      'UnauthorizedOperation',
    );
    expect(await modify({ Attribute: 'imdsSupport', Value: 'v2.0' })).to.equal('allowed');
    // A recipe shares, so launch permissions may change; IAM cannot say with which accounts.
    expect(
      await modify({ Attribute: 'launchPermission', OperationType: 'add', UserIds: ['444455556666'] }),
    ).to.equal('allowed');
    expect(await sharedWith(imageId)).to.deep.equal(['111122223333', '444455556666']);
  });

  describe('channels, promotion and roll-back', () => {
    const withTests = (tests: 'pass' | 'fail') =>
      buildOnNewBase(tests === 'fail' ? { tests: () => STAND_IN_TESTS_FAIL } : {});
    const cli = (...argv: string[]) => runCli(argv);
    const channels = async () => ({
      published: await parameter('/amibake/ecs-node/latest'),
      candidate: await parameter('/amibake/ecs-node/candidate'),
      copy: await parameter('/amibake/ecs-node/latest', 'eu-west-1'),
    });

    it('rolls back and promotes tested images in every region, refuses a failed one, and takes it off the candidate', async () => {
      pointCliAt(account);
      const first = await withTests('pass');
      const second = await withTests('pass');
      const broken = await withTests('fail');
      expect([first.status, second.status, broken.status]).to.deep.equal([
        'succeeded',
        'succeeded',
        'failed',
      ]);
      // The failed image was the candidate until its tests failed; the channel is back on the published one.
      expect(broken.reason).to.contain(
        `; candidate /amibake/ecs-node/candidate back to the published ${second.imageId}`,
      );
      expect(await channels()).to.deep.equal({
        published: second.imageId,
        candidate: second.imageId,
        copy: second.copies?.['eu-west-1'],
      });

      const rollback = await cli('rollback', 'ecs-node');
      expect(rollback.code, rollback.stderr).to.equal(0);
      expect(rollback.stdout).to.equal(
        `/amibake/ecs-node/latest = ${first.imageId} (build ${first.buildId}, tests passed), was ${second.imageId}; eu-west-1: ${first.copies?.['eu-west-1']}\n`,
      );
      expect(await channels()).to.deep.equal({
        published: first.imageId,
        candidate: second.imageId,
        copy: first.copies?.['eu-west-1'],
      });

      const refused = await cli('promote', 'ecs-node', broken.buildId);
      expect(refused).to.deep.include({
        code: 1,
        stderr: `amibake promote: build ${broken.buildId} failed its tests (TestsFailed): an image that failed its tests is never published\n`,
      });
      expect((await channels()).published, 'nothing changed').to.equal(first.imageId);

      const promoted = JSON.parse((await cli('promote', 'ecs-node', second.buildId, '--json')).stdout);
      expect(promoted).to.deep.include({ buildId: second.buildId, previous: first.imageId });
      expect(await channels()).to.deep.include({
        published: second.imageId,
        copy: second.copies?.['eu-west-1'],
      });

      const history = JSON.parse((await cli('history', 'ecs-node', '--json')).stdout);
      expect(history.channels).to.deep.equal({ published: second.imageId, candidate: second.imageId });
      expect(history.builds.map((b: BuildRecord) => b.test?.outcome)).to.deep.equal([
        'failed',
        'passed',
        'passed',
      ]);
      expect((await cli('history', 'ecs-node')).stdout).to.match(
        new RegExp(`${broken.buildId}\\s+failed\\s+failed\\s+\\S+\\s+${broken.imageId}\\s+-\\s`),
      );

      // Retention (keep 3) keeps failed images by their examination days alone, then removes them;
      // a later failure leaves the candidate on the published image.
      const later = await withTests('fail');
      expect((await channels()).candidate).to.equal(second.imageId);
      const home = {
        ...clients(),
        table: { doc: clients().doc, tableName: stack.deployment.names.buildsTable },
        log: silent,
      };
      const lifecycle = {
        name: 'ecs-node',
        keep: 3,
        parameter: '/amibake/ecs-node/latest',
        candidateParameter: '/amibake/ecs-node/candidate',
      };
      const regions = { region: 'us-east-1', homeRegion: 'us-east-1' };
      const soon = await retireImages(
        home,
        'amibake',
        lifecycle,
        regions,
        false,
        new Date(Date.now() + 2 * 86_400_000),
      );
      expect(soon.retired).to.deep.equal([]);
      const after = await retireImages(
        home,
        'amibake',
        lifecycle,
        regions,
        false,
        new Date(Date.now() + 4 * 86_400_000),
      );
      const failedImages = [broken.imageId as string, later.imageId as string];
      expect(after.retired.map((r) => r.imageId).sort()).to.deep.equal([...failedImages].sort());
      const gone = await clients().ec2.send(
        new DescribeImagesCommand({ Filters: [{ Name: 'image-id', Values: failedImages }] }),
      );
      expect(gone.Images).to.deep.equal([]);
      expect(await leftovers(clients(), stack)).to.deep.equal([]);
    });
  });

  describe('what is in the image', () => {
    it('records the packages of each build, diffs two builds and announces the counts and the kernel change', async () => {
      pointCliAt(account);
      const inbox = await subscribeQueue(clients(), stack);
      const base: [string, string][] = [
        ['bash', '5.2.15-2+b7'],
        ['curl', '7.88.1-10'],
        ['linux-image-6.1.0-26-amd64', '6.1.112-1'],
      ];
      const build = (packages: [string, string][]) => buildOnNewBase({ packages: () => packages });
      const first = await build(base);
      const second = await build([
        ['bash', '5.2.15-2+b7'],
        ['curl', '7.88.1-10+deb12u8'],
        ['jq', '1.6-2.1'],
        ['linux-image-6.1.0-27-amd64', '6.1.115-1'],
      ]);
      expect([first.status, second.status]).to.deep.equal(['succeeded', 'succeeded']);

      const out = await runCli(['diff', second.buildId]);
      expect(out.code, out.stderr).to.equal(0);
      expect(out.stdout).to.equal(
        [
          `packages of ${second.buildId} against ${first.buildId}: 2 added, 1 removed, 1 changed; kernel linux-image-6.1.0-26-amd64 6.1.112-1 -> linux-image-6.1.0-27-amd64 6.1.115-1`,
          '+ jq 1.6-2.1',
          '+ linux-image-6.1.0-27-amd64 6.1.115-1',
          '- linux-image-6.1.0-26-amd64 6.1.112-1',
          '~ curl 7.88.1-10 -> 7.88.1-10+deb12u8',
          '',
        ].join('\n'),
      );
      const reverse = JSON.parse((await runCli(['diff', first.buildId, second.buildId, '--json'])).stdout);
      expect(reverse).to.deep.include({ buildId: first.buildId, against: second.buildId });
      expect(reverse.removed.map((p: { name: string }) => p.name)).to.deep.equal([
        'jq',
        'linux-image-6.1.0-27-amd64',
      ]);
      expect(await runCli(['diff', first.buildId])).to.deep.include({
        code: 1,
        stderr: `amibake diff: build ${first.buildId} has no earlier succeeded build of "ecs-node" to compare with: name one\n`,
      });

      const bodies: { buildId: string; packages?: object; tests?: string }[] = [];
      for (;;) {
        const batch = await clients().sqs.send(
          new ReceiveMessageCommand({ QueueUrl: inbox, MaxNumberOfMessages: 10 }),
        );
        if (!batch.Messages?.length) break;
        for (const m of batch.Messages) bodies.push(JSON.parse(JSON.parse(m.Body ?? '{}').Message));
      }
      const announced = Object.fromEntries(bodies.map((b) => [b.buildId, b]));
      expect(announced[first.buildId]).to.deep.include({
        tests: 'passed',
        packages: { against: 'base', added: 0, removed: 0, changed: 0 },
      });
      expect(announced[second.buildId]?.packages).to.deep.equal({
        against: first.buildId,
        added: 2,
        removed: 1,
        changed: 1,
        kernel: {
          from: 'linux-image-6.1.0-26-amd64 6.1.112-1',
          to: 'linux-image-6.1.0-27-amd64 6.1.115-1',
        },
      });

      // Someone who may write the bucket adds a package to the second build's manifest: the diff
      // shows what the file says, and that it is not the manifest the instance attested.
      const key = `${stack.deployment.names.logPrefix}${second.buildId}/packages.txt`;
      const ref = { bucket: stack.deployment.bucket, key };
      const manifest = (await getText(clients().s3, ref)) ?? '';
      await clients().s3.send(
        new PutObjectCommand({ Bucket: ref.bucket, Key: key, Body: `${manifest}zz-agent\t1.0\n` }),
      );
      const tampered = await runCli(['diff', second.buildId]);
      const [warning, summary] = tampered.stdout.split('\n');
      expect(warning).to.match(
        new RegExp(
          `^\\[amibake: the package manifest of ${second.buildId} is not the one its instance attested \\(SHA-256 [0-9a-f]{64}, attested [0-9a-f]{64}\\): it was rewritten after the build, do not trust it\\]$`,
        ),
      );
      expect(summary, tampered.stdout).to.match(/: 3 added, 1 removed, 1 changed;/);
      const tamperedJson = JSON.parse((await runCli(['diff', second.buildId, '--json'])).stdout);
      expect(tamperedJson.notAttested).to.have.length(1);
    });
  });
});
