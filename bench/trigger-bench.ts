import { spawnSync } from 'node:child_process';
import { config } from '../amibake.config';
import { FUNCTION_SETTINGS, LAMBDA_RUNTIME } from '../deployment/functions';
import type { Architecture } from '../functions/shared/recipe';
import { LocalAccount, projectRuntimes } from '../local/local-account';
import { bundleFunctions, PROJECT_ROOT } from '../scripts/bundle-functions';
import { type BuildCost, buildCost, largestWithinTimeout, type ScaleRun, scaleRuns } from './events-bench';
import { originalTrigger } from './original-trigger';

/**
 * `npm run bench`: the trigger's AWS calls and wall time against moto's ECS catalog, for 1, 10
 * and 100 recipes over at most 10 selectors, beside the original algorithm; Lambda seconds per
 * build with images pending 1, 5 and 20 minutes (events measured, polling modelled); vendor
 * release to build started (schedule, SNS); the trigger at 100, 1,000 and 5,000 recipes over 10
 * and 50 selectors; the Terraform apply of the stack into the emulator; each bundle's size and
 * cold-load time; then the whole
 * `npm start` and each `npm test` script, timed (`--no-suite` skips those two). `--json` prints
 * one JSON object instead of tables.
 */
const SELECTORS = [
  ['al2023-ami-ecs-hvm-*-kernel-6.1-x86_64', 'x86_64'],
  ['al2023-ami-ecs-hvm-*-kernel-6.1-arm64', 'arm64'],
  ['al2023-ami-ecs-neuron-hvm-*-kernel-6.1-x86_64', 'x86_64'],
  ['amzn2-ami-ecs-hvm-*-x86_64-ebs', 'x86_64'],
  ['amzn2-ami-ecs-hvm-*-arm64-ebs', 'arm64'],
  ['amzn2-ami-ecs-gpu-hvm-*-x86_64-ebs', 'x86_64'],
  ['amzn2-ami-ecs-inf-hvm-*-x86_64-ebs', 'x86_64'],
  ['amzn2-ami-ecs-kernel-5.10-hvm-*-x86_64-ebs', 'x86_64'],
  ['amzn2-ami-ecs-kernel-5.10-hvm-*-arm64-ebs', 'arm64'],
  ['amzn2-ami-ecs-kernel-5.10-gpu-hvm-*-x86_64-ebs', 'x86_64'],
] as const;
const SIZES = [1, 10, 100];
const SCALE_SIZES = [100, 1000, 5000];
const SCALE_SELECTORS = [10, 50];
const TEST_SCRIPTS = [
  'lint',
  'typecheck',
  'build',
  'test:unit',
  'test:infra',
  'test:integration',
  'test:faults',
];

interface Row {
  recipes: number;
  selectors: number;
  ours: { calls: number; ms: number; byAction: Record<string, number> };
  original: { calls: number; describeCalls: number; invokes: number; ms: number };
}

