import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { combineCoverage, type FaultCoverage, parseCoverageLine } from '../test/faults/coverage';
import { PROJECT_ROOT } from './bundle-functions';

/**
 * `npm test`'s last step: the test layers in three mocha processes side by side, each with an
 * emulated account of its own: the fault layer, and the unit, infrastructure and integration
 * tests in two groups (their cycles wait on the emulator and Terraform as much as they compute,
 * so three keep the machine's two cores busier than two). Each line is printed as it comes,
 * prefixed with its process; the run fails if any process does, or if the fault layer's closing
 * coverage line says it did not prove every class and pair of the clean cycles.
 */

/**
 * What each integration file costs, in seconds of one process on two shared cores (its tests and
 * the applies its configurations need), to balance the two groups. A file not listed counts as
 * a light one; every file of the folder runs in exactly one group.
 */
const INTEGRATION_SECONDS: Record<string, number> = {
  'trust.test.ts': 220,
  'bake-cycle.test.ts': 150,
  'terraform-plans.test.ts': 140,
  'lifecycle.test.ts': 130,
  'image-events.test.ts': 90,
  'kms.test.ts': 70,
  'test-stage.test.ts': 60,
  'reconciliation.test.ts': 50,
  'front-door.test.ts': 30,
  'cli.test.ts': 25,
  'namespaces.test.ts': 25,
};
const LIGHT_FILE_SECONDS = 10;
/** The unit and infrastructure layers, which go with the lighter group. */
const UNIT_AND_INFRA_SECONDS = 45;

/** The integration files in two groups of about equal cost, heaviest first. */
export function integrationGroups(files: readonly string[]): [string[], string[]] {
  const cost = (file: string) => INTEGRATION_SECONDS[file] ?? LIGHT_FILE_SECONDS;
  const groups: [string[], string[]] = [[], []];
  const totals = [UNIT_AND_INFRA_SECONDS, 0];
  for (const file of [...files].sort((a, b) => cost(b) - cost(a) || a.localeCompare(b))) {
    const lighter = (totals[0] as number) <= (totals[1] as number) ? 0 : 1;
    groups[lighter].push(file);
    totals[lighter] = (totals[lighter] as number) + cost(file);
  }
  return groups;
}

interface Run {
  name: string;
  args: string[];
  env: Record<string, string>;
  faults?: true;
}

function runs(): Run[] {
  const folder = join(PROJECT_ROOT, 'test/integration');
  const files = readdirSync(folder).filter((f) => f.endsWith('.test.ts'));
  const [first, second] = integrationGroups(files);
  const paths = (group: string[]) => group.map((f) => `test/integration/${f}`);
  return [
    { name: 'faults', args: ['test/faults/**/*.test.ts'], env: {}, faults: true },
    {
      name: 'tests-1',
      args: ['test/unit/**/*.test.ts', 'test/infra/**/*.test.ts', ...paths(first)],
      env: {},
    },
    { name: 'tests-2', args: paths(second), env: {} },
  ];
}

/**
 * The AWS SDK's warning about a Node.js it stops supporting: no process of the suite may print
 * it (the suite runs on package.json's floor or newer).
 */
const UNSUPPORTED_NODE = 'NodeVersionSupportWarning: The AWS SDK';
const warned: string[] = [];
const faultCoverage: FaultCoverage[] = [];

function run({ name, args, env, faults }: Run): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(join(PROJECT_ROOT, 'node_modules/.bin/mocha'), args, {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        if (line.includes(UNSUPPORTED_NODE)) warned.push(name);
        const coverage = faults ? parseCoverageLine(line) : undefined;
        if (coverage) faultCoverage.push(coverage);
        else process.stdout.write(`[${name}] ${line}\n`);
      });
    }
    child.on('close', (code) => resolve(code ?? 1));
  });
}

async function main(): Promise<number> {
  const started = Date.now();
  const all = runs();
  const codes = await Promise.all(all.map(run));
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  all.forEach((r, i) => {
    process.stdout.write(`${r.name}: ${codes[i] === 0 ? 'passed' : `failed (exit ${codes[i]})`}\n`);
  });
  const faults = combineCoverage(faultCoverage, all.filter((r) => r.faults).length);
  process.stdout.write(`${faults.line}\n`);
  process.stdout.write(`test layers finished in ${seconds} s on Node ${process.version}\n`);
  if (warned.length > 0)
    process.stdout.write(`${UNSUPPORTED_NODE} printed by ${[...new Set(warned)].join(', ')}\n`);
  return codes.every((c) => c === 0) && warned.length === 0 && faults.complete ? 0 : 1;
}

if (require.main === module) main().then((code) => process.exit(code));
