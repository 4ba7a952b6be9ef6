import { config } from '../amibake.config';
import { AmiBakeError, describeError } from '../functions/shared/errors';
import { type Args, parseArgs, USAGE, UsageError } from './args';
import { build } from './commands/build';
import { diff } from './commands/diff';
import { history } from './commands/history';
import { logs } from './commands/logs';
import { plan } from './commands/plan';
import { promote } from './commands/promote';
import { render } from './commands/render';
import { retire } from './commands/retire';
import { status } from './commands/status';
import { EnvironmentError, findStack } from './context';
import { printable } from './terminal';

export interface Output {
  stdout: string;
  stderr: string;
  code: number;
}

/**
 * Runs one command; never throws: every failure is a message and an exit code. Text output is
 * made printable (see terminal.ts); with --json, output is exact and a failure is also a JSON
 * object on stdout (`{"error": {"code", "message"}}`), with the same exit code.
 */
export async function runCli(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  /** Where long text output (a build's log) goes as it arrives; without it, it is in `stdout`. */
  write?: (text: string) => void,
): Promise<Output> {
  const json = argv.includes('--json');
  const failed = (command: string, message: string, code: number): Output => ({
    stdout: json ? `${JSON.stringify({ error: { command, code, message } }, null, 2)}\n` : '',
    stderr: `${printable(`amibake${command ? ` ${command}` : ''}: ${message}`)}\n`,
    code,
  });
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (error) {
    return failed('', (error as Error).message, 2);
  }
  if (args.help || args.command === undefined) {
    return { stdout: `${USAGE}\n`, stderr: '', code: args.help ? 0 : 2 };
  }
  try {
    const ctx = await findStack(
      args.prefix ?? config.namePrefix,
      args.region ?? env.AWS_REGION ?? config.region,
    );
    const result = await dispatch(ctx, args, args.json ? undefined : write);
    const { text, ...data } = result;
    if ('streamed' in result && result.streamed) return { stdout: text, stderr: '', code: 0 };
    return {
      stdout: `${args.json ? JSON.stringify(data, null, 2) : printable(text)}\n`,
      stderr: '',
      code: 0,
    };
  } catch (error) {
    const code = error instanceof UsageError ? 2 : error instanceof EnvironmentError ? 3 : 1;
    const message = error instanceof AmiBakeError ? error.message : describeError(error);
    return failed(args.command, message, code);
  }
}

async function dispatch(
  ctx: Awaited<ReturnType<typeof findStack>>,
  args: Args,
  write: ((text: string) => void) | undefined,
): Promise<{ text: string } & object> {
  const [first] = args.positional;
  switch (args.command) {
    case 'status':
      return status(ctx);
    case 'plan':
      return plan(ctx);
    case 'build':
      return build(ctx, first, args.force);
    case 'history':
      return history(ctx, first);
    case 'logs':
      return logs(ctx, first, write, args.test ? 'test' : 'build');
    case 'diff':
      return diff(ctx, first, args.positional[1]);
    case 'promote':
      return promote(ctx, first, { kind: 'promote', buildId: args.positional[1] });
    case 'rollback':
      return promote(ctx, first, { kind: 'rollback' });
    case 'retire':
      return retire(ctx, args.dryRun);
    default:
      return render(ctx, first);
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2), process.env, (text) => process.stdout.write(text)).then((out) => {
    process.stdout.write(out.stdout);
    process.stderr.write(out.stderr);
    process.exitCode = out.code;
  });
}
