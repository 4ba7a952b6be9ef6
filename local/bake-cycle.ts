import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { RecipeDecision } from '../functions/ami-build-trigger/run-trigger';
import { getBuild } from '../functions/shared/aws/builds-table';
import { findDeploymentInstances } from '../functions/shared/aws/instances';
import type { BuildRecord } from '../functions/shared/build-record';
import { deliveriesFor, instanceStateChangeEvent } from './event-bus';
import { STAND_IN_SUCCESS, simulateInstance } from './instance-simulator';
import { LOCAL_ACCOUNT, type LocalAws, type LocalDeployment } from './local-aws';

export interface CycleOptions {
  /** Scratch space for simulated instances. */
  workdir: string;
  /** The stand-in customisation per recipe (default: one that succeeds). */
  standIn?: (recipe: string) => string;
  /** How long a simulated instance may run before it counts as hung. */
  instanceTimeoutMs?: number;
  /** Recipes whose instances never run their user data (a hung boot): they stay running. */
  hung?: (recipe: string) => boolean;
  /** Lose the instances' state-change events (delivery failed, or the stop came before the rule). */
  dropEvents?: boolean;
  say?: (line: string) => void;
}

export interface CycleResult {
  decisions: RecipeDecision[];
  builds: BuildRecord[];
}

/** The EventBridge scheduled event that a rule named `ruleName` sends at `time`. */
export function scheduledEvent(aws: LocalAws, ruleName: string, time: Date): object {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: LOCAL_ACCOUNT,
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: aws.region,
    resources: [`arn:aws:events:${aws.region}:${LOCAL_ACCOUNT}:rule/${ruleName}`],
    detail: {},
  };
}

/**
 * One bake cycle as AWS would run it, asynchronous invocations retried as Lambda retries them:
 * the schedule fires the trigger; its invokes reach ami_ec2_instance_create; every instance
 * the account holds boots, runs its user data and powers off; the state-change events go to
 * the rules that match them, which invoke ami_image_create.
 */
export async function runBakeCycle(
  aws: LocalAws,
  local: LocalDeployment,
  options: CycleOptions,
): Promise<CycleResult> {
  const say = options.say ?? (() => {});
  const { names } = local.deployment;
  say(`schedule: ${names.scheduleRule} fires ${names.functions.trigger}`);
  const fired = await local.runtime.invokeAsync(
    names.functions.trigger,
    scheduledEvent(aws, names.scheduleRule, new Date()),
  );
  if (fired.error) say(`  ${names.functions.trigger} failed ${fired.attempts} time(s): ${fired.error}`);
  const decisions = ((fired.result ?? { decisions: [] }) as { decisions: RecipeDecision[] }).decisions;
  for (const d of decisions) {
    say(`  ${d.recipe}: ${d.decision}${d.baseImageId ? ` (base ${d.baseImageId})` : ''}: ${d.reason}`);
  }

  const buildIds = new Set<string>();
  const booted = new Set<string>();
  for (;;) {
    while (aws.invokeQueue.length > 0) {
      const queued = aws.invokeQueue.shift() as { functionName: string; payload: string };
      say(`async invoke: ${queued.functionName} ${queued.payload}`);
      const payload = JSON.parse(queued.payload) as { buildId?: string };
      if (payload.buildId) buildIds.add(payload.buildId);
      const launch = await local.runtime.invokeAsync(queued.functionName, payload);
      say(`  ${describeResult(launch)}`);
    }
    const instances = (await findDeploymentInstances(aws.clients.ec2, names.prefix)).filter(
      (i) => (i.state === 'pending' || i.state === 'running') && !booted.has(i.instanceId),
    );
    if (instances.length === 0) break;
    for (const { instanceId, buildId } of instances) {
      booted.add(instanceId);
      buildIds.add(buildId ?? '');
      await bootInstance(aws, local, instanceId, buildId ?? '', options, say);
    }
  }
  return { decisions, builds: await buildRecords(aws, local, buildIds) };
}

/** The sweep schedule firing at `time`: reconciles whatever is in flight. */
export async function runSweep(aws: LocalAws, local: LocalDeployment, time: Date): Promise<unknown> {
  const { names } = local.deployment;
  const run = await local.runtime.invokeAsync(
    names.functions.imageCreate,
    scheduledEvent(aws, names.sweepRule, time),
    0,
  );
  return run.result ?? { error: run.error };
}

export async function buildRecords(
  aws: LocalAws,
  local: LocalDeployment,
  buildIds: Iterable<string>,
): Promise<BuildRecord[]> {
  const builds: BuildRecord[] = [];
  for (const buildId of buildIds) {
    const build = await getBuild(
      { doc: aws.clients.doc, tableName: local.deployment.names.buildsTable },
      buildId,
    );
    if (build) builds.push(build);
  }
  return builds;
}

function describeResult(run: { result?: unknown; error?: string; attempts: number }): string {
  const r = (run.result ?? {}) as {
    outcome?: string;
    instanceId?: string;
    ruleName?: string;
    userData?: string;
    reason?: string;
  };
  if (run.error) return `failed after ${run.attempts} attempt(s): ${run.error}`;
  const retried = run.attempts > 1 ? ` (attempt ${run.attempts})` : '';
  if (r.outcome === 'launched')
    return `instance ${r.instanceId} launched (user data ${r.userData}), rule ${r.ruleName} armed${retried}`;
  return `${r.outcome ?? 'done'}${r.reason ? `: ${r.reason}` : ''}${retried}`;
}

async function bootInstance(
  aws: LocalAws,
  local: LocalDeployment,
  instanceId: string,
  buildId: string,
  options: CycleOptions,
  say: (line: string) => void,
): Promise<void> {
  const recipe = buildId.replace(/-\d{14}-[0-9a-f]{6}$/, '');
  if (options.hung?.(recipe)) {
    say(`  instance ${instanceId} hangs at boot: its user data never runs`);
    return;
  }
  const simulation = await simulateInstance(aws.clients.ec2, instanceId, {
    standIn: options.standIn?.(recipe) ?? STAND_IN_SUCCESS,
    workdir: join(options.workdir, buildId),
    timeoutMs: options.instanceTimeoutMs ?? 20_000,
  });
  const reported = /exit status (\d+): (.*)/.exec(simulation.log);
  say(
    `  instance ${instanceId} ran its user data: ${reported ? `exit status ${reported[1]} (${reported[2]})` : 'no report'}${simulation.poweredOff ? ', powered off' : ', still running'}`,
  );
  if (!simulation.poweredOff) return;
  if (options.dropEvents) {
    say(`  events of ${instanceId} lost`);
    return;
  }
  for (const state of ['stopping', 'stopped']) {
    const event = instanceStateChangeEvent(instanceId, state, {
      account: LOCAL_ACCOUNT,
      region: aws.region,
      time: new Date(),
      id: randomUUID(),
    });
    const deliveries = await deliveriesFor(aws.clients.events, event);
    say(
      `  event: ${instanceId} ${state} -> ${deliveries.length === 0 ? 'no rule matches' : deliveries.map((d) => `rule ${d.ruleName}`).join(', ')}`,
    );
    for (const delivery of deliveries) {
      const fn = local.runtime.byArn(delivery.targetArn);
      if (!fn) continue;
      const run = await local.runtime.invokeAsync(fn.name, delivery.input);
      const r = (run.result ?? {}) as { imageId?: string };
      say(`  ${fn.name}: ${describeResult(run)}${r.imageId ? ` ${r.imageId}` : ''}`);
    }
  }
}
