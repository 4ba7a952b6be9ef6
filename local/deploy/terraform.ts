import { type ChildProcess, spawn } from 'node:child_process';
import { AmiBakeError } from '../../functions/shared/errors';

export interface TerraformResult {
  stdout: string;
  stderr: string;
  code: number;
  seconds: number;
}

/** The terraform processes running now, each the leader of its own process group. */
const running = new Set<ChildProcess>();

/**
 * Runs one terraform command in a working directory, non-interactively, and collects its output
 * (`onLine` hears each line of stdout as it comes). A non-zero exit is an error that carries the
 * end of what Terraform printed, unless the caller accepts that code (`plan -detailed-exitcode`
 * exits 2 when there are changes). Terraform runs in a process group of its own, with the
 * provider plugins it starts, so that `stopTerraform` can end all of them.
 */
export function terraform(
  cwd: string,
  args: readonly string[],
  options: { accept?: readonly number[]; env?: Record<string, string>; onLine?: (line: string) => void } = {},
): Promise<TerraformResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('terraform', [...args], {
      detached: true,
      cwd,
      env: {
        ...process.env,
        TF_IN_AUTOMATION: '1',
        TF_INPUT: '0',
        CHECKPOINT_DISABLE: '1',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let partial = '';
    child.stdout.on('data', (c: Buffer) => {
      out.push(c);
      if (!options.onLine) return;
      const lines = (partial + c.toString('utf-8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) options.onLine(line);
    });
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (error: NodeJS.ErrnoException) => {
      running.delete(child);
      reject(
        error.code === 'ENOENT'
          ? new AmiBakeError(
              'terraform is not installed: the local run deploys the stack with Terraform 1.5 or newer; ' +
                'install it from https://developer.hashicorp.com/terraform/install and put it on the PATH',
              { code: 'TerraformMissing', cause: error },
            )
          : error,
      );
    });
    child.on('close', (code) => {
      running.delete(child);
      const result = {
        stdout: Buffer.concat(out).toString('utf-8'),
        stderr: Buffer.concat(err).toString('utf-8'),
        code: code ?? 1,
        seconds: (Date.now() - started) / 1000,
      };
      if (result.code === 0 || options.accept?.includes(result.code)) {
        resolve(result);
        return;
      }
      const errors = withoutCliConfigWarning(result.stderr).trim();
      const said = errors || result.stdout.trim().split('\n').slice(-30).join('\n');
      reject(
        new AmiBakeError(`terraform ${args[0]} failed (exit ${result.code}) in ${cwd}:\n${said}`, {
          code: 'TerraformFailed',
        }),
      );
    });
  });
}

/** Terraform warns on every run when TF_CLI_CONFIG_FILE names a missing file: noise, not news. */
function withoutCliConfigWarning(text: string): string {
  return text.replace(
    /There are some problems with the CLI configuration:\n[\s\S]*?does not exist\.\n╵\n?/g,
    '',
  );
}

/**
 * Ends every terraform this process started, with the provider plugins in its process group:
 * an interrupt first (Terraform stops its plugins and releases the state), then a kill of the
 * group after `graceMs`. For a run that is stopping (Ctrl-C), so that nothing it started outlives it.
 */
export async function stopTerraform(graceMs = 5000): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          const pid = child.pid;
          if (pid === undefined || child.exitCode !== null) return resolve();
          const signalGroup = (signal: NodeJS.Signals) => {
            try {
              process.kill(-pid, signal);
            } catch {
              // The group is gone already.
            }
          };
          const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
          child.once('close', () => {
            clearTimeout(timer);
            // Plugins that outlived their terraform.
            signalGroup('SIGKILL');
            resolve();
          });
          signalGroup('SIGINT');
        }),
    ),
  );
}
