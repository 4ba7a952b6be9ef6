import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Shutdown } from '../../../local/shutdown';
import { PROJECT_ROOT } from '../../../scripts/bundle-functions';

const FIXTURES = join(PROJECT_ROOT, 'test', 'fixtures', 'shutdown');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(read: () => T | undefined, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

describe('stopping a local run', () => {
  let scratch: string;
  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'amibake-shutdown-test-'));
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`removes its scratch directory and ends terraform with its plugin on ${signal}, sent twice`, async () => {
      const pidsFile = join(scratch, 'pids');
      const child = spawn(process.execPath, ['--import', 'tsx', join(FIXTURES, 'run-until-signal.ts')], {
        cwd: PROJECT_ROOT,
        env: {
          ...process.env,
          PATH: `${FIXTURES}:${process.env.PATH}`,
          AMIBAKE_FAKE_TERRAFORM_PIDS: pidsFile,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exit = exited(child);
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
      });
      child.stderr.on('data', (c: Buffer) => {
        err += c.toString();
      });
      const made = await until(
        () =>
          out.includes('\n') ? (JSON.parse(out.split('\n')[0] ?? '') as { scratch: string }) : undefined,
        'the run to start',
      );
      const [terraformPid, pluginPid] = await until(
        () =>
          existsSync(pidsFile) && readFileSync(pidsFile, 'utf-8').includes(' ')
            ? readFileSync(pidsFile, 'utf-8').trim().split(' ').map(Number)
            : undefined,
        'terraform to start',
      );
      expect(existsSync(made.scratch)).to.equal(true);
      expect([alive(terraformPid ?? 0), alive(pluginPid ?? 0)]).to.deep.equal([true, true]);

      child.kill(signal);
      // Ctrl-C comes again from each launcher in front of the run (npm, the toolchain, tsx).
      setTimeout(() => child.kill(signal), 100);
      expect(await exit).to.equal(signal === 'SIGINT' ? 130 : 143);
      expect(err).to.include(`${signal}: stopping, and removing what this run started`);
      expect(existsSync(made.scratch), 'the scratch directory').to.equal(false);
      await until(
        () => (alive(terraformPid ?? 0) || alive(pluginPid ?? 0) ? undefined : true),
        'terraform to end',
        3000,
      );
    });
  }

  it('runs every hook once, newest first, and reports the ones that fail', async () => {
    const shutdown = new Shutdown();
    const ran: string[] = [];
    shutdown.add('first', () => {
      ran.push('first');
    });
    shutdown.add('broken', () => {
      throw new Error('no such directory');
    });
    shutdown.add('last', async () => {
      ran.push('last');
    });
    const [failures, again] = await Promise.all([shutdown.run(), shutdown.run()]);
    expect(ran).to.deep.equal(['last', 'first']);
    expect(failures).to.deep.equal(['broken: no such directory']);
    expect(again).to.equal(failures);
  });
});
