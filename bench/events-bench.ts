import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { config } from '../amibake.config';
import { FUNCTION_SETTINGS } from '../deployment/functions';
import type { Architecture } from '../functions/shared/recipe';
import { runBakeCycle } from '../local/bake-cycle';
import { clearBuildData } from '../local/clear-build-data';
import { AMAZON_LINUX_ACCOUNT } from '../local/emulator/gaps/sns-gaps';
import { publishRelease } from '../local/events/vendor-topics';
import type { LocalAccount } from '../local/local-account';
import { publishNewBase } from '../local/vendor';

/** How long images stay pending in the completion runs, in simulated minutes. */
export const PENDING_MINUTES = [1, 5, 20] as const;

const RELEASE_TOPIC = `arn:aws:sns:us-east-1:${AMAZON_LINUX_ACCOUNT}:amazon-linux-2023-ami-updates`;

/**
 * The previous completion (before image state events), as it was written: ami_image_create
 * polled DescribeImages every 15 s inside the invocation, until the image was available or the
 * invocation's time ran short (900 s timeout less a 60 s margin), and each sweep, every 15 min,
 * polled again the same way. Every second of that waiting was billed. Returns the seconds
 * billed for waiting on an image that takes `pendingSeconds` to become available.
 */
export function pollingWaitSeconds(pendingSeconds: number): number {
  const perInvocation = FUNCTION_SETTINGS.imageCreate.timeoutSeconds - 60;
  const sweepEvery = 15 * 60;
  let billed = Math.min(pendingSeconds, perInvocation);
  for (let sweep = sweepEvery; sweep < pendingSeconds; sweep += sweepEvery) {
    billed += Math.min(pendingSeconds - sweep, perInvocation);
  }
  return billed;
}

export interface BuildCost {
  /** Billed Lambda seconds for one build, trigger to final status, keyed by pending minutes. */
  lambdaSecondsPerBuild: Record<string, { polling: number; events: number }>;
  detectionLatencySeconds: { schedule: number; sns: number };
}

/**
 * One build per pending time, measured: the sum of every invocation's duration, trigger to final
 * status, with completion by events. The polling figure adds what the previous design waited for
 * the same image (pollingWaitSeconds) to the same measured work. Then a vendor release on its
 * topic: seconds from the notification to the build's instance launched.
 */
export async function buildCost(account: LocalAccount): Promise<BuildCost> {
  const { emulator } = account;
  emulator.sns.vendorTopics.add(RELEASE_TOPIC);
  const [sample] = config.recipes;
  if (!sample) throw new Error('amibake.config.ts has no recipe');
  const stack = await account.deploy({
    ...config,
    namePrefix: 'amibake-cost',
    retainData: false,
    recipes: [{ ...sample, base: { ...sample.base, releaseTopic: RELEASE_TOPIC } }],
  });
  const workdir = mkdtempSync(join(tmpdir(), 'amibake-bench-'));
  try {
    const lambdaSecondsPerBuild: BuildCost['lambdaSecondsPerBuild'] = {};
    for (const minutes of PENDING_MINUTES) {
      await clearBuildData(account, [stack]);
      const seen = emulator.lambda.invocations.length;
      const { builds } = await runBakeCycle(account, stack, { workdir, images: { pendingMinutes: minutes } });
      if (builds[0]?.status !== 'succeeded')
        throw new Error(`the build ended ${builds[0]?.status ?? 'missing'}`);
      const events =
        emulator.lambda.invocations.slice(seen).reduce((sum, r) => sum + r.outcome.durationMs, 0) / 1000;
      lambdaSecondsPerBuild[String(minutes)] = {
        events: round(events),
        polling: round(events + pollingWaitSeconds(minutes * 60)),
      };
    }

    await clearBuildData(account, [stack]);
    const recipe = stack.deployment.recipes[0];
    if (!recipe) throw new Error('the cost stack has no recipe');
    await publishNewBase(emulator.clients.ec2, emulator.ec2, recipe, new Date());
    const started = performance.now();
    const deliveries = await publishRelease(emulator, RELEASE_TOPIC, '{}', new Date());
    if (!deliveries.some((d) => d.delivered)) throw new Error('the release notification was not delivered');
    await emulator.lambda.drain();
    const sns = (performance.now() - started) / 1000;
    return {
      lambdaSecondsPerBuild,
      detectionLatencySeconds: { schedule: scheduleSeconds(config.schedule), sns: round(sns) },
    };
  } finally {
    rmSync(workdir, { recursive: true, force: true });
  }
}

