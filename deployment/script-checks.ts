import { spawnSync } from 'node:child_process';

/**
 * What synth checks in a recipe's shell script before anything is deployed: its line endings,
 * `bash -n`, and ShellCheck's errors. Scripts for another interpreter are not checked.
 */

/** The shell a script runs under (a bash or sh shebang, or none: bash), or undefined for another interpreter. */
function scriptShell(content: string): 'bash' | 'sh' | undefined {
  const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(content);
  const interpreter = shebang ? (shebang[1]?.endsWith('/env') ? shebang[2] : shebang[1]) : 'bash';
  const shell = /(?:^|\/)(bash|sh)$/.exec(interpreter ?? '')?.[1];
  return shell === 'bash' || shell === 'sh' ? shell : undefined;
}

/**
 * Windows line endings in a shell script: bash reads the carriage return as part of each word,
 * so the script fails on the instance (`$'\r': command not found`) though it looks right.
 */
function lineEndingProblem(content: string, path: string): string | undefined {
  if (!scriptShell(content)) return undefined;
  const first = content.split('\n').findIndex((line) => line.endsWith('\r'));
  if (first < 0) return undefined;
  return `has Windows (CRLF) line endings from line ${first + 1} on, which bash reads as part of each command: convert it to LF (sed -i 's/\\r$//' ${path}, or your editor's line-ending setting)`;
}

/**
 * `bash -n`'s first complaint about a script that bash runs (a bash or sh shebang, or none), or
 * undefined. Scripts for another interpreter, and machines without bash, are not checked.
 */
export function shellSyntaxProblem(content: string): string | undefined {
  if (!scriptShell(content)) return undefined;
  const check = spawnSync('bash', ['-n'], { input: content, encoding: 'utf-8' });
  if (check.error || check.status === 0) return undefined;
  const [first = 'syntax error'] = check.stderr.split('\n').filter((line) => line.trim() !== '');
  return first.replace(/^bash: /, '');
}

export interface ShellcheckResult {
  /** False when no `shellcheck` could be run: the script was not linted. */
  installed: boolean;
  /** Every error ShellCheck found, as "line N: message [SCnnnn]" (warnings and style do not stop a deploy). */
  errors: string[];
}

/** ShellCheck's errors in a shell script (none for another interpreter). */
export function shellcheckErrors(content: string, shellcheck = 'shellcheck'): ShellcheckResult {
  const shell = scriptShell(content);
  if (!shell) return { installed: true, errors: [] };
  const check = spawnSync(shellcheck, ['--severity=error', '--format=gcc', `--shell=${shell}`, '-'], {
    input: content,
    encoding: 'utf-8',
  });
  if ((check.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT')
    return { installed: false, errors: [] };
  if (check.status === 0) return { installed: true, errors: [] };
  const errors = [...(check.stdout ?? '').matchAll(/^-:(\d+):\d+: error: (.*)$/gm)].map(
    ([, line, message]) => `line ${line}: ${message}`,
  );
  return { installed: true, errors };
}

/** Said once per synth when scripts could not be linted. */
export const SHELLCHECK_MISSING =
  'shellcheck not found: recipe scripts were checked with bash -n only, not linted; install it (apt-get install shellcheck, brew install shellcheck, or https://github.com/koalaman/shellcheck#installing)';

/** Every problem of one shell script, each with the fix; and whether ShellCheck could run. */
export function scriptProblems(
  content: string,
  path: string,
  shellcheck?: string,
): { problems: string[]; linted: boolean } {
  const endings = lineEndingProblem(content, path);
  if (endings) return { problems: [endings], linted: true };
  const syntax = shellSyntaxProblem(content);
  if (syntax) {
    return {
      problems: [`is not valid shell: ${syntax}: fix it before deploying (bash -n ${path} shows the same)`],
      linted: true,
    };
  }
  const lint = shellcheckErrors(content, shellcheck);
  return {
    problems: lint.errors.map(
      (error) =>
        `fails shellcheck: ${error}: fix it before deploying (shellcheck -S error ${path} shows the same)`,
    ),
    linted: lint.installed,
  };
}
