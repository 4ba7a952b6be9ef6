import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AmiBakeError } from '../../functions/shared/errors';
import { PROJECT_ROOT } from '../../scripts/bundle-functions';

/** The moto version the emulator layer is written against: package.json's `config.motoVersion` (CI installs the same). */
export const MOTO_VERSION: string = (
  JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf-8')) as { config: { motoVersion: string } }
).config.motoVersion;

/** The project-local virtual environment moto is installed into when the machine's python3 lacks it. */
export const MOTO_VENV = join(PROJECT_ROOT, '.venv-moto');

const PROBE = 'import moto, moto.server; print(moto.__version__)';

/** What choosing a Python touches: probing one for moto's version, and installing into the venv. */
export interface PythonHost {
  /** The moto version a Python interpreter imports, or undefined (no such interpreter, or no moto). */
  motoVersion(python: string): string | undefined;
  /** Creates the venv with moto[server]==version; answers why it could not, or undefined. */
  install(venv: string, version: string): string | undefined;
  log(line: string): void;
}

/**
 * The Python that runs moto server: `AMIBAKE_PYTHON` when set, else the machine's python3 when
 * it has the pinned moto, else the project's `.venv-moto` (created and filled once, saying so).
 * When none can be had, the error gives the one command that installs moto.
 */
export function motoPython(host: PythonHost = machine, env: NodeJS.ProcessEnv = process.env): string {
  const venvPython = join(MOTO_VENV, 'bin', 'python');
  const candidates = env.AMIBAKE_PYTHON ? [env.AMIBAKE_PYTHON] : ['python3', venvPython];
  const found = candidates.map((python) => ({ python, version: host.motoVersion(python) }));
  const usable = found.find((c) => c.version === MOTO_VERSION);
  if (usable) return usable.python;
  const had = found.map((c) => `${c.python}: ${c.version ? `moto ${c.version}` : 'no moto'}`).join(', ');
  const command = `python3 -m pip install 'moto[server]==${MOTO_VERSION}'`;
  if (env.AMIBAKE_PYTHON) {
    throw new AmiBakeError(
      `AMIBAKE_PYTHON has no moto server ${MOTO_VERSION} (${had}): install it there, or unset AMIBAKE_PYTHON`,
      { code: 'MotoMissing' },
    );
  }
  host.log(`moto server ${MOTO_VERSION} not found (${had}): installing it into ${MOTO_VENV} (once)`);
  const failure = host.install(MOTO_VENV, MOTO_VERSION);
  if (failure === undefined && host.motoVersion(venvPython) === MOTO_VERSION) return venvPython;
  throw new AmiBakeError(
    `moto server ${MOTO_VERSION} is needed and could not be installed into ${MOTO_VENV} (${failure ?? 'the installed version differs'}): install it with ${command}`,
    { code: 'MotoMissing' },
  );
}

let chosen: string | undefined;

/** motoPython on this machine, chosen once per process. */
export function machineMotoPython(): string {
  chosen ??= motoPython();
  return chosen;
}

const machine: PythonHost = {
  motoVersion: (python) => {
    if (python.includes('/') && !existsSync(python)) return undefined;
    const probe = spawnSync(python, ['-c', PROBE], { encoding: 'utf-8', timeout: 60_000 });
    return probe.status === 0 ? probe.stdout.trim() : undefined;
  },
  install: (venv, version) => {
    const steps: [string, string[]][] = [
      ['python3', ['-m', 'venv', venv]],
      [
        join(venv, 'bin', 'python'),
        ['-m', 'pip', 'install', '--quiet', '--retries', '1', '--timeout', '20', `moto[server]==${version}`],
      ],
    ];
    for (const [command, args] of steps) {
      const run = spawnSync(command, args, { encoding: 'utf-8', timeout: 600_000 });
      if (run.status !== 0) {
        const said = (run.stderr || run.error?.message || '').trim().split('\n').slice(-1)[0];
        return `${command} ${args.join(' ')} failed: ${said || `exit ${run.status}`}`;
      }
    }
    return undefined;
  },
  log: (line) => console.error(line),
};
