import { readFileSync } from 'node:fs';
import {
  CopyImageCommand,
  CreateImageCommand,
  CreateTagsCommand,
  DeregisterImageCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DisableSerialConsoleAccessCommand,
  EnableSerialConsoleAccessCommand,
  GetSerialConsoleAccessStatusCommand,
  ModifyImageAttributeCommand,
  type ModifyImageAttributeCommandInput,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'chai';
import { runCli } from '../../cli/main';
import { buildReportKeys } from '../../functions/shared/build-record';
import type { Recipe } from '../../functions/shared/recipe';
import { sha256Hex } from '../../functions/shared/recipe-hash';
import { drain, runBakeCycle, runSweep } from '../../local/bake-cycle';
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
  standardConfig,
  testConfig,
} from '../support/local-account';

/** What an insider with a little access to the account tries against the pipeline. */
describe('attacks on what becomes a golden image', function () {
  this.timeout(180_000);
  let account: LocalAccount;
  let stack: LocalStack;
  const scratch = scratchDir();
  after(() => scratch.remove());
  const clients = () => account.emulator.clients;

  it("fails a build, naming the image, when someone tags an unrelated image with the build's id", async () => {
    ({ account, stack } = await deployed(standardConfig()));
    // The build's instance reported success and stopped; its stop event is late.
    await runBakeCycle(account, stack, { workdir: scratch.path, dropEvents: true });
    const [building] = await allBuilds(clients(), stack);
    expect(building?.status).to.equal('building');
    // An image of the account that the pipeline did not make, tagged as the build's (ec2:CreateTags only).
    const other = await clients().ec2.send(
      new RunInstancesCommand({ ImageId: building?.baseImageId, MinCount: 1, MaxCount: 1 }),
    );
    const otherInstance = other.Instances?.[0]?.InstanceId ?? '';
    const team = await clients().ec2.send(
      new CreateImageCommand({ InstanceId: otherInstance, Name: 'team-image' }),
    );
    const impostor = team.ImageId ?? '';
    await clients().ec2.send(
      new CreateTagsCommand({
        Resources: [impostor],
        Tags: [
          { Key: 'amibake:build-id', Value: building?.buildId ?? '' },
          { Key: 'amibake:deployment', Value: 'amibake' },
        ],
      }),
    );
    await clients().ec2.send(new TerminateInstancesCommand({ InstanceIds: [otherInstance] }));

    await runSweep(account, stack, new Date());

    const [build] = await allBuilds(clients(), stack);
    expect(build).to.include({ status: 'failed', errorCode: 'ImageImpostor' });
    expect(build?.reason).to.include(
      `not adopted: image ${impostor} was made from instance ${otherInstance}, not the build's ${building?.instanceId}`,
    );
    expect(build?.imageId).to.equal(undefined);
    const parameter = await clients()
      .ssm.send(new GetParameterCommand({ Name: '/amibake/ecs-node/latest' }))
      .then((answer) => answer.Parameter?.Value)
      .catch((error: Error) => error.name);
    expect(parameter, 'the parameter was never pointed at the impostor').to.not.equal(impostor);
    // The impostor is not the pipeline's to remove; the build instance is gone, unimaged.
    const images = await clients().ec2.send(new DescribeImagesCommand({ ImageIds: [impostor] }));
    expect(images.Images?.[0]?.State).to.equal('available');
    const instance = await clients().ec2.send(
      new DescribeInstancesCommand({ InstanceIds: [building?.instanceId ?? ''] }),
    );
    expect(instance.Reservations?.[0]?.Instances?.[0]?.State?.Name).to.equal('terminated');
    await clients().ec2.send(new DeregisterImageCommand({ ImageId: impostor }));
    expect(await leftovers(clients(), stack)).to.deep.equal([]);
  });

  it("retires neither the published image nor a team's copy that carries the golden image's tags", async () => {
    ({ account, stack } = await deployed(testConfig([ecsRecipe('ecs-node', { lifecycle: { keep: 1 } })])));
    const { builds } = await runBakeCycle(account, stack, { workdir: scratch.path });
    const golden = builds[0]?.imageId ?? '';
    // A team copies the golden image with its tags (copy-image --copy-image-tags): a newer image
    // tagged with the recipe, the deployment and the build id.
    const described = await clients().ec2.send(new DescribeImagesCommand({ ImageIds: [golden] }));
    const copy = await clients().ec2.send(
      new CopyImageCommand({ SourceImageId: golden, SourceRegion: account.region, Name: 'team-copy' }),
    );
    const teamCopy = copy.ImageId ?? '';
    await clients().ec2.send(
      new CreateTagsCommand({ Resources: [teamCopy], Tags: described.Images?.[0]?.Tags ?? [] }),
    );

    pointCliAt(account);
    const out = await runCli(['retire', '--json']);
    expect(out.code, out.stderr).to.equal(0);
    const [report] = JSON.parse(out.stdout).reports;
    expect(report).to.deep.include({ kept: [golden], retired: [] });

    const parameter = await clients().ssm.send(new GetParameterCommand({ Name: '/amibake/ecs-node/latest' }));
    expect(parameter.Parameter?.Value).to.equal(golden);
    const images = await clients().ec2.send(new DescribeImagesCommand({ ImageIds: [golden, teamCopy] }));
    expect((images.Images ?? []).map((i) => [i.ImageId, i.State]).sort()).to.deep.equal(
      [
        [golden, 'available'],
        [teamCopy, 'available'],
      ].sort(),
    );
    await clients().ec2.send(new DeregisterImageCommand({ ImageId: teamCopy }));
  });

  it('cannot share or make public an image through ami_image_create when no recipe shares', async () => {
    ({ account, stack } = await deployed(standardConfig()));
    const { builds } = await runBakeCycle(account, stack, { workdir: scratch.path });
    const imageId = builds[0]?.imageId ?? '';
    const asFunction = await clientsAs(account, stack, 'imageCreate');
    const modify = (input: Omit<ModifyImageAttributeCommandInput, 'ImageId'>) =>
      asFunction.ec2.send(new ModifyImageAttributeCommand({ ImageId: imageId, ...input })).then(
        () => 'allowed',
        (error: Error) => error.name,
      );
    const attempts = [
      { Attribute: 'launchPermission', OperationType: 'add' as const, UserGroups: ['all'] },
      { Attribute: 'launchPermission', OperationType: 'add' as const, UserIds: ['444455556666'] },
      { LaunchPermission: { Add: [{ Group: 'all' as const }] } },
    ];
    for (const attempt of attempts) {
      expect(await modify(attempt), JSON.stringify(attempt)).to.equal('UnauthorizedOperation');
    }
    const permissions = await clients().ec2.send(
      new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' }),
    );
    expect(permissions.LaunchPermissions).to.deep.equal([]);
    expect(await modify({ Attribute: 'imdsSupport', Value: 'v2.0' })).to.equal('allowed');
  });

  it('keeps the published image with keep: 1 when two builds of a recipe run at once', async () => {
    ({ account, stack } = await deployed(testConfig([ecsRecipe('ecs-node', { lifecycle: { keep: 1 } })])));
    const recipe = stack.deployment.recipes[0] as Recipe;
    // Build one starts; the vendor releases a newer base; build two starts while one is in flight.
    await invoke(account, stack, 'trigger', {});
    await drain(account, () => {});
    await publishNewBase(clients().ec2, account.emulator.ec2, recipe, new Date());
    await invoke(account, stack, 'trigger', {});
    await drain(account, () => {});
    const inFlight = await allBuilds(clients(), stack);
    expect(inFlight.map((b) => b.status)).to.deep.equal(['building', 'building']);

    const { builds } = await runBakeCycle(account, stack, { workdir: scratch.path });
    expect(builds.map((b) => b.status)).to.deep.equal(['succeeded', 'succeeded']);
    const [first, last] = [...builds].sort((a, b) => (a.finishedAt ?? '').localeCompare(b.finishedAt ?? ''));
    const parameter = await clients().ssm.send(new GetParameterCommand({ Name: '/amibake/ecs-node/latest' }));
    expect(parameter.Parameter?.Value, 'the parameter names the image published last').to.equal(
      last?.imageId,
    );
    const images = await clients().ec2.send(
      new DescribeImagesCommand({
        Owners: ['self'],
        Filters: [{ Name: 'tag:amibake:recipe', Values: ['ecs-node'] }],
      }),
    );
    // keep: 1 keeps the published image; the other build's image, published before, is retired.
    expect((images.Images ?? []).map((i) => i.ImageId)).to.deep.equal([last?.imageId]);
    expect(first?.imageId).to.not.equal(last?.imageId);
    expect(await leftovers(clients(), stack), 'nothing left but the retired image missing').to.deep.equal([
      `build ${first?.buildId} succeeded without its image`,
    ]);
  });

  describe('a script swapped between the trigger and the launch', () => {
    const putScript = (key: string, body: string) =>
      clients().s3.send(new PutObjectCommand({ Bucket: stack.deployment.bucket, Key: key, Body: body }));
    /** Runs the trigger once; the id of the build it started. */
    const trigger = async () => {
      const { decisions } = (await invoke(account, stack, 'trigger', {})) as {
        decisions: { decision: string; buildId?: string }[];
      };
      const started = decisions.find((d) => d.decision === 'started')?.buildId;
      expect(started, JSON.stringify(decisions)).to.be.a('string');
      return started as string;
    };
    const buildOf = async (buildId: string) =>
      (await allBuilds(clients(), stack)).find((b) => b.buildId === buildId);

    it('launches no instance type the recipes do not name, whatever the build record says', async () => {
      ({ account, stack } = await deployed(standardConfig()));
      const buildId = await trigger();
      // An insider with dynamodb:UpdateItem on the builds table asks for the largest machine.
      await clients().doc.send(
        new UpdateCommand({
          TableName: stack.outputs.builds_table,
          Key: { pk: `build#${buildId}`, sk: 'build' },
          UpdateExpression: 'SET recipe.instanceType = :type',
          ExpressionAttributeValues: { ':type': 'p5.48xlarge' },
        }),
      );
      await drain(account, () => {});
      const build = await buildOf(buildId);
      expect(build?.status).to.equal('failed');
      expect(`${build?.errorCode} ${build?.reason}`).to.match(/UnauthorizedOperation/);
      expect(build?.instanceId).to.equal(undefined);
      const denied = account.emulator.authorizer.decisions.filter(
        (d) => !d.allowed && d.action === 'ec2:RunInstances',
      );
      expect(denied.map((d) => d.resource)).to.include('arn:aws:ec2:us-east-1:123456789012:instance/*');
      expect(await leftovers(clients(), stack)).to.deep.equal([]);
    });

    it('runs the version the trigger read when the stack uploaded it', async () => {
      ({ account, stack } = await deployed(standardConfig()));
      const key = 'scripts/user_data/ecs-node.sh';
      const original = readFileSync('user_data/ecs-node.sh', 'utf-8');
      const buildId = await trigger();
      const edit = '#!/bin/bash\necho "not the reviewed script"\n';
      await putScript(key, edit);
      try {
        await runBakeCycle(account, stack, { workdir: scratch.path });
      } finally {
        await putScript(key, original);
      }
      // The edit is a new version of the recipe: the next run builds it, pinned to what it read.
      const others = (await allBuilds(clients(), stack)).filter((b) => b.buildId !== buildId);
      expect(others.map((b) => b.script?.sha256)).to.deep.equal([sha256Hex(edit)]);
      const build = await buildOf(buildId);
      expect(build?.status, build?.reason).to.equal('succeeded');
      expect(build?.script?.sha256).to.equal(sha256Hex(original));
      expect(build?.script?.versionId, 'the stack writes scripts into a versioned bucket').to.be.a('string');
      const userData = await clients().ec2.send(
        new DescribeInstanceAttributeCommand({ InstanceId: build?.instanceId ?? '', Attribute: 'userData' }),
      );
      const ran = Buffer.from(userData.UserData?.Value ?? '', 'base64').toString('utf-8');
      expect(ran).to.include(original.split('\n')[1]).and.not.include('not the reviewed script');
    });

    it('is not run when it changed where no version can be pinned: ScriptDigestMismatch, nothing launched', async () => {
      const bucket = 'team-scripts-unversioned';
      await clients()
        .s3.send(new CreateBucketCommand({ Bucket: bucket }))
        .catch(() => undefined);
      ({ account, stack } = await deployed(
        testConfig([ecsRecipe('unpinned', { script: `s3://${bucket}/custom.sh` })]),
      ));
      const put = (body: string) =>
        clients().s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'custom.sh', Body: body }));
      const reviewed = '#!/bin/bash\necho "reviewed"\n';
      await put(reviewed);
      const buildId = await trigger();
      await put('#!/bin/bash\necho "swapped"\n');
      await drain(account, () => {});
      const build = await buildOf(buildId);
      expect(build).to.include({ status: 'failed', errorCode: 'ScriptDigestMismatch' });
      expect(build?.script).to.deep.equal({ sha256: sha256Hex(reviewed) });
      expect(build?.reason).to.include(`not ${sha256Hex(reviewed)} as when the build started`);
      expect(build?.instanceId).to.equal(undefined);
      expect(await leftovers(clients(), stack)).to.deep.equal([]);
    });

    it('runs the version the trigger read when the script lives in S3, in fetch mode too', async () => {
      const uri = 's3://amibake-artifacts-123456789012-us-east-1/custom/pinned.sh';
      ({ account, stack } = await deployed(testConfig([ecsRecipe('pinned', { script: uri })])));
      const read = `#!/bin/bash\n${'echo "a reviewed step"\n'.repeat(700)}`;
      const first = await putScript('custom/pinned.sh', read);
      const buildId = await trigger();
      await putScript('custom/pinned.sh', `#!/bin/bash\n${'echo "a later edit"\n'.repeat(700)}`);
      await runBakeCycle(account, stack, { workdir: scratch.path });

      const build = await buildOf(buildId);
      expect(build?.status, build?.reason).to.equal('succeeded');
      expect(build?.script).to.deep.equal({ sha256: sha256Hex(read), versionId: first.VersionId });
      const copy = await clients().s3.send(
        new GetObjectCommand({
          Bucket: stack.deployment.bucket,
          Key: buildReportKeys(stack.deployment.names.logPrefix, build?.buildId ?? '').userData,
        }),
      );
      expect(await copy.Body?.transformToString()).to.equal(read);
    });
  });

  describe('a report forged with the status URL from the user data', () => {
    /** The status URL, as anyone allowed ec2:DescribeInstanceAttribute reads it. */
    const statusUrlOf = async (instanceId: string) => {
      const attribute = await clients().ec2.send(
        new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'userData' }),
      );
      const userData = Buffer.from(attribute.UserData?.Value ?? '', 'base64').toString('utf-8');
      // The URLs share the session token, written once: an insider splices it back in.
      const token = /^AMIBAKE_TOKEN='([^']*)'$/m.exec(userData)?.[1] ?? '';
      const url = /^AMIBAKE_STATUS_URL='(.+)'$/m.exec(userData)?.[1]?.split(`'"$AMIBAKE_TOKEN"'`).join(token);
      expect(url, 'the status URL is in the user data').to.be.a('string');
      return url as string;
    };
    /** Reports success for the build, as its wrapper would have. */
    const forgeSuccess = async (build: { buildId: string; instanceId?: string }) => {
      const forged = { buildId: build.buildId, exitCode: 0, reason: 'customisation succeeded' };
      const answer = await fetch(await statusUrlOf(build.instanceId ?? ''), {
        method: 'PUT',
        body: JSON.stringify(forged),
      });
      expect(answer.status, "the pre-signed URL accepts anyone's PUT").to.equal(200);
    };
    const instanceState = async (instanceId: string) =>
      (await clients().ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })))
        .Reservations?.[0]?.Instances?.[0]?.State?.Name;
    const parameterValue = () =>
      clients()
        .ssm.send(new GetParameterCommand({ Name: '/amibake/ecs-node/latest' }))
        .then((answer) => answer.Parameter?.Value)
        .catch((error: Error) => error.name);
    const imagesOf = async (buildId: string) =>
      (
        await clients().ec2.send(
          new DescribeImagesCommand({
            Owners: ['self'],
            Filters: [{ Name: 'tag:amibake:build-id', Values: [buildId] }],
          }),
        )
      ).Images ?? [];

    it('fails a build whose customisation failed: ReportForged, no image, nothing published', async () => {
      ({ account, stack } = await deployed(standardConfig()));
      const before = await parameterValue();
      // The customisation fails and the instance reports it; its stop event is late.
      await runBakeCycle(account, stack, {
        workdir: scratch.path,
        standIn: () => '#!/bin/bash\nexit 7\n',
        dropEvents: true,
      });
      const [building] = await allBuilds(clients(), stack);
      expect(building?.status).to.equal('building');
      await forgeSuccess(building as { buildId: string; instanceId: string });

      await runSweep(account, stack, new Date());

      const [build] = await allBuilds(clients(), stack);
      expect(build).to.include({ status: 'failed', errorCode: 'ReportForged' });
      expect(build?.reason).to.include(
        `is not the one instance ${building?.instanceId} attested on its console (exit status 7,`,
      );
      expect(build?.reason).to.include('someone else wrote it');
      expect(await imagesOf(building?.buildId ?? '')).to.deep.equal([]);
      expect(await parameterValue()).to.equal(before);
      expect(await instanceState(building?.instanceId ?? '')).to.equal('terminated');
      expect(await leftovers(clients(), stack)).to.deep.equal([]);
    });

    it('does not believe a success that the console never attests: it waits, then fails NoAttestation', async () => {
      ({ account, stack } = await deployed(standardConfig()));
      const before = await parameterValue();
      // The instance powers off without its user data running (so without reporting); its stop
      // event is late, and meanwhile a success is reported for it.
      await runBakeCycle(account, stack, { workdir: scratch.path, silent: () => true, dropEvents: true });
      const [building] = await allBuilds(clients(), stack);
      await forgeSuccess(building as { buildId: string; instanceId: string });
      const now = new Date();

      await runSweep(account, stack, now);
      const [waiting] = await allBuilds(clients(), stack);
      expect(waiting?.status, waiting?.reason).to.equal('building');
      expect(waiting?.attestationAwaitedSince).to.be.a('string');
      expect(await instanceState(building?.instanceId ?? '')).to.equal('stopped');
      expect(await imagesOf(building?.buildId ?? '')).to.deep.equal([]);

      await runSweep(account, stack, new Date(now.getTime() + 31 * 60_000));
      const [build] = await allBuilds(clients(), stack);
      expect(build).to.include({ status: 'failed', errorCode: 'NoAttestation' });
      expect(build?.reason).to.include(
        `the console of instance ${building?.instanceId} carries no attestation of build ${building?.buildId}`,
      );
      expect(await imagesOf(building?.buildId ?? '')).to.deep.equal([]);
      expect(await parameterValue()).to.equal(before);
      expect(await leftovers(clients(), stack)).to.deep.equal([]);
    });

    it('notes a report believed while the account allowed the serial console, in the record and in logs', async () => {
      ({ account, stack } = await deployed(standardConfig()));
      // Someone at the serial console's login prompt could type an attestation: not a reason to
      // refuse the report (accounts debug with it), but the reader is told.
      await clients().ec2.send(new EnableSerialConsoleAccessCommand({}));
      try {
        await runBakeCycle(account, stack, { workdir: scratch.path });
      } finally {
        await clients().ec2.send(new DisableSerialConsoleAccessCommand({}));
      }
      const [build] = await allBuilds(clients(), stack);
      expect(build?.status, build?.reason).to.equal('succeeded');
      expect(build?.attested?.build?.serialConsole).to.equal('enabled');
      expect(build?.attested?.test?.serialConsole).to.equal('enabled');
      pointCliAt(account);
      const out = await runCli(['logs', build?.buildId ?? '']);
      expect(out.stdout).to.include(
        '[amibake: the account allowed the EC2 serial console when this report was believed: whoever could use it may have typed the attestation (aws ec2 disable-serial-console-access)]',
      );
      const status = await clients().ec2.send(new GetSerialConsoleAccessStatusCommand({}));
      expect(status).to.include({ SerialConsoleAccessEnabled: false, ManagedBy: 'account' });
    });

    it('believes the real report once a late console posts its attestation (Xen instance types)', async () => {
      ({ account, stack } = await deployed(testConfig([ecsRecipe('xen', { instanceType: 't2.micro' })])));
      account.emulator.ec2.postOnStateChange = false;
      try {
        await runBakeCycle(account, stack, { workdir: scratch.path });
      } finally {
        account.emulator.ec2.postOnStateChange = true;
      }
      const [waiting] = await allBuilds(clients(), stack);
      expect(waiting?.status, waiting?.reason).to.equal('building');
      expect(waiting?.attestationAwaitedSince).to.be.a('string');

      account.emulator.ec2.postConsole(waiting?.instanceId ?? '');
      await runSweep(account, stack, new Date());
      const [tested] = await allBuilds(clients(), stack);
      expect(tested?.status, 'believed and imaged: its tests run next').to.equal('testing');
      await runBakeCycle(account, stack, { workdir: scratch.path }); // boots the test instance
      const [build] = await allBuilds(clients(), stack);
      expect(build?.status, build?.reason).to.equal('succeeded');
      expect(await imagesOf(build?.buildId ?? '')).to.have.length(1);
      expect(await leftovers(clients(), stack)).to.deep.equal([]);
    });
  });
});
