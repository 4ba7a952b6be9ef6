import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PROJECT_ROOT } from './bundle-functions';

/**
 * `npm test`'s last step: the fault-injection layer beside the other layers, as two mocha
 * processes with an emulated account each (the machine has two cores; the fault layer uses
 * one). Each line is printed as it comes, prefixed with its layer; the run fails if either does.
 */
const RUNS = [
  { name: 'faults', script: 'test:faults' },
  { name: 'tests', script: 'test:unit-infra-integration' },
];

function run(name: string, script: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', script], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => process.stdout.write(`[${name}] ${line}\n`));
    }
    child.on('close', (code) => resolve(code ?? 1));
  });
}

async function main(): Promise<number> {
  const started = Date.now();
  const codes = await Promise.all(RUNS.map((r) => run(r.name, r.script)));
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  RUNS.forEach((r, i) => {
    process.stdout.write(`${r.name}: ${codes[i] === 0 ? 'passed' : `failed (exit ${codes[i]})`}\n`);
  });
  process.stdout.write(`test layers finished in ${seconds} s\n`);
  return codes.every((c) => c === 0) ? 0 : 1;
}

main().then((code) => process.exit(code));
