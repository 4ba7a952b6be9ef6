import { spawnSync } from 'node:child_process';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { config } from '../amibake.config';
import { deployLocally, startLocalAws } from '../local/local-aws';
import { bundleFunctions } from '../scripts/bundle-functions';
import { originalTrigger } from './original-trigger';

/**
 * `npm run bench`: the trigger's AWS calls and wall time against moto's ECS catalog, for 1, 10
 * and 100 recipes over at most 10 selectors, beside the original algorithm; then each
 * bundle's size and cold-load time. `--json` prints one JSON object instead of tables.
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

interface Row {
  recipes: number;
  selectors: number;
  ours: { calls: number; ms: number; byAction: Record<string, number> };
  original: { calls: number; describeCalls: number; invokes: number; ms: number };
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const bundles = bundleFunctions();
  const aws = await startLocalAws(config.region);
  const rows: Row[] = [];
  try {
    for (const size of SIZES) {
      const recipes = Array.from({ length: size }, (_, i) => {
        const [glob, architecture] = SELECTORS[i % SELECTORS.length] as readonly [string, string];
        return { name: `recipe-${i}`, glob, architecture };
      });
      const local = await deployLocally(
        aws,
        {
          ...config,
          maxInFlight: 100,
          recipes: recipes.map((r) => ({
            name: r.name,
            base: { describe: { name: r.glob, architecture: r.architecture } },
            script: 'user_data/ecs-node.sh',
          })),
        },
        { logLevel: 'silent' },
      );
      const trigger = local.deployment.names.functions.trigger;
      await local.runtime.invoke(trigger, {}); // first run: every recipe starts a build
      aws.invokeQueue.length = 0;

      // The measured run is the everyday one: no new base, nothing to build.
      aws.gateway.calls.clear();
      let started = performance.now();
      await local.runtime.invoke(trigger, {});
      const ours = {
        calls: aws.gateway.totalCalls(),
        ms: performance.now() - started,
        byAction: Object.fromEntries(aws.gateway.calls),
      };

      aws.gateway.calls.clear();
      started = performance.now();
      const today = new Date().toISOString().slice(0, 10);
      const invokes = await originalTrigger(
        { ec2: aws.clients.ec2, lambda: new LambdaClient({}) },
        recipes,
        today,
        trigger,
      );
      const original = {
        calls: aws.gateway.totalCalls(),
        describeCalls: aws.gateway.calls.get('ec2:DescribeImages') ?? 0,
        invokes,
        ms: performance.now() - started,
      };
      aws.invokeQueue.length = 0;
      rows.push({ recipes: size, selectors: Math.min(size, SELECTORS.length), ours, original });
    }
  } finally {
    await aws.stop();
  }
  const functions = bundles.map((b) => ({ name: b.name, bytes: b.bytes, coldLoadMs: coldLoad(b.file) }));
  if (json) {
    process.stdout.write(`${JSON.stringify({ trigger: rows, functions })}\n`);
    return;
  }
  console.log('daily trigger run with no new base (moto ECS catalog, 1,107 images)');
  console.log(
    'recipes selectors | ours: calls    ms | original: calls (describe+invoke)    ms | fewer calls  faster',
  );
  for (const r of rows) {
    console.log(
      `${String(r.recipes).padStart(7)} ${String(r.selectors).padStart(9)} | ${String(r.ours.calls).padStart(11)} ${r.ours.ms.toFixed(0).padStart(5)} | ${String(r.original.calls).padStart(15)} (${r.original.describeCalls}+${r.original.invokes})`.padEnd(
        78,
      ) +
        `${r.original.ms.toFixed(0).padStart(5)} | ${(r.original.calls / r.ours.calls).toFixed(1).padStart(10)}x ${(r.original.ms / r.ours.ms).toFixed(1).padStart(6)}x`,
    );
  }
  console.log(
    `ours, by action at ${rows.at(-1)?.recipes} recipes: ${JSON.stringify(rows.at(-1)?.ours.byAction)}`,
  );
  console.log('\nbundles (limit 2 MB, cold load under 300 ms)');
  for (const f of functions) {
    console.log(
      `${f.name.padEnd(24)} ${(f.bytes / 1024 / 1024).toFixed(2)} MB   cold load ${f.coldLoadMs.toFixed(0)} ms`,
    );
  }
}

/** Median time for a fresh Node process to load the bundle, measured inside that process. */
function coldLoad(file: string): number {
  const times = Array.from({ length: 5 }, () => {
    const out = spawnSync(
      process.execPath,
      [
        '-e',
        `const t = process.hrtime.bigint(); require(${JSON.stringify(file)}); console.log(Number(process.hrtime.bigint() - t) / 1e6)`,
      ],
      {
        encoding: 'utf-8',
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      },
    );
    return Number(out.stdout.trim());
  }).sort((a, b) => a - b);
  return times[2] ?? Number.NaN;
}

main().catch((error: Error) => {
  console.error(`benchmark failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
