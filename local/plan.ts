import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { config } from '../amibake.config';
import { InvalidInputError } from '../functions/shared/errors';
import { bundleFunctions, PROJECT_ROOT } from '../scripts/bundle-functions';
import { describeProvider } from './deploy/stack-deployment';
import { synthStack } from './deploy/stack-synth';
import { LocalAccount } from './local-account';

/**
 * `npm run plan [-- --base <git ref>]`: the real Terraform plan of this checkout's stack against
 * an emulated account that holds the stack as it is at the base (default HEAD): what the change
 * in the working tree would do, resource by resource, before it costs anything.
 */
async function main(): Promise<number> {
  const at = process.argv.indexOf('--base');
  const base = at >= 0 ? (process.argv[at + 1] ?? 'HEAD') : 'HEAD';
  const scratch = mkdtempSync(join(tmpdir(), 'amibake-plan-'));
  const worktree = join(scratch, 'base');
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const account = await LocalAccount.start(config.region);
  try {
    say(`synthesizing the stack at ${base}`);
    execFileSync('git', ['worktree', 'add', '--detach', worktree, base], {
      cwd: PROJECT_ROOT,
      stdio: 'ignore',
    });
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(worktree, 'node_modules'));
    execFileSync(process.execPath, ['--import', 'tsx', 'main.ts'], {
      cwd: worktree,
      env: { ...process.env, CDKTF_OUTDIR: join(scratch, 'base.out') },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const [prefix] = readdirSync(join(scratch, 'base.out', 'stacks'));
    if (prefix !== config.namePrefix) {
      say(`the name prefix changed (${prefix} -> ${config.namePrefix}): every resource would be replaced`);
    }
    const terraform = account.stackFor(config.namePrefix);
    terraform.stage(join(scratch, 'base.out', 'stacks', prefix ?? config.namePrefix));
    say('deploying it into the emulator with Terraform');
    const applied = await terraform.apply({ progress: (line) => say(`  ${line}`) });
    say(
      `  ${applied.created} resources in ${applied.seconds.toFixed(1)} s; provider: ${describeProvider(terraform.provider)}`,
    );
    say('planning this checkout against it (Terraform refreshes every resource first)');
    bundleFunctions();
    terraform.stage(synthStack(config, join(scratch, 'current.out')));
    process.stdout.write(await terraform.planText({ progress: (line) => say(`  ${line}`) }));
    return 0;
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    say(`amibake.config.ts is not valid:\n${error.problems.map((p) => `  - ${p}`).join('\n')}`);
    return 1;
  } finally {
    await account.stop();
    try {
      execFileSync('git', ['worktree', 'remove', '--force', worktree], {
        cwd: PROJECT_ROOT,
        stdio: 'ignore',
      });
    } catch {
      // never added: nothing to remove
    }
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`amibake plan failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