/** The longest a release waits for the schedule: its interval. */
function scheduleSeconds(expression: string): number {
  const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  if (!rate) return 86_400;
  const unit = { minute: 60, hour: 3600, day: 86_400 }[rate[2] as 'minute' | 'hour' | 'day'];
  return Number(rate[1]) * unit;
}

export interface ScaleRun {
  recipes: number;
  selectors: number;
  calls: number;
  ms: number;
  peakMemoryMiB: number;
}

/**
 * The trigger's everyday run (no new base) at many recipes over many selectors: 10 name globs
 * of the ECS catalog, times up to 5 filter sets that every image matches (each set is its own
 * DescribeImages walk, as different filters must be).
 */
export async function scaleRuns(
  account: LocalAccount,
  globs: readonly (readonly [string, Architecture])[],
  sizes: readonly number[],
  selectorCounts: readonly number[],
  progress: (line: string) => void = () => {},
): Promise<ScaleRun[]> {
  const variants: Record<string, string[]>[] = [
    {},
    { 'virtualization-type': ['hvm'] },
    { 'root-device-type': ['ebs'] },
    { 'image-type': ['machine'] },
    { state: ['available'] },
  ];
  const { emulator } = account;
  const runs: ScaleRun[] = [];
  for (const selectors of selectorCounts) {
    for (const size of sizes) {
      let phase = performance.now();
      const lap = (what: string) => {
        progress(
          `  ${size} recipes over ${selectors} selectors: ${what} in ${((performance.now() - phase) / 1000).toFixed(1)} s`,
        );
        phase = performance.now();
      };
      const stack = await account.deploy({
        ...config,
        namePrefix: 'amibake-scale',
        maxInFlight: 100,
        retainData: false,
        recipes: Array.from({ length: size }, (_, i) => {
          const selector = i % selectors;
          const [name, architecture] = globs[selector % globs.length] as readonly [string, Architecture];
          const filters = variants[Math.floor(selector / globs.length) % variants.length] ?? {};
          return {
            name: `r-${i}`,
            base: { describe: { name, architecture, filters } },
            script: 'user_data/ecs-node.sh',
          };
        }),
      });
      lap('deployed');
      await clearBuildData(account, [stack]);
      lap('cleared');
      const trigger = stack.deployment.names.functions.trigger;
      await emulator.lambda.invoke(trigger, {}, 'bench'); // first run: builds start, up to maxInFlight
      emulator.lambda.dropQueued();
      lap('first run');
      emulator.faults.reset();
      const started = performance.now();
      const outcome = await emulator.lambda.invoke(trigger, {}, 'bench');
      const ms = performance.now() - started;
      if (!outcome.ok) throw new Error(`the trigger failed at ${size} recipes: ${outcome.errorMessage}`);
      runs.push({
        recipes: size,
        selectors,
        calls: emulator.faults.trace.length,
        ms: Math.round(ms),
        peakMemoryMiB: Math.round(outcome.maxMemoryMiB ?? 0),
      });
    }
  }
  return runs;
}

/**
 * The most recipes one trigger run would handle within its timeout, per selector count: the
 * largest measured run's pace per recipe, extrapolated (rounded down to hundreds).
 */
export function largestWithinTimeout(runs: readonly ScaleRun[]): Record<string, number> {
  const limitMs = FUNCTION_SETTINGS.trigger.timeoutSeconds * 1000;
  const largest = new Map<number, ScaleRun>();
  for (const run of runs) {
    if ((largest.get(run.selectors)?.recipes ?? 0) < run.recipes) largest.set(run.selectors, run);
  }
  return Object.fromEntries(
    [...largest].map(([selectors, run]) => [
      String(selectors),
      Math.floor(limitMs / (run.ms / run.recipes) / 100) * 100,
    ]),
  );
}

const round = (n: number) => Math.round(n * 100) / 100;
