import { join } from 'node:path';
import { DescribeImagesCommand, StopInstancesCommand } from '@aws-sdk/client-ec2';
import type { RecipeDecision } from '../functions/ami-build-trigger/plan-trigger';
import { attestationsOf } from '../functions/ami-image-create/build-report';
import { getBuild } from '../functions/shared/aws/builds-table';
import { findDeploymentInstances } from '../functions/shared/aws/instances';
import type { BuildRecord, Stage } from '../functions/shared/build-record';
import { BUILD_ID_TAG } from '../functions/shared/tags';
import { type Delivery, imageStateChangeEvent, instanceStateChangeEvent } from './events/event-bridge';
import { publishRelease } from './events/vendor-topics';
import { STAND_IN_SUCCESS, STAND_IN_TESTS_PASS, simulateInstance } from './instance-simulator';
import type { InvocationRecord } from './lambda/lambda-service';
import type { LocalAccount, LocalStack } from './local-account';

export interface CycleOptions {
  /** Scratch space for simulated instances. */
  workdir: string;
  /** The stand-in customisation per recipe (default: one that succeeds). */
  standIn?: (recipe: string) => string;
  /** The stand-in tests per recipe, run on its test instance (default: they pass). */
  tests?: (recipe: string) => string;
  /** The packages a recipe's build instance has installed (a dpkg database), for its package manifest. */
  packages?: (recipe: string) => readonly (readonly [string, string])[];
  /** How long a simulated instance may run before it counts as hung. */
  instanceTimeoutMs?: number;
  /** Recipes whose instances (of that stage) never run their user data (a hung boot): they stay running. */
  hung?: (recipe: string, stage: Stage) => boolean;
  /** Recipes whose instances power off without their user data reporting (it never ran). */
  silent?: (recipe: string) => boolean;
  /** Lose the instances' state-change events (delivery failed, or the stop came before the rule). */
  dropEvents?: boolean;
  /**
   * What EC2 makes of each image and copy the cycle's builds request: `available` (the default),
   * `failed` with a reason, or `lost`: available, but its state change event never comes (EC2
   * documents the events as best effort). `pendingMinutes` is how long each stays `pending`
   * first, in simulated time (default 4).
   */
  images?: {
    outcome?: (recipe: string, region: string) => 'available' | 'lost' | { failed: string };
    pendingMinutes?: number;
  };
  /**
   * Start the cycle with a vendor's release notification on this topic (the SNS fast path)
   * instead of the schedule.
   */
  release?: string;
  say?: (line: string) => void;
}

export interface CycleResult {
  decisions: RecipeDecision[];
  builds: BuildRecord[];
}

/**
 * One bake cycle as AWS would run it: the deployed schedule (or a vendor's release notification) fires the trigger; its asynchronous
 * invokes reach ami_ec2_instance_create; every instance the deployment launched boots, runs its
 * user data and powers off; the state-change events go to the rules that match them, which
 * invoke ami_image_create. Lambda runs every invocation, with its retries, as deployed.
 */
export async function runBakeCycle(
  account: LocalAccount,
  stack: LocalStack,
  options: CycleOptions,
): Promise<CycleResult> {
  const say = options.say ?? (() => {});
  const { names } = stack.deployment;
  const seen = account.emulator.lambda.invocations.length;
  if (options.release) {
    say(`the vendor announces the release on ${options.release}`);
    const sent = await publishRelease(account.emulator, options.release, '{"release":"new"}', new Date());
    for (const d of sent) {
      say(`  subscription ${d.endpoint}: ${d.delivered ? 'delivered' : `not delivered (${d.reason})`}`);
    }
    if (sent.length === 0) say('  no subscription: nothing runs until the schedule');
  } else {
    say(`schedule: ${names.scheduleRule} fires`);
    await deliver(say, await account.events.fireSchedule(names.scheduleRule, new Date()));
  }
  await drain(account, say);
  const decisions = account.emulator.lambda.invocations
    .slice(seen)
    .filter((r) => r.functionName === names.functions.trigger && r.outcome.ok)
    .flatMap(
      (r) => ((r.outcome.ok ? r.outcome.value : {}) as { decisions?: RecipeDecision[] }).decisions ?? [],
    );
  for (const d of decisions) {
    say(`  ${d.recipe}: ${d.decision}${d.baseImageId ? ` (base ${d.baseImageId})` : ''}: ${d.reason}`);
  }

  const buildIds = new Set<string>();
  await bootAndSettle(account, names.prefix, buildIds, options, say);
  for (const record of account.emulator.lambda.invocations.slice(seen)) {
    const buildId = (record.event as { buildId?: unknown }).buildId;
    if (typeof buildId === 'string') buildIds.add(buildId);
  }
  return { decisions, builds: await buildRecords(account, stack, buildIds) };
}

