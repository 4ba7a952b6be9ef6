import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeInstanceAttributeCommand, type EC2Client, StopInstancesCommand } from '@aws-sdk/client-ec2';

/** A harmless customisation that stands in for the recipe's real script on this machine. */
export const STAND_IN_SUCCESS =
  '#!/bin/bash\necho "stand-in customisation: the recipe script is not run on this machine"\n';

/** Stand-in tests that pass, and that fail, for a simulated test instance. */
export const STAND_IN_TESTS_PASS =
  '#!/bin/bash\necho "stand-in tests: the recipe\'s test script is not run on this machine"\n';
export const STAND_IN_TESTS_FAIL =
  '#!/bin/bash\necho "stand-in tests: nginx is not listening on :80" >&2\nexit 3\n';

export interface SimulationOptions {
  /** Replaces the recipe's customisation (which would change this machine). */
  standIn: string;
  /** A scratch directory: the instance's /var/lib/amibake, its console and its power switch. */
  workdir: string;
  /** Give up on an instance that neither powers off nor exits within this time. */
  timeoutMs: number;
  /** Receives what the instance wrote to its serial console, before it stops (EC2 keeps it). */
  console: (instanceId: string, text: string) => void;
  /** The packages the machine has installed (a dpkg database under its root), if any. */
  packages?: readonly (readonly [string, string])[] | undefined;
}

export interface SimulationResult {
  poweredOff: boolean;
  /** What the instance wrote to its serial console. */
  console: string;
}

/**
 * Boots an emulated instance as far as amibake cares: runs the real wrapper from the
 * instance's user data under bash, with its customisation replaced by a stand-in and
 * power-off replaced by stopping the emulated instance.
 */
export async function simulateInstance(
  ec2: EC2Client,
  instanceId: string,
  options: SimulationOptions,
): Promise<SimulationResult> {
  const attribute = await ec2.send(
    new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'userData' }),
  );
  const userData = Buffer.from(attribute.UserData?.Value ?? '', 'base64').toString('utf-8');
  const script = join(options.workdir, 'user-data.sh');
  mkdirSync(options.workdir, { recursive: true });
  writeFileSync(script, simulatedUserData(userData, options.standIn));
  if (options.packages) seedPackages(join(options.workdir, 'root'), options.packages);
  const run = await runUntilPowerOff(script, options.workdir, options.timeoutMs);
  options.console(instanceId, run.console);
  if (run.poweredOff) await ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
  return { poweredOff: run.poweredOff, console: run.console };
}

const readIfThere = (file: string) => (existsSync(file) ? readFileSync(file, 'utf-8') : undefined);

/** The user data with the two local substitutions, inserted before the wrapper's last line (`amibake_main`). */
export function simulatedUserData(userData: string, standIn: string): string {
  const lines = userData.trimEnd().split('\n');
  const last = lines.pop();
  if (last !== 'amibake_main')
    throw new Error('user data is not an amibake wrapper (its last line is not amibake_main)');
  const body = standIn.endsWith('\n') ? standIn : `${standIn}\n`;
  const overrides = [
    '# local simulation: every path is under a scratch root; power-off stops the emulated instance;',
    '# the customisation is a stand-in, and what the recipe step wrote is kept beside the root.',
    '[ -n "$AMIBAKE_ROOT" ] && [ -n "$AMIBAKE_SIMULATION" ] || { echo "a simulated instance needs a scratch root" >&2; exit 1; }',
    'amibake_poweroff() { amibake_say "powering off"; sync; : >"$AMIBAKE_SIMULATION/powered-off"; sleep 3600; }',
    'eval "amibake_recipe_customisation() $(declare -f amibake_write_customisation | tail -n +2)"',
    'amibake_write_customisation() {',
    '  amibake_recipe_customisation "$1" || return 1',
    '  cp "$1" "$AMIBAKE_SIMULATION/customise.sh.recipe"',
    '  cat >"$1" <<\'AMIBAKE_STAND_IN\'',
    `${body}AMIBAKE_STAND_IN`,
    '}',
    // The digest check still judges what the recipe step wrote, not the stand-in.
    'eval "amibake_file_sha256() $(declare -f amibake_sha256 | tail -n +2)"',
    'amibake_sha256() {',
    '  if [ "$1" = "$AMIBAKE_DIR/customise.sh" ]; then set -- "$AMIBAKE_SIMULATION/customise.sh.recipe"; fi',
    '  amibake_file_sha256 "$1"',
    '}',
  ];
  return `${[...lines, ...overrides, last].join('\n')}\n`;
}

export interface PowerOffRun {
  /** True when the script powered off; false when it exited or outlived the timeout. */
  poweredOff: boolean;
  /** What it wrote to its console devices. */
  console: string;
  /** The machine's root directory: every path the wrapper touches is under it. */
  root: string;
  /** What the recipe's customisation step wrote (the stand-in ran instead), if it wrote anything. */
  recipeScript: string | undefined;
}

/**
 * Runs a (simulated) user data script under bash in `workdir` until it powers off or exits or
 * outlives the timeout; then kills what is left of it, as power loss would. Its console is a
 * file of the workdir, never this machine's.
 */
export async function runUntilPowerOff(
  script: string,
  workdir: string,
  timeoutMs: number,
): Promise<PowerOffRun> {
  const root = join(workdir, 'root');
  const consoleFile = join(workdir, 'console');
  mkdirSync(root, { recursive: true });
  writeFileSync(consoleFile, '');
  const poweredOff = await runScript(
    script,
    {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      AMIBAKE_ROOT: root,
      AMIBAKE_SIMULATION: workdir,
      AMIBAKE_CONSOLES: consoleFile,
    },
    timeoutMs,
  );
  return {
    poweredOff,
    console: readIfThere(consoleFile) ?? '',
    root,
    recipeScript: readIfThere(join(workdir, 'customise.sh.recipe')),
  };
}

function runScript(script: string, env: Record<string, string>, timeoutMs: number): Promise<boolean> {
  const marker = join(env.AMIBAKE_SIMULATION as string, 'powered-off');
  return new Promise((resolve) => {
    const child = spawn('bash', [script], { detached: true, stdio: 'ignore', env });
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const started = Date.now();
    const timer = setInterval(() => {
      if (existsSync(marker)) {
        clearInterval(timer);
        killGroup();
        resolve(true);
      } else if (child.exitCode !== null || Date.now() - started > timeoutMs) {
        clearInterval(timer);
        killGroup();
        resolve(false);
      }
    }, 50);
  });
}

/** A dpkg database listing these packages under a machine's root, as dpkg-query reads it. */
function seedPackages(root: string, packages: readonly (readonly [string, string])[]): void {
  mkdirSync(join(root, 'var/lib/dpkg'), { recursive: true });
  const entries = packages.map(
    ([name, version]) =>
      `Package: ${name}\nStatus: install ok installed\nMaintainer: amibake\nArchitecture: amd64\nVersion: ${version}\nDescription: ${name}\n`,
  );
  writeFileSync(join(root, 'var/lib/dpkg/status'), entries.join('\n'));
}
