import { inFlightBuilds } from '../shared/aws/build-queries';
import { buildRuleTargets, listBuildRules, removeBuildRule } from '../shared/aws/build-rule';
import { findDeploymentInstances, terminateInstance } from '../shared/aws/instances';
import { AmiBakeError, describeError } from '../shared/errors';
import { failBuild } from '../shared/fail-build';
import { cleanUp } from './clean-up';
import { type CompleteDeps, type CompleteSettings, endTests, settleBuild } from './complete-build';
import { leftBehind } from './plan-settle';
import { type BuildAction, planSweep, type SweepLimits } from './plan-sweep';

export interface SweepReport {
  inFlight: number;
  settled: number;
  ended: number;
  waiting: number;
  orphanInstances: number;
  orphanRules: number;
  /** Instances with this deployment's tag but no build id: not amibake's, left alone and reported. */
  untagged: number;
  /** Rules under the deployment's prefix that no build of it made: left alone and reported. */
  foreignRules: number;
}

/**
 * Reconciliation, run on its own schedule: finishes builds whose stop event never came,
 * resumes images still pending, ends builds that hung or lost their launch, and removes
 * instances and rules that belong to no build in flight. Every build is tried even when
 * one fails; the run then fails as a whole so that the error is counted and alarmed on.
 */
export async function sweep(
  deps: CompleteDeps,
  settings: CompleteSettings,
  limits: SweepLimits,
  now: Date,
): Promise<SweepReport> {
  const instances = await findDeploymentInstances(deps.ec2, settings.deployment);
  const rules = await listBuildRules(deps.events, limits.deployment);
  const builds = await inFlightBuilds(deps.table);
  const plan = planSweep({ instances, rules, builds }, now, limits);
  const report: SweepReport = {
    inFlight: builds.length,
    settled: 0,
    ended: 0,
    waiting: 0,
    orphanInstances: plan.orphanInstances.length,
    orphanRules: plan.orphanRules.length,
    untagged: plan.untagged.length,
    foreignRules: plan.foreignRules.length,
  };
  for (const ruleName of plan.foreignRules) {
    deps.log.warn('rule under the deployment prefix not named after a build left alone', { ruleName });
  }
  for (const instanceId of plan.untagged) {
    // The role may terminate only instances with a build id: this one was not launched by amibake.
    deps.log.warn('instance with the deployment tag but no build id left alone', { instanceId });
  }
  const errors: string[] = [];
  const attempt = async (what: string, step: () => Promise<void>) => {
    try {
      await step();
    } catch (error) {
      errors.push(`${what}: ${describeError(error)}`);
      deps.log.error('sweep step failed', { step: what, error });
    }
  };
  for (const action of plan.actions) {
    await attempt(action.build.buildId, () => apply(deps, settings, action, report));
  }
  for (const instanceId of plan.orphanInstances) {
    await attempt(instanceId, async () => {
      await terminateInstance(deps.ec2, instanceId);
      deps.log.warn('orphan instance terminated', { instanceId });
    });
  }
  for (const ruleName of plan.orphanRules) {
    await attempt(ruleName, async () => {
      const targets = await buildRuleTargets(deps.events, ruleName);
      if (targets.some((arn) => !isFunction(arn, limits.functionArn))) {
        report.orphanRules--;
        report.foreignRules++;
        deps.log.warn('rule named like a build but targeting something else left alone', {
          ruleName,
          targets,
        });
        return;
      }
      await removeBuildRule(deps.events, ruleName);
      deps.log.warn('orphan rule removed', { ruleName });
    });
  }
  deps.log.info('sweep finished', { ...report, errors: errors.length });
  if (errors.length > 0) {
    throw new AmiBakeError(`sweep finished with ${errors.length} error(s): ${errors.join('; ')}`, {
      code: 'SweepIncomplete',
    });
  }
  return report;
}

async function apply(
  deps: CompleteDeps,
  settings: CompleteSettings,
  action: BuildAction,
  report: SweepReport,
): Promise<void> {
  if (action.kind === 'wait') {
    report.waiting++;
    return;
  }
  if (action.kind === 'settle') {
    const result = await settleBuild(deps, settings, action.build);
    if (result.outcome === 'imaging' || result.outcome === 'waiting') report.waiting++;
    else report.settled++;
    return;
  }
  const left = await cleanUp(deps, action.build, {
    ruleNames: action.ruleNames,
    instanceIds: action.instanceIds,
  });
  if (action.build.status === 'testing') {
    // The image was made but not tested: kept for examination, never published.
    await endTests(deps, action.build, action.status, action.errorCode, action.reason, left);
  } else {
    await failBuild(
      deps,
      action.build,
      `${action.reason}${leftBehind(left)}`,
      action.errorCode,
      action.status,
    );
  }
  report.ended++;
}

/** Whether a target ARN is the function (unqualified, or any of its versions or aliases). */
function isFunction(targetArn: string, functionArn: string): boolean {
  return targetArn === functionArn || targetArn.startsWith(`${functionArn}:`);
}
