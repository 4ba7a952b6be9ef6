import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PROJECT_ROOT } from './bundle-functions';

/**
 * `npm test`'s last step: the fault-injection layer, in two halves, beside the other layers: three
 * mocha processes with an emulated account each. Their cycles wait on the emulator as much as
 * they compute, so three keep the machine's two cores busier than two. Each line is printed as it
 * comes, prefixed with its layer; the run fails if any does.
 */
const RUNS: { name: string; script: string; env: Record<string, string> }[] = [
  { name: 'faults-1', script: 'test:faults', env: { AMIBAKE_FAULT_SHARD: '0/2' } },
  { name: 'faults-2', script: 'test:faults', env: { AMIBAKE_FAULT_SHARD: '1/2' } },
  { name: 'tests', script: 'test:unit-infra-integration', env: {} },
];

function run(name: string, script: string, env: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', script], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => process.stdout.write(`[${name}] ${line}\n`));
    }
    child.on('close', (code) => resolve(code ?? 1));
  });
}

async function main(): Promise<number> {
  const started = Date.now();
  const codes = await Promise.all(RUNS.map((r) => run(r.name, r.script, r.env)));
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  RUNS.forEach((r, i) => {
    process.stdout.write(`${r.name}: ${codes[i] === 0 ? 'passed' : `failed (exit ${codes[i]})`}\n`);
  });
  process.stdout.write(`test layers finished in ${seconds} s\n`);
  return codes.every((c) => c === 0) ? 0 : 1;
}

main().then((code) => process.exit(code));
