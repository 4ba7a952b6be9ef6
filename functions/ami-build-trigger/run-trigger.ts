import type { EC2Client } from '@aws-sdk/client-ec2';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { type BuildsTable, latestStatuses, lockId, recordBuildStart } from '../shared/aws/builds-table';
import { invokeAsync } from '../shared/aws/invoke';
import { readObject } from '../shared/aws/objects';
import { loadRecipeEntries, type RecipeStore } from '../shared/aws/recipe-store';
import { instanceTypeProblems } from '../shared/aws-facts';
import { type BuildRecord, newBuildId, type ScriptPin } from '../shared/build-record';
import { awsErrorName, describeError, InvalidInputError } from '../shared/errors';
import { failBuild } from '../shared/fail-build';
import type { Logger } from '../shared/logger';
import type { Notify } from '../shared/notification';
import { parseRecipes, type Recipe, scriptUri } from '../shared/recipe';
import { recipeHash, selectorKey, sha256Hex } from '../shared/recipe-hash';
import { type Candidate, planBuilds } from './plan-builds';
import { type BaseResolution, resolveBases } from './resolve-bases';
import type { TriggerScope } from './trigger-event';

export interface TriggerDeps {
  store: RecipeStore;
  ec2: EC2Client;
  ssm: SSMClient;
  s3: S3Client;
  lambda: LambdaClient;
  table: BuildsTable;
  log: Logger;
  now: () => Date;
  randomHex: () => string;
  notify?: Notify | undefined;
}

export interface TriggerSettings {
  /** The deployment's prefix. */
  deployment: string;
  maxInFlight: number;
  instanceCreateFunction: string;
  /** Every recipe (the default), or those tracking a release's topics. */
  scope?: TriggerScope;
}

type Decision = 'started' | 'not-due' | 'deferred' | 'skipped' | 'invalid';

export interface RecipeDecision {
  recipe: string;
  decision: Decision;
  reason: string;
  buildId?: string;
  baseImageId?: string;
  recipeHash?: string;
}

/** One trigger run: read recipes, resolve bases, decide what is due, start those builds. */
export async function runTrigger(deps: TriggerDeps, settings: TriggerSettings): Promise<RecipeDecision[]> {
  const now = deps.now();
  const evaluation = await evaluateRecipes(deps, settings.deployment, now, settings.scope);
  const decisions = [...evaluation.decisions, ...(await startBuilds(deps, settings, evaluation.due, now))];
  for (const d of decisions) deps.log.info('recipe decision', { ...d });
  return decisions;
}

export interface Evaluation {
  /** Recipes that will not start, each with its reason (invalid, skipped, not due). */
  decisions: RecipeDecision[];
  /** Recipes due, in the recipes' order, with their base and content hash. */
  due: Candidate[];
  /** Every valid recipe, as read. */
  recipes: Recipe[];
}

/** Whether a run of this scope covers the recipe. */
function tracks(recipe: Recipe, scope: TriggerScope): boolean {
  return (
    scope.kind === 'all' || (recipe.releaseTopic !== undefined && scope.topics.includes(recipe.releaseTopic))
  );
}

