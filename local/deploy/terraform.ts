import { spawn } from 'node:child_process';
import { AmiBakeError } from '../../functions/shared/errors';

export interface TerraformResult {
  stdout: string;
  stderr: string;
  code: number;
  seconds: number;
}

/**
 * Runs one terraform command in a working directory, non-interactively, and collects its output.
 * A non-zero exit is an error that carries the end of what Terraform printed, unless the caller
 * accepts that code (`plan -detailed-exitcode` exits 2 when there are changes).
 */
export function terraform(
  cwd: string,
  args: readonly string[],
  options: { accept?: readonly number[]; env?: Record<string, string> } = {},
): Promise<TerraformResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('terraform', [...args], {
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
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new AmiBakeError(
              'terraform is not installed: the local run deploys the stack with Terraform 1.5 or newer; ' +
                'install it from https://developer.hashicorp.com/terraform/install and put it on the PATH',
              { code: 'TerraformMissing', cause: error },
            )
          : error,
      ),
    );
    child.on('close', (code) => {
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
