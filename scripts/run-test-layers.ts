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

/**
 * The AWS SDK's warning about a Node.js it stops supporting: no process of the suite may print
 * it (the suite runs on package.json's floor or newer).
 */
const UNSUPPORTED_NODE = 'NodeVersionSupportWarning: The AWS SDK';
const warned: string[] = [];

function run(name: string, script: string, env: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', script], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        if (line.includes(UNSUPPORTED_NODE)) warned.push(name);
        process.stdout.write(`[${name}] ${line}\n`);
      });
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
  process.stdout.write(`test layers finished in ${seconds} s on Node ${process.version}\n`);
  if (warned.length > 0)
    process.stdout.write(`${UNSUPPORTED_NODE} printed by ${[...new Set(warned)].join(', ')}\n`);
  return codes.every((c) => c === 0) && warned.length === 0 ? 0 : 1;
}

main().then((code) => process.exit(code));
