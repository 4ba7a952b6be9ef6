import { AmiBakeError } from '../functions/shared/errors';
/** The `amibake` command line, parsed (pure). */
export interface Args {
  command: string | undefined;
  positional: string[];
  json: boolean;
  force: boolean;
  dryRun: boolean;
  /** `logs --test`: the test instance's log. */
  test: boolean;
  help: boolean;
  prefix: string | undefined;
  region: string | undefined;
}

const COMMANDS = [
  'status',
  'plan',
  'build',
  'history',
  'logs',
  'diff',
  'promote',
  'rollback',
  'retire',
  'render',
] as const;

export const USAGE = `amibake: see and drive the builds of a deployed amibake stack

usage: npx amibake <command> [options]

commands:
  status                 one row per recipe: base in use, newest base, last build, current AMI
  plan                   what the next trigger run would do and why, without doing it
  build <recipe>         start a build of the recipe now (--force: even if its base and content are built)
  history <recipe>       the recipe's builds, newest first
  logs <build-id>        the build's log, as its instance wrote it (--test: its test instance's log)
  diff <build-id> [<other-build-id>]
                         packages the build's image adds, removes and changes against another
                         build's (default: the recipe's build published before it)
  promote <recipe> <build-id>
                         point the recipe's published parameter at that build's tested image
  rollback <recipe>      point it back at the tested image published before the current one
  retire                 apply every recipe's retention now (--dry-run: only list what would go)
  render <recipe>        print the exact user data a build instance of the recipe would get

options:
  --prefix <name>        the stack's name prefix (default: amibake.config.ts's namePrefix)
  --region <region>      the stack's region (default: AWS_REGION, then amibake.config.ts)
  --json                 machine-readable output on stdout
  --force, --dry-run     see build and retire
  --test                 see logs
  -h, --help             this text

exit codes: 0 done; 1 the command failed (a build not started, a log not found);
2 bad usage (unknown command, recipe or option); 3 no credentials, or no stack with that prefix.
The AWS endpoint comes from the environment (AWS_ENDPOINT_URL for an emulator).`;

/** Bad usage of the command (unknown command, option or recipe): exit code 2. */
export class UsageError extends AmiBakeError {
  override readonly name = 'UsageError';

  constructor(message: string) {
    super(message, { code: 'UsageError' });
  }
}

export function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    command: undefined,
    positional: [],
    json: false,
    force: false,
    dryRun: false,
    test: false,
    help: false,
    prefix: undefined,
    region: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      return next;
    };
    if (arg === '--json') args.json = true;
    else if (arg === '--force') args.force = true;
    else if (arg === '--dry-run') args.dryRun = true;
    else if (arg === '--test') args.test = true;
    else if (arg === '-h' || arg === '--help') args.help = true;
    else if (arg === '--prefix') args.prefix = value();
    else if (arg === '--region') args.region = value();
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}: see npx amibake --help`);
    else if (args.command === undefined) args.command = arg;
    else args.positional.push(arg);
  }
  if (args.command !== undefined && !(COMMANDS as readonly string[]).includes(args.command)) {
    throw new UsageError(`unknown command "${args.command}": use one of ${COMMANDS.join(', ')}`);
  }
  return args;
}

/** Rows as an aligned text table with a header. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
