import type { EC2Client } from '@aws-sdk/client-ec2';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { attentionNotification } from '../shared/attention';
import { clearAttention, listAttention, recordAttention } from '../shared/aws/attention';
import { type BuildsTable, latestStatuses, lockId, recordBuildStart } from '../shared/aws/builds-table';
import { invokeAsync } from '../shared/aws/invoke';
import type { Notification } from '../shared/aws/notifications';
import { readObject } from '../shared/aws/objects';
import { loadRecipeEntries, type RecipeStore } from '../shared/aws/recipe-store';
import { awsErrorName, describeError, InvalidInputError } from '../shared/errors';
import { failBuild } from '../shared/fail-build';
import type { Logger } from '../shared/logger';
import type { Notify } from '../shared/notification';
import { parseRecipes, type Recipe, scriptUri } from '../shared/recipe';
import { sha256Hex } from '../shared/recipe-hash';
import { planAttention } from './plan-attention';
import {
  afterInvoke,
  afterRecording,
  type Candidate,
  deferred,
  notDueDecision,
  pendingBuild,
  planBuilds,
  planCandidates,
  type RecipeDecision,
  type ScriptIdentity,
} from './plan-trigger';
import { resolveBases } from './resolve-bases';
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
  /** Publishes an announcement to the notifications topic, when one is configured. */
  announce?: ((notification: Notification) => Promise<void>) | undefined;
}

export interface TriggerSettings {
  /** The deployment's prefix. */
  deployment: string;
  maxInFlight: number;
  instanceCreateFunction: string;
  /** Every recipe (the default), or those tracking a release's topics. */
  scope?: TriggerScope;
}

/** One trigger run: read recipes, resolve bases, decide what is due, start those builds. */
export async function runTrigger(deps: TriggerDeps, settings: TriggerSettings): Promise<RecipeDecision[]> {
  const now = deps.now();
  const evaluation = await evaluateRecipes(deps, settings.deployment, now, settings.scope);
  const decisions = [...evaluation.decisions, ...(await startBuilds(deps, settings, evaluation.due, now))];
  for (const d of decisions) deps.log.info('recipe decision', { ...d });
  await attend(deps, decisions, now);
  return decisions;
}

/**
 * Announces each recipe that needs attention once per reason, and forgets those that build
 * again. It never fails the run: the builds have started, and the next run tries again.
 */
async function attend(deps: TriggerDeps, decisions: readonly RecipeDecision[], now: Date): Promise<void> {
  try {
    const announced = new Map((await listAttention(deps.table)).map((a) => [a.recipe, a]));
    const plan = planAttention(decisions, announced, now);
    for (const recipe of plan.clear) await clearAttention(deps.table, recipe);
    for (const attention of plan.announce) {
      if (!(await recordAttention(deps.table, attention, announced.get(attention.recipe)?.digest))) continue;
      deps.log.warn('recipe needs attention', { recipe: attention.recipe, decision: attention.decision });
      await deps.announce?.(attentionNotification(attention));
    }
  } catch (error) {
    deps.log.error('recipe attention not recorded', { error });
  }
}

export interface Evaluation {
  /** Recipes that will not start, each with its reason (invalid, skipped, not due). */
  decisions: RecipeDecision[];
  /** Recipes due, in the recipes' order, with their base and content hash. */
  due: Candidate[];
  /** Recipes whose build of this base and content succeeded or is in flight (`amibake build --force` may rebuild them). */
  notDue: Candidate[];
  /** Every valid recipe, as read. */
  recipes: Recipe[];
}

/** Whether a run of this scope covers the recipe. */
function tracks(recipe: Recipe, scope: TriggerScope): boolean {
  return (
    scope.kind === 'all' || (recipe.releaseTopic !== undefined && scope.topics.includes(recipe.releaseTopic))
  );
}

/**
 * What a trigger run would do, without doing it: the reads of a run (recipes, bases, scripts,
 * the latest build of each candidate) and the plan's decisions. The trigger, `amibake plan` and
 * `amibake build` all evaluate through here.
 */
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
    const decision: RecipeDecision = { recipe: '*', decision: 'invalid', reason: error.message };
    return { decisions: [decision], due: [], notDue: [], recipes: [] };
  }
  const parsed = parseRecipes(entries, { scripts: 's3', deployment });
  const recipes = parsed.recipes.filter((r) => tracks(r, scope));
  if (scope.kind === 'release') {
    deps.log.info('release notification', { topics: scope.topics, recipes: recipes.map((r) => r.name) });
  }

  const { decisions, candidates } = planCandidates({
    recipes,
    rejected: parsed.rejected,
    bases: await resolveBases(deps, recipes, now),
    scripts: await scriptIdentities(deps, recipes),
  });
  for (const d of decisions) {
    deps.log.warn(d.decision === 'skipped' ? 'recipe skipped' : 'recipe rejected', {
      recipe: d.recipe,
      reason: d.reason,
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
  return {
    decisions: [...decisions, ...plan.notDue.map((n) => notDueDecision(n.candidate, n.status))],
    due: plan.due,
    notDue: plan.notDue.map((n) => n.candidate),
    recipes,
  };
}

async function startBuilds(
  deps: TriggerDeps,
  settings: TriggerSettings,
  due: readonly Candidate[],
  now: Date,
): Promise<RecipeDecision[]> {
  const decisions: RecipeDecision[] = [];
  for (const [position, candidate] of due.entries()) {
    const started = await startBuild(deps, candidate, { ...settings, now });
    decisions.push(started.decision);
    if (started.kind === 'defer') {
      // The limit holds for the rest of this run: the same recipes wait for the next one.
      decisions.push(...due.slice(position + 1).map((c) => deferred(c, settings.maxInFlight)));
      break;
    }
  }
  return decisions;
}

/**
 * Starts one build of a candidate: its record (which takes the lock of its base and content
 * and a slot of the in-flight limit), then the asynchronous launch. A launch that cannot be
 * asked for ends the build `failed` (releasing its slot). The trigger and `amibake build`
 * (`force`: a build of that base and content may have succeeded) start builds only through here.
 */
export async function startBuild(
  deps: Pick<TriggerDeps, 'table' | 'lambda' | 'log' | 'now' | 'randomHex' | 'notify'>,
  candidate: Candidate,
  settings: { maxInFlight: number; instanceCreateFunction: string; now: Date; force?: boolean },
): Promise<{ kind: 'defer' | 'done'; decision: RecipeDecision }> {
  const build = pendingBuild(candidate, settings.now, deps.randomHex());
  const outcome = await recordBuildStart(deps.table, build, settings.maxInFlight, {
    force: settings.force ?? false,
  });
  const step = afterRecording(candidate, outcome, settings.maxInFlight);
  if (step.kind !== 'invoke') return step;
  try {
    await invokeAsync(deps.lambda, settings.instanceCreateFunction, { buildId: build.buildId });
  } catch (error) {
    const reason = `could not invoke ${settings.instanceCreateFunction}: ${describeError(error)}`;
    await failBuild(deps, build, reason, awsErrorName(error) ?? 'InvokeFailed');
    return { kind: 'done', decision: afterInvoke(candidate, build.buildId, reason) };
  }
  deps.log.info('build started', {
    buildId: build.buildId,
    recipe: build.recipeName,
    baseImageId: build.baseImageId,
  });
  return { kind: 'done', decision: afterInvoke(candidate, build.buildId) };
}

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