/** What a trigger run would do, without doing it: the reads of a run and its decisions. */
export async function evaluateRecipes(
  deps: Omit<TriggerDeps, 'lambda' | 'randomHex'>,
  deployment: string,
  now: Date,
  scope: TriggerScope = { kind: 'all' },
): Promise<Evaluation> {
  let entries: unknown[];
  try {
    entries = await loadRecipeEntries(deps.store);
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    deps.log.error('recipes document rejected', { problems: error.problems });
    return { decisions: [{ recipe: '*', decision: 'invalid', reason: error.message }], due: [], recipes: [] };
  }
  const parsed = parseRecipes(entries, { scripts: 's3', deployment });
  const { rejected } = parsed;
  const recipes = parsed.recipes.filter((r) => tracks(r, scope));
  if (scope.kind === 'release') {
    deps.log.info('release notification', { topics: scope.topics, recipes: recipes.map((r) => r.name) });
  }
  const decisions: RecipeDecision[] = rejected.map((r) => {
    deps.log.warn('recipe rejected', { recipe: r.name, problems: r.problems });
    return { recipe: r.name, decision: 'invalid', reason: r.problems.join('; ') };
  });

  const bases = await resolveBases(deps, recipes, now);
  const scripts = await scriptIdentities(deps, recipes);
  const candidates: Candidate[] = [];
  for (const recipe of recipes) {
    const base = bases.get(selectorKey(recipe.base));
    const script = scripts.get(scriptUri(recipe.script));
    if (!base?.ok || !script?.ok) {
      const reason = skipReason(base, script);
      decisions.push({ recipe: recipe.name, decision: 'skipped', reason });
      deps.log.warn('recipe skipped', { recipe: recipe.name, reason });
      continue;
    }
    // An SSM base shows its architecture only now; EC2 would refuse the launch.
    const mismatch = instanceTypeProblems(recipe.instanceType, base.architecture);
    if (mismatch.length > 0) {
      const reason = `recipe "${recipe.name}": ${mismatch.join('; ')} (base ${base.imageId})`;
      decisions.push({ recipe: recipe.name, decision: 'invalid', reason });
      deps.log.warn('recipe rejected', { recipe: recipe.name, problems: [reason] });
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

  const latest = await latestStatuses(
    deps.table,
    candidates.map((c) => ({
      recipeName: c.recipe.name,
      baseImageId: c.baseImageId,
      recipeHash: c.recipeHash,
    })),
  );
  const plan = planBuilds(candidates, (c) =>
    latest.get(lockId({ recipeName: c.recipe.name, baseImageId: c.baseImageId, recipeHash: c.recipeHash })),
  );
  for (const { candidate, status } of plan.notDue) {
    decisions.push(decisionFor(candidate, 'not-due', `build of this base and recipe hash is ${status}`));
  }
  return { decisions, due: plan.due, recipes };
}

async function startBuilds(
  deps: TriggerDeps,
  settings: TriggerSettings,
  due: readonly Candidate[],
  now: Date,
): Promise<RecipeDecision[]> {
  const decisions: RecipeDecision[] = [];
  let limitReached = false;
  for (const candidate of due) {
    if (limitReached) {
      decisions.push(decisionFor(candidate, 'deferred', `${settings.maxInFlight} builds already in flight`));
      continue;
    }
    const build = pendingBuild(candidate, now, deps.randomHex());
    const outcome = await recordBuildStart(deps.table, build, settings.maxInFlight);
    if (outcome === 'limit-reached') {
      limitReached = true;
      decisions.push(decisionFor(candidate, 'deferred', `${settings.maxInFlight} builds already in flight`));
    } else if (outcome === 'already-started') {
      decisions.push(decisionFor(candidate, 'not-due', 'another trigger run started this build'));
    } else {
      decisions.push(await launch(deps, settings, build, candidate));
    }
  }
  return decisions;
}

async function launch(
  deps: TriggerDeps,
  settings: TriggerSettings,
  build: BuildRecord,
  candidate: Candidate,
): Promise<RecipeDecision> {
  try {
    await invokeAsync(deps.lambda, settings.instanceCreateFunction, { buildId: build.buildId });
    deps.log.info('build started', {
      buildId: build.buildId,
      recipe: build.recipeName,
      baseImageId: build.baseImageId,
    });
    return {
      ...decisionFor(candidate, 'started', 'new base image or recipe change'),
      buildId: build.buildId,
    };
  } catch (error) {
    const reason = `could not invoke ${settings.instanceCreateFunction}: ${describeError(error)}`;
    await failBuild(deps, build, reason, awsErrorName(error) ?? 'InvokeFailed');
    return { ...decisionFor(candidate, 'skipped', reason), buildId: build.buildId };
  }
}

function pendingBuild(candidate: Candidate, now: Date, random: string): BuildRecord {
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

function decisionFor(candidate: Candidate, decision: Decision, reason: string): RecipeDecision {
  return {
    recipe: candidate.recipe.name,
    decision,
    reason,
    baseImageId: candidate.baseImageId,
    recipeHash: candidate.recipeHash,
  };
}

function skipReason(base: BaseResolution | undefined, script: ScriptIdentity | undefined): string {
  if (base && !base.ok) return base.reason;
  if (script && !script.ok) return script.reason;
  return 'base image or script not resolved';
}

type ScriptIdentity = { ok: true; identity: string; pin: ScriptPin } | { ok: false; reason: string };

/**
 * Identity and pin of each distinct script. A script the stack uploaded is known by the SHA-256
 * it recorded; another is read once: its S3 version (else ETag) is its identity, and the build
 * is pinned to that version and the SHA-256 of what was read.
 */
async function scriptIdentities(
  deps: Pick<TriggerDeps, 's3'>,
  recipes: readonly Recipe[],
): Promise<Map<string, ScriptIdentity>> {
  const identities = new Map<string, ScriptIdentity>();
  for (const recipe of recipes) {
    const uri = scriptUri(recipe.script);
    if (identities.has(uri)) continue;
    if (recipe.scriptSha256) {
      const sha256 = recipe.scriptSha256;
      identities.set(uri, { ok: true, identity: `sha256:${sha256}`, pin: { sha256 } });
    } else if (recipe.script.kind === 's3') {
      try {
        const read = await readObject(deps.s3, recipe.script);
        identities.set(
          uri,
          read === undefined
            ? { ok: false, reason: `script ${uri} does not exist: upload it, or fix the recipe's script` }
            : {
                ok: true,
                identity: read.identity,
                pin: {
                  sha256: sha256Hex(read.text),
                  ...(read.versionId ? { versionId: read.versionId } : {}),
                },
              },
        );
      } catch (error) {
        identities.set(uri, { ok: false, reason: `script ${uri} cannot be read: ${describeError(error)}` });
      }
    }
  }
  return identities;
}