/**
 * Boots every instance the deployment launched and lets EC2 finish the images, until neither is
 * left: an image that becomes available launches its test instance, which boots in turn.
 */
async function bootAndSettle(
  account: LocalAccount,
  prefix: string,
  buildIds: Set<string>,
  options: CycleOptions,
  say: (line: string) => void,
): Promise<void> {
  // EC2 makes images pending first; here they become available (settleImages). Images made
  // outside (a test's own, a sweep's) are available at once, as moto makes them.
  const { ec2 } = account.emulator;
  const pendingBefore = ec2.imagesPending;
  ec2.imagesPending = true;
  try {
    await bootUntilIdle(account, prefix, buildIds, options, say);
  } finally {
    ec2.imagesPending = pendingBefore;
  }
}

async function bootUntilIdle(
  account: LocalAccount,
  prefix: string,
  buildIds: Set<string>,
  options: CycleOptions,
  say: (line: string) => void,
): Promise<void> {
  const booted = new Set<string>();
  for (;;) {
    const instances = (await findDeploymentInstances(account.emulator.clients.ec2, prefix)).filter(
      (i) => (i.state === 'pending' || i.state === 'running') && !booted.has(i.instanceId),
    );
    if (instances.length === 0 && account.emulator.ec2.pendingImages().length === 0) break;
    for (const { instanceId, buildId, stage } of instances) {
      booted.add(instanceId);
      if (buildId) buildIds.add(buildId);
      await bootInstance(account, instanceId, buildId ?? '', stage, options, say);
    }
    await settleImages(account, options, say);
  }
}

/**
 * What AWS does between schedules: every instance the deployment launched since (a test instance
 * the sweep asked for, say) boots and runs its user data, and EC2 finishes the images. Fires no
 * schedule. The builds it touched are returned.
 */
export async function bootLaunched(
  account: LocalAccount,
  stack: LocalStack,
  options: CycleOptions,
): Promise<BuildRecord[]> {
  const buildIds = new Set<string>();
  await bootAndSettle(account, stack.deployment.names.prefix, buildIds, options, options.say ?? (() => {}));
  return buildRecords(account, stack, buildIds);
}

/**
 * The sweep schedule firing at `time`: reconciles whatever is in flight. The functions' clock
 * reads `time` meanwhile (the sweep judges ages by its own clock, not the event's).
 */
export async function runSweep(
  account: LocalAccount,
  stack: LocalStack,
  time: Date,
  say = (_: string) => {},
) {
  const seen = account.emulator.lambda.invocations.length;
  const { lambda } = account.emulator;
  // In whole seconds: the sweeps of one offset then share warm environments.
  lambda.clockOffsetMs = Math.max(0, Math.round((time.getTime() - Date.now()) / 1000) * 1000);
  try {
    await deliver(say, await account.events.fireSchedule(stack.deployment.names.sweepRule, time));
    await drain(account, say);
  } finally {
    lambda.clockOffsetMs = 0;
  }
  const run = account.emulator.lambda.invocations
    .slice(seen)
    .find((r) => r.functionName === stack.deployment.names.functions.imageCreate);
  if (!run) return { error: 'the sweep did not run' };
  return run.outcome.ok
    ? run.outcome.value
    : { error: `${run.outcome.errorType}: ${run.outcome.errorMessage}` };
}

async function buildRecords(
  account: LocalAccount,
  stack: LocalStack,
  buildIds: Iterable<string>,
): Promise<BuildRecord[]> {
  const builds: BuildRecord[] = [];
  for (const buildId of buildIds) {
    const table = {
      doc: account.emulator.clients.doc,
      tableName: stack.outputs.builds_table ?? stack.deployment.names.buildsTable,
    };
    const build = await getBuild(table, buildId);
    if (build) builds.push(build);
  }
  return builds;
}

async function deliver(
  say: (line: string) => void,
  deliveries: { ruleName: string; delivered: boolean; reason: string }[],
) {
  for (const d of deliveries) if (!d.delivered) say(`  rule ${d.ruleName}: not delivered (${d.reason})`);
}

/** Runs the asynchronous invocations Lambda holds, saying how each ended. */
export function drain(account: LocalAccount, say: (line: string) => void): Promise<void> {
  return account.emulator.lambda.drain((record) =>
    say(`  ${record.functionName} (${record.source}): ${describeRun(record)}`),
  );
}

function describeRun(record: InvocationRecord): string {
  const { outcome } = record;
  const retry = record.attempt > 1 ? ` (attempt ${record.attempt})` : '';
  if (!outcome.ok) return `failed: ${outcome.errorType}: ${outcome.errorMessage}${retry}`;
  const r = (outcome.value ?? {}) as {
    outcome?: string;
    instanceId?: string;
    ruleName?: string;
    userData?: string;
    imageId?: string;
    reason?: string;
    decisions?: unknown[];
  };
  if (r.decisions) return `${r.decisions.length} recipe decision(s)${retry}`;
  if (r.outcome === 'launched')
    return `instance ${r.instanceId} launched (user data ${r.userData}), rule ${r.ruleName} armed${retry}`;
  return `${r.outcome ?? 'done'}${r.imageId ? ` ${r.imageId}` : ''}${r.reason ? `: ${r.reason}` : ''}${retry}`;
}