async function triggerRows(
  account: LocalAccount,
): Promise<{ rows: Row[]; apply: { seconds: number; resources: number } }> {
  const rows: Row[] = [];
  let apply = { seconds: 0, resources: 0 };
  const { emulator } = account;
  for (const size of SIZES) {
    const recipes = Array.from({ length: size }, (_, i) => {
      const [glob, architecture] = SELECTORS[i % SELECTORS.length] as readonly [string, Architecture];
      return { name: `recipe-${i}`, glob, architecture };
    });
    const stack = await account.deploy({
      ...config,
      maxInFlight: 100,
      retainData: false,
      recipes: recipes.map((r) => ({
        name: r.name,
        base: { describe: { name: r.glob, architecture: r.architecture } },
        script: 'user_data/ecs-node.sh',
      })),
    });
    if (size === SIZES[0]) apply = { seconds: stack.apply.seconds, resources: stack.apply.created };
    const trigger = stack.deployment.names.functions.trigger;
    await emulator.lambda.invoke(trigger, {}, 'bench'); // first run: every recipe starts a build
    emulator.lambda.dropQueued();

    // The measured run is the everyday one: no new base, nothing to build.
    emulator.faults.reset();
    let started = performance.now();
    await emulator.lambda.invoke(trigger, {}, 'bench');
    const ms = performance.now() - started;
    const byAction: Record<string, number> = {};
    for (const call of emulator.faults.trace) byAction[call.action] = (byAction[call.action] ?? 0) + 1;
    const ours = { calls: emulator.faults.trace.length, ms, byAction };

    emulator.calls.clear();
    started = performance.now();
    const today = new Date().toISOString().slice(0, 10);
    const invokes = await originalTrigger(
      { ec2: emulator.clients.ec2, lambda: emulator.clients.lambda },
      recipes,
      today,
      trigger,
    );
    const original = {
      calls: [...emulator.calls.values()].reduce((a, b) => a + b, 0),
      describeCalls: emulator.calls.get('ec2:DescribeImages') ?? 0,
      invokes,
      ms: performance.now() - started,
    };
    emulator.lambda.dropQueued();
    rows.push({ recipes: size, selectors: Math.min(size, SELECTORS.length), ours, original });
  }
  return { rows, apply };
}

