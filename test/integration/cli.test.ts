import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { LOG_MAX_BYTES } from '../../cli/commands/logs';
import { runCli } from '../../cli/main';
import { runBakeCycle } from '../../local/bake-cycle';
import type { LocalAccount, LocalStack } from '../../local/local-account';
import { allBuilds } from '../support/leftovers';
import { deployed, pointCliAt, publishingConfig, scratchDir } from '../support/local-account';

describe('the amibake command against the deployed stack', function () {
  this.timeout(120_000);
  let account: LocalAccount;
  let stack: LocalStack;
  const scratch = scratchDir();
  let firstBuild = '';

  before(async () => {
    ({ account, stack } = await deployed(publishingConfig(2)));
    pointCliAt(account);
  });
  after(() => scratch.remove());

  const cli = (...argv: string[]) => runCli(argv);
  const json = async (...argv: string[]) => {
    const out = await cli(...argv, '--json');
    expect(out.code, out.stderr).to.equal(0);
    return JSON.parse(out.stdout);
  };

  it('lists its commands with --help and exits 0', async () => {
    const out = await cli('--help');
    expect(out.code).to.equal(0);
    for (const command of [
      'status',
      'plan',
      'build <recipe>',
      'history <recipe>',
      'logs <build-id>',
      'diff <build-id> [<other-build-id>]',
      'promote <recipe> <build-id>',
      'rollback <recipe>',
      'retire',
      'render <recipe>',
    ]) {
      expect(out.stdout).to.include(`  ${command}`);
    }
  });

  it('exits 2 on an unknown command or option', async () => {
    expect(await cli('deploy')).to.deep.include({
      code: 2,
      stderr:
        'amibake: unknown command "deploy": use one of status, plan, build, history, logs, diff, promote, rollback, retire, render\n',
    });
    expect((await cli('status', '--colour')).code).to.equal(2);
  });

  it('plans a build before the first run, with the reason', async () => {
    const { decisions } = await json('plan');
    expect(decisions).to.have.length(1);
    expect(decisions[0]).to.include({ recipe: 'ecs-node', decision: 'due' });
    expect((await cli('plan')).stdout).to.match(
      /ecs-node\s+would build\s+ami-\w+\s+new base image or recipe change \(subject to the in-flight limit\)/,
    );
  });

  it('shows one row per recipe after a build: base in use, newest base, last build, both channels', async () => {
    const { builds } = await runBakeCycle(account, stack, { workdir: scratch.path });
    firstBuild = builds[0]?.buildId ?? '';
    const { rows } = await json('status');
    expect(rows).to.deep.equal([
      {
        recipe: 'ecs-node',
        baseInUse: builds[0]?.baseImageId,
        newestBase: builds[0]?.baseImageId,
        lastBuild: firstBuild,
        lastStatus: 'succeeded',
        currentImage: builds[0]?.imageId,
        candidateImage: builds[0]?.imageId,
      },
    ]);
    const text = (await cli('status')).stdout;
    expect(text.split('\n')[0]).to.match(
      /^RECIPE\s+BASE IN USE\s+NEWEST BASE\s+LAST BUILD\s+STATE\s+PUBLISHED AMI\s+CANDIDATE AMI$/,
    );
    expect(text).to.include('(same)');
  });

  it('says why nothing is due, and refuses to build it again without --force', async () => {
    const { decisions } = await json('plan');
    expect(decisions[0]).to.include({
      decision: 'not-due',
      reason: 'build of this base and recipe hash is succeeded',
    });
    const refused = await cli('build', 'ecs-node');
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(/recipe "ecs-node" is not due: .*\(use --force to build it again\)/);
  });

  it('starts a build with --force: a pending record and a launch request', async () => {
    const queued = account.emulator.lambda.pending;
    const started = await json('build', 'ecs-node', '--force');
    expect(started.buildId).to.match(/^ecs-node-\d{14}-[0-9a-f]{6}$/);
    expect(account.emulator.lambda.pending).to.equal(queued + 1);
    const record = (await allBuilds(account.emulator.clients, stack)).find(
      (b) => b.buildId === started.buildId,
    );
    expect(record?.status).to.equal('pending');
  });

  it("lists a recipe's builds, newest first, and exits 2 for an unknown recipe", async () => {
    const { builds } = await json('history', 'ecs-node');
    expect(builds.map((b: { status: string }) => b.status)).to.deep.equal(['pending', 'succeeded']);
    const unknown = await cli('history', 'nginx');
    expect(unknown).to.deep.include({
      code: 2,
      stderr: 'amibake history: unknown recipe "nginx": use one of ecs-node\n',
    });
  });

  it("prints a build's log, and exits 1 when there is none", async () => {
    const out = await cli('logs', firstBuild);
    expect(out.code).to.equal(0);
    expect(out.stdout).to.include('stand-in customisation');
    expect(out.stdout, 'the attested log, as uploaded').to.not.include('[amibake:');
    const missing = await cli('logs', 'ecs-node-20200101000000-abcdef');
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.match(/no log for build ecs-node-20200101000000-abcdef at s3:\/\//);
    expect((await cli('logs', 'not-an-id')).code).to.equal(2);
  });

  it('says when a log is not the one its instance attested', async () => {
    const key = `${stack.deployment.names.logPrefix}${firstBuild}/build.log`;
    const ref = { Bucket: stack.deployment.bucket, Key: key };
    expect(await json('logs', firstBuild)).to.include({ attested: 'attested' });
    // Someone who may write the bucket rewrites the log after the build.
    await account.emulator.clients.s3.send(
      new PutObjectCommand({ ...ref, Body: 'customisation succeeded, nothing to see\n' }),
    );
    const out = await cli('logs', firstBuild);
    expect(out.code).to.equal(0);
    expect(out.stdout).to.match(
      new RegExp(
        `^customisation succeeded, nothing to see\n\\[amibake: the log of ${firstBuild} is not the one its instance attested \\(SHA-256 [0-9a-f]{64}, attested [0-9a-f]{64}\\): it was rewritten after the build, do not trust it\\]\n$`,
      ),
    );
    expect(await json('logs', firstBuild)).to.include({ attested: 'altered' });
  });

  it('streams a log in text mode, printable and capped at 1 MiB, and keeps --json exact', async () => {
    const buildId = 'ecs-node-20200101000000-0a1b2c';
    const key = `${stack.deployment.names.logPrefix}${buildId}/build.log`;
    const line = 'step \u001b[31mred\u001b[0m done\r\n';
    const log = line.repeat(Math.ceil((2 * LOG_MAX_BYTES) / line.length));
    await account.emulator.clients.s3.send(
      new PutObjectCommand({ Bucket: stack.deployment.bucket, Key: key, Body: log }),
    );
    const chunks: string[] = [];
    const out = await runCli(['logs', buildId], process.env, (text) => chunks.push(text));
    expect(out.code, out.stderr).to.equal(0);
    expect(chunks.length, 'written as S3 sent it').to.be.greaterThan(1);
    const shown = chunks.join('');
    expect(shown.startsWith('step \\x1b[31mred\\x1b[0m done\r\n')).to.equal(true);
    expect(shown).to.not.include('\u001b');
    const printed = LOG_MAX_BYTES + (shown.match(/\\x1b/g) ?? []).length * 3;
    expect(shown.length, 'the first MiB, with each ESC shown as 4 characters').to.equal(printed);
    // A log no build record knows was never attested: the reader is told.
    expect(out.stdout).to.match(
      new RegExp(
        `^\\n?\\[amibake: the log is longer than ${LOG_MAX_BYTES} bytes; the whole log is s3://.+/${key}\\]\\n\\[amibake: the log of ${buildId} is not attested: .+\\]\\n$`,
      ),
    );
    const exact = await json('logs', buildId);
    expect(exact).to.include({ buildId, truncated: true });
    expect(exact.log).to.equal(log.slice(0, LOG_MAX_BYTES));
  });

  it('renders the exact user data: the wrapper around the deployed script', async () => {
    const out = await cli('render', 'ecs-node');
    expect(out.code).to.equal(0);
    expect(out.stdout.startsWith('#!/bin/bash')).to.equal(true);
    expect(out.stdout).to.include(stack.deployment.scripts[0]?.content.split('\n')[1] ?? 'missing');
    expect(out.stdout).to.match(/X-Amz-Signature=/);
  });

  it('lists what retention would remove on a dry run, and removes it for real', async () => {
    await runBakeCycle(account, stack, { workdir: scratch.path }); // launches the forced build
    const images = async () =>
      (
        await account.emulator.clients.ec2.send(
          new DescribeImagesCommand({
            Owners: ['self'],
            Filters: [{ Name: 'tag:amibake:recipe', Values: ['ecs-node'] }],
          }),
        )
      ).Images?.map((i) => i.ImageId as string) ?? [];
    const both = await images();
    expect(both).to.have.length(2);
    await deployed(publishingConfig(1), { keepBuildData: true });

    const dry = await json('retire', '--dry-run');
    expect(dry.reports[0]).to.include({ recipe: 'ecs-node', dryRun: true });
    expect(dry.reports[0].retired).to.have.length(1);
    expect(await images(), 'a dry run removes nothing').to.have.members(both);
    const retiredId = dry.reports[0].retired[0].imageId;
    const out = await cli('retire');
    expect(out.stdout).to.match(new RegExp(`ecs-node\\s+${retiredId}\\s+retired\\s+snapshots snap-`));
    expect(await images()).to.deep.equal(both.filter((id) => id !== retiredId));
  });

  it('exits 3 when the stack does not exist, or when there are no credentials', async () => {
    const missing = await cli('status', '--prefix', 'nothing-here');
    expect(missing.code).to.equal(3);
    expect(missing.stderr).to.match(
      /no amibake stack with prefix "nothing-here" in us-east-1 \(table nothing-here-builds not found\)/,
    );
    const saved = { ...process.env };
    try {
      delete process.env.AWS_ACCESS_KEY_ID;
      delete process.env.AWS_SECRET_ACCESS_KEY;
      process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials';
      process.env.AWS_CONFIG_FILE = '/nonexistent/config';
      process.env.AWS_EC2_METADATA_DISABLED = 'true';
      const out = await cli('status');
      expect(out.code).to.equal(3);
      expect(out.stderr).to.match(/no usable AWS credentials/);
    } finally {
      Object.assign(process.env, saved);
      delete process.env.AWS_SHARED_CREDENTIALS_FILE;
      delete process.env.AWS_CONFIG_FILE;
      delete process.env.AWS_EC2_METADATA_DISABLED;
    }
  });
});
