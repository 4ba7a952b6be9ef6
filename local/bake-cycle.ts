import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { RecipeDecision } from '../functions/ami-build-trigger/run-trigger';
import { getBuild } from '../functions/shared/aws/builds-table';
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
  say?: (line: string) => void;
}

export interface CycleResult {
  decisions: RecipeDecision[];
  builds: BuildRecord[];
}

/**
 * One bake cycle as AWS would run it: the schedule fires the trigger; its asynchronous
 * invokes reach ami_ec2_instance_create; each instance runs its user data and powers off;
 * the state-change events go to the rules that match them, which invoke ami_image_create.
 */
export async function runBakeCycle(
  aws: LocalAws,
  local: LocalDeployment,
  options: CycleOptions,
): Promise<CycleResult> {
  const say = options.say ?? (() => {});
  const { names } = local.deployment;
  const now = new Date();
  const scheduled = {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: LOCAL_ACCOUNT,
    time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: aws.region,
    resources: [`arn:aws:events:${aws.region}:${LOCAL_ACCOUNT}:rule/${names.scheduleRule}`],
    detail: {},
  };
  say(`schedule: ${names.scheduleRule} fires ${names.functions.trigger}`);
  const { decisions } = (await local.runtime.invoke(names.functions.trigger, scheduled)) as {
    decisions: RecipeDecision[];
  };
  for (const d of decisions) {
    say(`  ${d.recipe}: ${d.decision}${d.baseImageId ? ` (base ${d.baseImageId})` : ''}: ${d.reason}`);
  }

  const buildIds: string[] = [];
  while (aws.invokeQueue.length > 0) {
    const queued = aws.invokeQueue.shift() as { functionName: string; payload: string };
    const payload = JSON.parse(queued.payload) as { buildId: string };
    say(`async invoke: ${queued.functionName} ${queued.payload}`);
    const launch = (await local.runtime.invoke(queued.functionName, payload)) as {
      outcome: string;
      instanceId?: string;
      ruleName?: string;
      userData?: string;
      reason?: string;
    };
    buildIds.push(payload.buildId);
    if (launch.outcome !== 'launched' || !launch.instanceId) {
      say(`  ${launch.outcome}: ${launch.reason ?? ''}`);
      continue;
    }
    say(
      `  instance ${launch.instanceId} launched (user data ${launch.userData}), rule ${launch.ruleName} armed`,
    );
    await bootInstance(aws, local, launch.instanceId, payload.buildId, options, say);
  }
  const builds: BuildRecord[] = [];
  for (const buildId of buildIds) {
    const build = await getBuild({ doc: aws.clients.doc, tableName: names.buildsTable }, buildId);
    if (build) builds.push(build);
  }
  return { decisions, builds };
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
      const result = (await local.runtime.invoke(fn.name, delivery.input)) as {
        outcome: string;
        imageId?: string;
        reason?: string;
      };
      say(
        `  ${fn.name}: ${result.outcome}${result.imageId ? ` ${result.imageId}` : ''}${result.reason ? `: ${result.reason}` : ''}`,
      );
    }
  }
}