/** Seconds an npm script takes, run as a user runs it. */
function timeScript(args: string[]): { seconds: number; ok: boolean; stdout: string } {
  const started = performance.now();
  const run = spawnSync('npm', args, { cwd: PROJECT_ROOT, encoding: 'utf-8', maxBuffer: 64 * 1024 * 1024 });
  return { seconds: (performance.now() - started) / 1000, ok: run.status === 0, stdout: run.stdout };
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const suite = !process.argv.includes('--no-suite');
  const say = (line: string) => (json ? undefined : console.log(line));
  const bundles = bundleFunctions();
  const account = await LocalAccount.start(config.region);
  let measured: Awaited<ReturnType<typeof triggerRows>>;
  let cost: BuildCost;
  let scale: ScaleRun[];
  try {
    measured = await triggerRows(account);
    cost = await buildCost(account);
    scale = await scaleRuns(account, SELECTORS, SCALE_SIZES, SCALE_SELECTORS);
  } finally {
    await account.stop();
  }
  const { rows, apply } = measured;
  const functions = bundles.map((b) => ({ name: b.name, bytes: b.bytes, coldLoadMs: coldLoad(b.file) }));
  say('daily trigger run with no new base (moto ECS catalog, 1,107 images)');
  say(
    'recipes selectors | ours: calls    ms | original: calls (describe+invoke)    ms | fewer calls  faster',
  );
  for (const r of rows) {
    say(
      `${String(r.recipes).padStart(7)} ${String(r.selectors).padStart(9)} | ${String(r.ours.calls).padStart(11)} ${r.ours.ms.toFixed(0).padStart(5)} | ${String(r.original.calls).padStart(15)} (${r.original.describeCalls}+${r.original.invokes})`.padEnd(
        78,
      ) +
        `${r.original.ms.toFixed(0).padStart(5)} | ${(r.original.calls / r.ours.calls).toFixed(1).padStart(10)}x ${(r.original.ms / r.ours.ms).toFixed(1).padStart(6)}x`,
    );
  }
  say(`ours, by action at ${rows.at(-1)?.recipes} recipes: ${JSON.stringify(rows.at(-1)?.ours.byAction)}`);
  say(
    '\nLambda seconds billed per build, trigger to final status (target: 5 s or less, whatever the pending time)',
  );
  say('image pending | polling (previous design, modelled) | events (measured)');
  for (const [minutes, v] of Object.entries(cost.lambdaSecondsPerBuild)) {
    say(
      `${`${minutes} min`.padStart(13)} | ${v.polling.toFixed(1).padStart(34)} | ${v.events.toFixed(2).padStart(17)}`,
    );
  }
  say(
    `\nvendor release to build started: schedule up to ${cost.detectionLatencySeconds.schedule} s (its interval), SNS ${cost.detectionLatencySeconds.sns} s here (target 120 s; SNS delivery adds about a second in AWS)`,
  );
  say('\ntrigger at scale (everyday run, no new base): recipes selectors | calls      ms  peak MiB');
  for (const r of scale) {
    say(
      `${String(r.recipes).padStart(7)} ${String(r.selectors).padStart(9)} | ${String(r.calls).padStart(5)} ${String(r.ms).padStart(7)} ${String(r.peakMemoryMiB).padStart(9)}`,
    );
  }
  const largest = largestWithinTimeout(scale);
  say(
    `largest run within the trigger's ${FUNCTION_SETTINGS.trigger.timeoutSeconds} s at ${FUNCTION_SETTINGS.trigger.memoryMiB} MiB (extrapolated): ${Object.entries(
      largest,
    )
      .map(([selectors, n]) => `${n} recipes over ${selectors} selectors`)
      .join(', ')}`,
  );
  say(
    `\nterraform apply of the stack into the emulator: ${apply.resources} resources in ${apply.seconds.toFixed(1)} s`,
  );
  say('\nbundles (limit 2 MB, cold load under 300 ms)');
  for (const f of functions) {
    say(
      `${f.name.padEnd(24)} ${(f.bytes / 1024 / 1024).toFixed(2)} MB   cold load ${f.coldLoadMs.toFixed(0)} ms`,
    );
  }
  let start: { seconds: number; ok: boolean } | undefined;
  const tests: Record<string, number> = {};
  if (suite) {
    start = timeScript(['start', '--silent', '--', '--json']);
    say(
      `\nnpm start (deploy and three cycles): ${start.seconds.toFixed(1)} s${start.ok ? '' : ' (FAILED)'} (target 90 s)`,
    );
    say('npm test, by script (target: 8 minutes in all):');
    for (const script of TEST_SCRIPTS) {
      const run = timeScript(['run', script, '--silent']);
      tests[script] = Number(run.seconds.toFixed(1));
      say(`  ${script.padEnd(18)} ${run.seconds.toFixed(1).padStart(6)} s${run.ok ? '' : ' (FAILED)'}`);
    }
    // npm test runs the fault layer beside the others: its time is measured, not summed.
    const all = timeScript(['test', '--silent']);
    tests.all = Number(all.seconds.toFixed(1));
    say(`  ${'npm test'.padEnd(18)} ${all.seconds.toFixed(1).padStart(6)} s${all.ok ? '' : ' (FAILED)'}`);
  }
  if (json) {
    const report = {
      trigger: rows,
      functions,
      deployment: { tool: 'terraform', resources: apply.resources, applySeconds: apply.seconds },
      lambdaSecondsPerBuild: cost.lambdaSecondsPerBuild,
      detectionLatencySeconds: cost.detectionLatencySeconds,
      scale,
      largestWithinTimeout: largest,
      ...(start ? { start: { seconds: start.seconds, ok: start.ok }, tests } : {}),
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  }
}

/** Median time for a fresh Node process to load the bundle, measured inside that process. */
function coldLoad(file: string): number {
  const times = Array.from({ length: 5 }, () => {
    const out = spawnSync(
      // The Node of the functions' runtime, as Lambda loads them.
      projectRuntimes()(LAMBDA_RUNTIME),
      [
        '-e',
        `const t = process.hrtime.bigint(); require(${JSON.stringify(file)}); console.log(Number(process.hrtime.bigint() - t) / 1e6)`,
      ],
      { encoding: 'utf-8' },
    );
    return Number(out.stdout.trim());
  }).sort((a, b) => a - b);
  return times[2] ?? Number.NaN;
}

main().catch((error: Error) => {
  console.error(`benchmark failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
