import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeImagesCommand, DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { expect } from 'chai';
import { PROJECT_ROOT } from '../../scripts/bundle-functions';

interface Report {
  builds: { recipe: string; buildId: string; imageId: string | null; status: string; tests?: string }[];
}

/** The `npx amibake …` lines of the README's day-to-day command block, in order. */
function readmeCommands(): string[][] {
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf-8');
  const dayToDay = readme.slice(readme.indexOf('\n## Day to day'));
  const block = dayToDay.slice(0, dayToDay.indexOf('\n## ', 1));
  return [...block.matchAll(/^npx amibake (.+?)\s+#/gm)].map((m) => (m[1] ?? '').trim().split(/\s+/));
}

/**
 * What a newcomer does first: `npm start -- --keep`, then every command of the README's
 * `amibake` block against the account it keeps, then Ctrl-C. Each command is run as the README
 * writes it (`bin/amibake.js`, the environment the run printed) and judged by what the account
 * holds afterwards.
 */
describe('the front door: npm start -- --keep, every README command, Ctrl-C', function () {
  this.timeout(600_000);
  let run: ChildProcess;
  let exit: Promise<number | null>;
  let stderr = '';
  let environment: Record<string, string>;
  let report: Report;
  let scratch: string[];

  const amibake = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(PROJECT_ROOT, 'bin', 'amibake.js'), ...args],
        { cwd: PROJECT_ROOT, env: { ...process.env, ...environment } },
        (error, stdout, err) =>
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr: err }),
      );
    });
  const clientConfig = () => ({
    endpoint: environment.AWS_ENDPOINT_URL,
    region: environment.AWS_REGION,
    credentials: {
      accessKeyId: environment.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: environment.AWS_SECRET_ACCESS_KEY ?? '',
    },
  });
  const published = async () =>
    (
      await new SSMClient(clientConfig()).send(
        new GetParameterCommand({ Name: '/amibake/ecs-al2023/latest' }),
      )
    ).Parameter?.Value;

  before(async () => {
    run = spawn(process.execPath, ['--import', 'tsx', 'local/run.ts', '--keep', '--json'], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    exit = new Promise((resolve) => run.once('exit', (code) => resolve(code)));
    let stdout = '';
    run.stdout?.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    run.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const kept = await Promise.race([
      new Promise<boolean>((resolve) => {
        const check = setInterval(() => {
          if (/removed on exit\)\n/.test(stderr)) {
            clearInterval(check);
            resolve(true);
          }
        }, 200);
        void exit.then(() => clearInterval(check));
      }),
      exit.then(() => false),
    ]);
    expect(kept, `npm start -- --keep ended early:\n${stderr.slice(-3000)}`).to.equal(true);
    const exports = /^ {2}export (.+)$/m.exec(stderr)?.[1] ?? '';
    environment = Object.fromEntries(exports.split(' ').map((pair) => pair.split('=') as [string, string]));
    scratch = [...(/\(scratch: (\S+) and (\S+), removed on exit\)/.exec(stderr) ?? [])].slice(1);
    report = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Report;
  });

  after(() => {
    if (run.exitCode === null) run.kill('SIGKILL');
  });

  it('keeps an account with two tested images and one that failed its tests, and says how to reach it', () => {
    expect(report.builds.map((b) => [b.status, b.tests])).to.deep.equal([
      ['succeeded', 'passed'],
      ['succeeded', 'passed'],
      ['failed', 'failed'],
    ]);
    expect(Object.keys(environment).sort()).to.deep.equal([
      'AWS_ACCESS_KEY_ID',
      'AWS_ENDPOINT_URL',
      'AWS_REGION',
      'AWS_SECRET_ACCESS_KEY',
    ]);
    expect(environment.AWS_ENDPOINT_URL).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(stderr).to.match(
      /terraform apply: \d+ of \d+ resource changes done \(\d+ s\)|resources created in/,
    );
    expect(stderr).to.match(/phases: bundle [\d.]+ s, emulator [\d.]+ s, deploy [\d.]+ s, cycles [\d.]+ s/);
    expect(scratch.every((dir) => existsSync(dir))).to.equal(true);
  });

  it("runs every command of the README's amibake block against it", async () => {
    const [first, second] = report.builds;
    const commands = readmeCommands();
    expect(commands.map((c) => c[0])).to.deep.equal([
      'status',
      'plan',
      'build',
      'history',
      'logs',
      'diff',
      'rollback',
      'promote',
      'retire',
      'render',
    ]);
    const ec2 = new EC2Client(clientConfig());
    const instances = async () =>
      (await ec2.send(new DescribeInstancesCommand({}))).Reservations?.flatMap((r) => r.Instances ?? []) ??
      [];
    const before = (await instances()).length;
    const checks: Record<string, (out: string) => unknown> = {
      status: (out) =>
        // The image that failed its tests left the candidate channel: both hold the second image.
        expect(out).to.match(new RegExp(`ecs-al2023 .*failed\\s+${second?.imageId}\\s+\\(same\\)`)),
      plan: (out) =>
        expect(out).to.match(/would build .*the last build of this base and recipe hash failed: retried/),
      build: async (out) => {
        const buildId = /^started (ecs-al2023-\d{14}-[0-9a-f]{6}) /.exec(out)?.[1] ?? '';
        expect(buildId, out).to.not.equal('');
        // The kept account goes on playing AWS: the launch runs, the build and test instances
        // boot, and the image is made, tested and published.
        const state = async () =>
          new RegExp(`^${buildId}\\s+(\\S+)`, 'm').exec((await amibake('history', 'ecs-al2023')).stdout)?.[1];
        const deadline = Date.now() + 120_000;
        while ((await state()) !== 'succeeded' && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 1000));
        expect(await state()).to.equal('succeeded');
        expect((await instances()).length).to.equal(before + 2);
      },
      history: (out) => expect(out.trim().split('\n')).to.have.length(1 + 4),
      // The build started above is published now: rollback goes back to the second image.
      logs: (out) => expect(out).to.include('customisation succeeded'),
      diff: (out) => {
        expect(out).to.include(`packages of ${second?.buildId} against ${first?.buildId}`);
        expect(out).to.include('~ openssl 3.0.15-1 -> 3.0.16-1');
      },
      rollback: async () => expect(await published()).to.equal(second?.imageId),
      promote: async () => expect(await published()).to.equal(first?.imageId),
      retire: async () => {
        const images = await ec2.send(new DescribeImagesCommand({ Owners: ['self'] }));
        expect(images.Images?.map((i) => i.ImageId)).to.include.members(
          report.builds.map((b) => b.imageId ?? ''),
        );
      },
      render: (out) => expect(out).to.match(/^#!\/bin\/bash\n# amibake build wrapper for build /),
    };
    for (const command of commands) {
      // diff and logs look at the second tested build; promote goes to the first.
      const id = command[0] === 'promote' ? first?.buildId : second?.buildId;
      const args = command.map((a) => (a === '<build-id>' ? (id ?? '') : a));
      const out = await amibake(...args);
      expect(out.code, `npx amibake ${args.join(' ')}: ${out.stderr}`).to.equal(0);
      await checks[args[0] ?? '']?.(out.stdout);
    }
  });

  it('stops on Ctrl-C and removes everything it made', async () => {
    run.kill('SIGINT');
    expect(await exit).to.equal(130);
    expect(stderr).to.include('SIGINT: stopping, and removing what this run started');
    expect(scratch.filter((dir) => existsSync(dir))).to.deep.equal([]);
    const refused = await fetch(environment.AWS_ENDPOINT_URL ?? '').then(
      () => false,
      () => true,
    );
    expect(refused, 'the emulator still answers').to.equal(true);
  });
});
