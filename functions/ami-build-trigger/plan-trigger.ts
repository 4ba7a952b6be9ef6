import { instanceTypeProblems } from '../shared/aws-facts';
import {
  type BuildRecord,
  type BuildStatus,
  isDue,
  newBuildId,
  type ScriptPin,
  type StartOutcome,
} from '../shared/build-record';
import { type Recipe, scriptUri } from '../shared/recipe';
import { recipeHash, selectorKey } from '../shared/recipe-hash';
import type { BaseResolution } from './resolve-bases';

/**
 * The trigger's decisions, from facts already read: which recipes are invalid or skipped,
 * which are due, what a build's first record holds, and what each start attempt decided.
 * The steps that read the facts and act on the decisions are in run-trigger.ts.
 */

/** `due` is what `amibake plan` says of a recipe the next run would start; a run says `started`. */
type Decision = 'started' | 'due' | 'not-due' | 'deferred' | 'skipped' | 'invalid';

export interface RecipeDecision {
  recipe: string;
  decision: Decision;
  reason: string;
  buildId?: string;
  baseImageId?: string;
  recipeHash?: string;
}

/** A recipe that could build now: its base and script are known, and so its content hash. */
export interface Candidate {
  recipe: Recipe;
  baseImageId: string;
  baseImageName?: string;
  recipeHash: string;
  script: ScriptPin;
  /** The status of the latest build of this base and content when it failed or timed out: it is retried. */
  retrying?: 'failed' | 'timed_out';
}

/** What identifies a script: its recorded SHA-256, or the S3 version (else ETag) read. */
export type ScriptIdentity = { ok: true; identity: string; pin: ScriptPin } | { ok: false; reason: string };

/** What the trigger reads before it decides anything. */
export interface TriggerFacts {
  /** The valid recipes in the run's scope, in the recipes' order. */
  recipes: readonly Recipe[];
  /** Recipes the recipe schema refused, with their problems. */
  rejected: readonly { name: string; problems: string[] }[];
  /** The newest base of each selector (by selectorKey). */
  bases: ReadonlyMap<string, BaseResolution>;
  /** Each script's identity (by scriptUri). */
  scripts: ReadonlyMap<string, ScriptIdentity>;
}

/** The recipes that may build (with their content hash), and why each other one may not. */
export function planCandidates(facts: TriggerFacts): {
  decisions: RecipeDecision[];
  candidates: Candidate[];
} {
  const decisions: RecipeDecision[] = facts.rejected.map((r) => ({
    recipe: r.name,
    decision: 'invalid',
    reason: r.problems.join('; '),
  }));
  const candidates: Candidate[] = [];
  for (const recipe of facts.recipes) {
    const base = facts.bases.get(selectorKey(recipe.base));
    const script = facts.scripts.get(scriptUri(recipe.script));
    if (!base?.ok || !script?.ok) {
      decisions.push({ recipe: recipe.name, decision: 'skipped', reason: skipReason(base, script) });
      continue;
    }
    // An SSM base shows its architecture only now; EC2 would refuse the launch.
    const mismatch = instanceTypeProblems(recipe.instanceType, base.architecture);
    if (mismatch.length > 0) {
      const reason = `recipe "${recipe.name}": ${mismatch.join('; ')} (base ${base.imageId})`;
      decisions.push({ recipe: recipe.name, decision: 'invalid', reason });
      continue;
    }
    candidates.push({
      recipe,
      baseImageId: base.imageId,
      ...(base.imageName ? { baseImageName: base.imageName } : {}),
      recipeHash: recipeHash(recipe, script.identity),
      script: script.pin,
    });
  }
  return { decisions, candidates };
}

function skipReason(base: BaseResolution | undefined, script: ScriptIdentity | undefined): string {
  if (base && !base.ok) return base.reason;
  if (script && !script.ok) return script.reason;
  return 'base image or script not resolved';
}

export interface Plan {
  due: Candidate[];
  notDue: { candidate: Candidate; status: BuildStatus }[];
}