/**
 * EC2 finishing the images the builds requested, oldest first, until none is pending (a copy is
 * requested only once its source is available): each becomes available or fails after
 * `pendingMinutes` of simulated time, and its `EC2 AMI State Change` event goes to the rules of
 * its region, as EC2 sends it.
 */
async function settleImages(account: LocalAccount, options: CycleOptions, say: (line: string) => void) {
  const minutes = options.images?.pendingMinutes ?? 4;
  const { ec2 } = account.emulator;
  for (let pending = ec2.pendingImages(); pending.length > 0; pending = ec2.pendingImages()) {
    for (const image of pending) {
      const described = await account.emulator.clients
        .inRegion(image.region)
        .ec2.send(new DescribeImagesCommand({ ImageIds: [image.imageId] }));
      const buildId = described.Images?.[0]?.Tags?.find((t) => t.Key === BUILD_ID_TAG)?.Value ?? '';
      const outcome = options.images?.outcome?.(recipeOf(buildId), image.region) ?? 'available';
      const settled = ec2.settleImage(
        image.imageId,
        typeof outcome === 'object' ? { state: 'failed', reason: outcome.failed } : { state: 'available' },
      );
      say(`  image ${image.imageId} (${image.region}): ${settled.state} after ${minutes} simulated min`);
      if (outcome === 'lost') {
        say(`  event: ${image.imageId} ${settled.state} lost`);
        continue;
      }
      const at = new Date(Date.now() + minutes * 60_000);
      const deliveries = await account.events.publish(imageStateChangeEvent(settled, at));
      say(`  event: ${image.imageId} ${settled.state} -> ${describeDeliveries(deliveries)}`);
      await drain(account, say);
    }
  }
}

function describeDeliveries(deliveries: Delivery[]): string {
  if (deliveries.length === 0) return 'no rule matches';
  return deliveries
    .map((d) => `rule ${d.ruleName}${d.delivered ? '' : ` (not delivered: ${d.reason})`}`)
    .join(', ');
}

/** A build id's recipe (`<recipe>-<yyyymmddhhmmss>-<random>`). */
const recipeOf = (buildId: string) => buildId.replace(/-\d{14}-[0-9a-f]{6}$/, '');

async function bootInstance(
  account: LocalAccount,
  instanceId: string,
  buildId: string,
  stage: Stage,
  options: CycleOptions,
  say: (line: string) => void,
): Promise<void> {
  const recipe = recipeOf(buildId);
  const standIn =
    stage === 'test'
      ? (options.tests?.(recipe) ?? STAND_IN_TESTS_PASS)
      : (options.standIn?.(recipe) ?? STAND_IN_SUCCESS);
  const what =
    stage === 'test'
      ? `test instance ${instanceId} ran its user data (the deployed wrapper, with stand-in tests: the recipe's test script runs only on a real test instance)`
      : `instance ${instanceId} ran its user data (the deployed wrapper, with a stand-in for the customisation: the recipe's script runs only on a real build instance)`;
  if (options.hung?.(recipe, stage)) {
    say(`  ${stage === 'test' ? 'test ' : ''}instance ${instanceId} hangs at boot: its user data never runs`);
    return;
  }
  if (options.silent?.(recipe)) {
    await account.emulator.clients.ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    say(`  instance ${instanceId} powered off without running its user data`);
  } else {
    const simulation = await simulateInstance(account.emulator.clients.ec2, instanceId, {
      standIn,
      workdir: join(options.workdir, `${buildId || instanceId}${stage === 'test' ? '-test' : ''}`),
      timeoutMs: options.instanceTimeoutMs ?? 20_000,
      console: (id, text) => account.emulator.ec2.writeConsole(id, text),
      packages: stage === 'build' ? options.packages?.(recipe) : undefined,
    });
    const [attested] = attestationsOf(simulation.console, buildId);
    const reported = attested ? `exit status ${attested.exitCode}` : 'no report';
    say(`  ${what}: ${reported}${simulation.poweredOff ? ', powered off' : ', still running'}`);
    if (!simulation.poweredOff) return;
  }
  if (options.dropEvents) {
    say(`  events of ${instanceId} lost`);
    return;
  }
  for (const state of ['stopping', 'stopped']) {
    const deliveries = await account.events.publish(
      instanceStateChangeEvent(instanceId, state, account.region, new Date()),
    );
    say(`  event: ${instanceId} ${state} -> ${describeDeliveries(deliveries)}`);
    await drain(account, say);
  }
}
