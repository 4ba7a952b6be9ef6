import type { RecipeDecision } from '../functions/ami-build-trigger/plan-trigger';
import type { BuildRecord } from '../functions/shared/build-record';
import type { RuntimeOverride } from './deploy/emulator-override';

/** One cycle of the local run: what started it, every recipe's decision, the builds it ran. */
export interface CycleReport {
  cycle: number;
  startedBy: 'schedule' | 'release';
  decisions: RecipeDecision[];
  builds: BuildRecord[];
  /** Recipes whose stand-in tests fail in this cycle, as the scenario has it. */
  failingTests?: readonly string[];
}

export interface RunVerdict {
  code: 0 | 1;
  /** The summary's closing lines. */
  lines: string[];
}

/**
 * How the local run ends: it fails when a build did not succeed, when nothing was built, when the
 * emulator met a call it could not judge, or when a recipe was skipped (its base or script could
 * not be read), unless skipped recipes are allowed. A skipped recipe is named with its reason
 * and, for an SSM parameter the emulator lacks, what to do about it.
 */
export function runVerdict(
  cycles: readonly CycleReport[],
  options: { allowSkipped: boolean; problems: readonly string[]; seconds: number },
): RunVerdict {
  const builds = cycles.flatMap((c) => c.builds);
  const succeeded = builds.filter((b) => b.status === 'succeeded').length;
  // A build whose tests the scenario made fail must end TestsFailed, with nothing published.
  const failedAsPlanned = cycles.flatMap((c) =>
    c.builds.filter((b) => c.failingTests?.includes(b.recipeName) && b.errorCode === 'TestsFailed'),
  ).length;
  // A recipe skipped or refused in any cycle fails the run, even if a later cycle built it.
  const skipped = new Map<string, string>();
  const refused = new Map<string, string>();
  for (const d of cycles.flatMap((c) => c.decisions)) {
    if (d.decision === 'skipped') skipped.set(d.recipe, d.reason);
    if (d.decision === 'invalid') refused.set(d.recipe, d.reason);
  }
  const invalid = [...refused].map(([recipe, reason]) => ({ recipe, reason }));
  const planned = failedAsPlanned > 0 ? `, ${failedAsPlanned} failed its tests as the scenario has it` : '';
  const lines = [
    `${builds.length} build(s), ${succeeded} succeeded${planned}, in ${options.seconds.toFixed(1)} s`,
  ];
  for (const [recipe, reason] of skipped) {
    lines.push(`skipped: ${recipe}: ${reason}${emulatorHint(reason)}`);
  }
  if (skipped.size > 0) {
    lines.push(
      options.allowSkipped
        ? `${skipped.size} recipe(s) skipped, allowed by --allow-skipped`
        : `${skipped.size} recipe(s) skipped: the run fails (pass --allow-skipped to accept it)`,
    );
  }
  for (const a of invalid) lines.push(`invalid: ${a.recipe}: ${a.reason}`);
  if (invalid.length > 0) lines.push(`${invalid.length} recipe(s) invalid at run time: the run fails`);
  for (const problem of options.problems) lines.push(`emulator problem: ${problem}`);
  const ok =
    builds.length > 0 &&
    succeeded + failedAsPlanned === builds.length &&
    options.problems.length === 0 &&
    invalid.length === 0 &&
    (skipped.size === 0 || options.allowSkipped);
  return { code: ok ? 0 : 1, lines };
}

/** The recipes the last cycle that decided them skipped or refused: what the trigger announces. */
function needsAttention(
  cycles: readonly CycleReport[],
): { recipe: string; decision: string; reason: string }[] {
  const last = new Map<string, { recipe: string; decision: string; reason: string }>();
  for (const d of cycles.flatMap((c) => c.decisions)) {
    if (d.decision === 'skipped' || d.decision === 'invalid')
      last.set(d.recipe, { recipe: d.recipe, decision: d.decision, reason: d.reason });
    else last.delete(d.recipe);
  }
  return [...last.values()];
}

/** What to do when the emulator, not the recipe, is why a base could not be read. */
function emulatorHint(reason: string): string {
  const parameter = /SSM parameter (\/aws\/service\/\S+) does not exist/.exec(reason)?.[1];
  if (!parameter) return '';
  return ` (an emulator gap: moto ships only some of AWS's public parameters, ECS-optimized and Amazon Linux among them, and ${parameter} is not one; the recipe may well work in AWS. To try it here, give it an image the emulator has: npm start -- --seed-parameter ${parameter}=ami-..., or select the base by name with base.describe)`;
}

/** The `--json` report: the deployment, every cycle's decisions (skipped and not-due included), every build. */
export function runReport(
  deployment: { resources: number; seconds: number; overrides: readonly RuntimeOverride[] },
  cycles: readonly CycleReport[],
): object {
  return {
    deployment: { tool: 'terraform', ...deployment },
    cycles: cycles.map((c) => ({
      cycle: c.cycle,
      startedBy: c.startedBy,
      decisions: c.decisions.map((d) => ({
        recipe: d.recipe,
        decision: d.decision,
        reason: d.reason,
        ...(d.buildId ? { buildId: d.buildId } : {}),
        ...(d.baseImageId ? { baseImageId: d.baseImageId } : {}),
      })),
    })),
    needsAttention: needsAttention(cycles),
    builds: cycles
      .flatMap((c) => c.builds)
      .map((b) => ({
        recipe: b.recipeName,
        buildId: b.buildId,
        baseImageId: b.baseImageId,
        imageId: b.imageId ?? null,
        status: b.status,
        ...(b.errorCode ? { errorCode: b.errorCode } : {}),
        ...(b.test?.outcome ? { tests: b.test.outcome } : {}),
        promoted: b.status === 'succeeded',
      })),
  };
}
