import type { BuildInstance } from '../shared/aws/instances';
import type { BuildRecord } from '../shared/build-record';
import { buildIdOfRule, buildRuleName } from '../shared/build-rule-name';

/** What the sweep sees, read in this order: instances and rules first, then the builds in flight. */
export interface SweepFacts {
  instances: readonly BuildInstance[];
  rules: readonly string[];
  builds: readonly BuildRecord[];
}

export interface SweepLimits {
  /** The deployment's prefix: its build rules are `<deployment>.<build id>`. */
  deployment: string;
  /** This function's unqualified ARN: the only target the sweep's orphan rules may have. */
  functionArn: string;
  /** A pending build with no instance after this long has lost its launch. */
  launchGraceMinutes: number;
  /** Boot and report time allowed beyond the recipe's timeout before the instance is stopped by force. */
  bootMarginMinutes: number;
}

export type BuildAction =
  | { kind: 'wait'; build: BuildRecord; reason: string }
  | { kind: 'settle'; build: BuildRecord }
  | {
      kind: 'end';
      build: BuildRecord;
      status: 'failed' | 'timed_out';
      errorCode: string;
      reason: string;
      instanceIds: string[];
      ruleNames: string[];
    };

export interface SweepPlan {
  actions: BuildAction[];
  /** Instances and rules of the deployment that belong to no build in flight. */
  orphanInstances: string[];
  orphanRules: string[];
  /** Rules under the deployment's prefix that are not named after a build id: never touched. */
  foreignRules: string[];
  /** Instances with the deployment's tag but no build id: no build launched them, so none are touched. */
  untagged: string[];
}

const minutes = (ms: number) => Math.floor(ms / 60_000);

type End = (status: 'failed' | 'timed_out', errorCode: string, reason: string) => BuildAction;

/**
 * An instance's time against its allowance: undefined when it has stopped (settle it), a wait
 * while within the timeout and boot margin, else the minutes it has run.
 */
function overtime(
  build: BuildRecord,
  instance: BuildInstance,
  now: Date,
  timeoutMinutes: number,
  limits: SweepLimits,
): { wait: string } | { running: number } | undefined {
  if (instance.state === 'stopped') return undefined;
  const started = instance.launchTime?.getTime() ?? Date.parse(build.updatedAt);
  const running = minutes(now.getTime() - started);
  if (running <= timeoutMinutes + limits.bootMarginMinutes)
    return { wait: `instance ${instance.state} for ${running} min` };
  return { running };
}

/** A build in its test stage: its test launch, its test instance's stop, or its time-out. */
function planTest(
  build: BuildRecord,
  instances: readonly BuildInstance[],
  now: Date,
  limits: SweepLimits,
  end: End,
): BuildAction {
  const test = build.test;
  if (!test?.instanceId) {
    const age = minutes(now.getTime() - Date.parse(test?.requestedAt ?? build.updatedAt));
    if (age < limits.launchGraceMinutes)
      return { kind: 'wait', build, reason: `test launch requested ${age} min ago` };
    return end(
      'failed',
      'TestLaunchLost',
      `the test launch did not complete within ${limits.launchGraceMinutes} min: see the failed-launches queue and ami_ec2_instance_create's log`,
    );
  }
  const instance = instances.find((i) => i.instanceId === test.instanceId);
  if (!instance) {
    return end(
      'failed',
      'InstanceLost',
      `test instance ${test.instanceId} is gone: it was terminated outside amibake`,
    );
  }
  const timeout = build.recipe.test.timeoutMinutes;
  const over = overtime(build, instance, now, timeout, limits);
  if (!over) return { kind: 'settle', build };
  if ('wait' in over) return { kind: 'wait', build, reason: `test ${over.wait}` };
  return end(
    'timed_out',
    'TestsTimedOut',
    `test instance ${instance.instanceId} was still ${instance.state} ${over.running} min after launch (test timeout ${timeout} min + ${limits.bootMarginMinutes} min to boot and report): terminated`,
  );
}

/**
 * Decides what to do with every build in flight and with whatever belongs to none (pure).
 * Facts are read before the builds, so an instance or rule seen here belongs to a build that
 * already existed: a build started since cannot be mistaken for an orphan.
 */
export function planSweep(facts: SweepFacts, now: Date, limits: SweepLimits): SweepPlan {
  const byBuild = new Map<string, BuildInstance[]>();
  for (const instance of facts.instances) {
    if (instance.buildId) byBuild.set(instance.buildId, [...(byBuild.get(instance.buildId) ?? []), instance]);
  }
  const rulesOf = (buildId: string) =>
    facts.rules.filter((r) => r === buildRuleName(limits.deployment, buildId));
  const live = new Set(facts.builds.map((b) => b.buildId));
  const actions = facts.builds.map((build): BuildAction => {
    const instances = byBuild.get(build.buildId) ?? [];
    const end: End = (status, errorCode, reason) => ({
      kind: 'end',
      build,
      status,
      errorCode,
      reason,
      instanceIds: instances.map((i) => i.instanceId),
      ruleNames: rulesOf(build.buildId),
    });
    if (build.status === 'imaging') return { kind: 'settle', build };
    if (build.status === 'testing') return planTest(build, instances, now, limits, end);
    if (build.status === 'pending') {
      const age = minutes(now.getTime() - Date.parse(build.createdAt));
      if (age < limits.launchGraceMinutes)
        return { kind: 'wait', build, reason: `launch requested ${age} min ago` };
      const found =
        instances.length > 0 ? ` (instance ${instances.map((i) => i.instanceId).join(', ')} removed)` : '';
      return end(
        'failed',
        'LaunchLost',
        `the launch did not complete within ${limits.launchGraceMinutes} min${found}: see the failed-launches queue and ami_ec2_instance_create's log; the next trigger run starts it again`,
      );
    }
    const instance = instances.find((i) => i.instanceId === build.instanceId);
    if (!instance) {
      return end(
        'failed',
        'InstanceLost',
        `instance ${build.instanceId ?? '(none)'} is gone: it was terminated outside amibake`,
      );
    }
    const over = overtime(build, instance, now, build.recipe.timeoutMinutes, limits);
    if (!over) return { kind: 'settle', build };
    if ('wait' in over) return { kind: 'wait', build, reason: over.wait };
    const { running } = over;
    return end(
      'timed_out',
      'BuildTimedOut',
      `instance ${instance.instanceId} was still ${instance.state} ${running} min after launch (timeout ${build.recipe.timeoutMinutes} min + ${limits.bootMarginMinutes} min to boot and report): terminated; log: ${build.logLocation ?? 'none'}`,
    );
  });
  return {
    actions,
    orphanInstances: facts.instances
      .filter((i) => i.buildId && !live.has(i.buildId))
      .map((i) => i.instanceId),
    untagged: facts.instances.filter((i) => !i.buildId).map((i) => i.instanceId),
    orphanRules: facts.rules.filter((r) => {
      const buildId = buildIdOfRule(limits.deployment, r);
      return buildId !== undefined && !live.has(buildId);
    }),
    foreignRules: facts.rules.filter((r) => buildIdOfRule(limits.deployment, r) === undefined),
  };
}