/**
 * Which recipes are due: those with no succeeded or in-flight build of the same
 * (recipe, base image, content hash). The order is the recipes' order, so that the
 * in-flight limit defers the same recipes on every run.
 */
export function planBuilds(
  candidates: readonly Candidate[],
  latest: (c: Candidate) => BuildStatus | undefined,
): Plan {
  const plan: Plan = { due: [], notDue: [] };
  for (const candidate of candidates) {
    const status = latest(candidate);
    if (status === 'failed' || status === 'timed_out') plan.due.push({ ...candidate, retrying: status });
    else if (isDue(status)) plan.due.push(candidate);
    else plan.notDue.push({ candidate, status: status as BuildStatus });
  }
  return plan;
}

/** Why a due candidate is built: nothing of its base and content yet, or a retry of a failed build. */
function dueReason(candidate: Candidate): string {
  if (candidate.retrying === undefined) return 'new base image or recipe change';
  const how = candidate.retrying === 'timed_out' ? 'timed out' : 'failed';
  return `the last build of this base and recipe hash ${how}: retried`;
}

/** What `amibake plan` says of a due candidate: the next run would start it, within the in-flight limit. */
export function dueDecision(candidate: Candidate): RecipeDecision {
  return decisionFor(candidate, 'due', `${dueReason(candidate)} (subject to the in-flight limit)`);
}

/** The decision not to build a candidate whose last build is final or in flight. */
export function notDueDecision(candidate: Candidate, status: BuildStatus): RecipeDecision {
  return decisionFor(candidate, 'not-due', `build of this base and recipe hash is ${status}`);
}

/** The first record of a build of a candidate: the one record the trigger and `amibake build` write. */
export function pendingBuild(candidate: Candidate, now: Date, random: string): BuildRecord {
  const stamp = now.toISOString();
  return {
    buildId: newBuildId(candidate.recipe.name, now, random),
    recipeName: candidate.recipe.name,
    recipeHash: candidate.recipeHash,
    recipe: candidate.recipe,
    baseImageId: candidate.baseImageId,
    ...(candidate.baseImageName ? { baseImageName: candidate.baseImageName } : {}),
    script: candidate.script,
    status: 'pending',
    createdAt: stamp,
    updatedAt: stamp,
  };
}

/** What happened to a start: recorded (then launched or not), refused by the lock or the limit. */
export type StartStep =
  | { kind: 'defer'; decision: RecipeDecision }
  | { kind: 'invoke' }
  | { kind: 'done'; decision: RecipeDecision };

/** The decision of a start attempt, from what recording the build answered. */
export function afterRecording(candidate: Candidate, outcome: StartOutcome, maxInFlight: number): StartStep {
  if (outcome === 'limit-reached') return { kind: 'defer', decision: deferred(candidate, maxInFlight) };
  if (outcome === 'already-started')
    return {
      kind: 'done',
      decision: decisionFor(candidate, 'not-due', 'another trigger run started this build'),
    };
  return { kind: 'invoke' };
}

/** The decision for a candidate left for the next run: the in-flight limit is reached. */
export function deferred(candidate: Candidate, maxInFlight: number): RecipeDecision {
  return decisionFor(candidate, 'deferred', `${maxInFlight} builds already in flight`);
}

/** The decision after the launch was asked for (`invokeError` when it could not be). */
export function afterInvoke(candidate: Candidate, buildId: string, invokeError?: string): RecipeDecision {
  return invokeError === undefined
    ? { ...decisionFor(candidate, 'started', dueReason(candidate)), buildId }
    : { ...decisionFor(candidate, 'skipped', invokeError), buildId };
}

function decisionFor(candidate: Candidate, decision: Decision, reason: string): RecipeDecision {
  return {
    recipe: candidate.recipe.name,
    decision,
    reason,
    baseImageId: candidate.baseImageId,
    recipeHash: candidate.recipeHash,
  };
}
