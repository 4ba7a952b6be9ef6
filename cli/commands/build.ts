import { randomBytes } from 'node:crypto';
import { evaluateRecipes, startBuild } from '../../functions/ami-build-trigger/run-trigger';
import { AmiBakeError } from '../../functions/shared/errors';
import type { StackContext } from '../context';
import { findRecipe } from './recipes';

/**
 * A start by hand is the operator's decision, so it is bounded only by the highest in-flight
 * limit a configuration may set; it still takes a slot, which the scheduled runs then respect.
 */
const MAX_IN_FLIGHT = 100;

/**
 * Starts a build of one recipe now, as the trigger does (its evaluation and its start: the same
 * record, lock and counter, then the asynchronous launch). Without --force, a recipe whose base and content are already
 * built (or building) is refused; with it, only one in flight is.
 */
export async function build(
  ctx: StackContext,
  recipeName: string | undefined,
  force: boolean,
): Promise<{ buildId: string; baseImageId: string; text: string }> {
  const recipe = await findRecipe(ctx, recipeName);
  const { clients } = ctx;
  const table = { doc: clients.doc, tableName: ctx.names.buildsTable };
  const now = new Date();
  const evaluation = await evaluateRecipes(
    {
      store: ctx.store,
      ec2: clients.ec2,
      ssm: clients.ssm,
      s3: clients.s3,
      table,
      log: ctx.log,
      now: () => now,
    },
    ctx.names.prefix,
    now,
  );
  const candidate =
    evaluation.due.find((c) => c.recipe.name === recipe.name) ??
    (force ? evaluation.notDue.find((c) => c.recipe.name === recipe.name) : undefined);
  const decided = evaluation.decisions.find((d) => d.recipe === recipe.name);
  if (!candidate) {
    throw new AmiBakeError(
      `recipe "${recipe.name}" is not due: ${decided?.reason ?? 'no base image found'}${decided?.decision === 'not-due' ? ' (use --force to build it again)' : ''}`,
      { code: 'NotStarted' },
    );
  }
  const { decision } = await startBuild(
    {
      table,
      lambda: clients.lambda,
      log: ctx.log,
      now: () => now,
      randomHex: () => randomBytes(3).toString('hex'),
    },
    candidate,
    { maxInFlight: MAX_IN_FLIGHT, instanceCreateFunction: ctx.names.functions.instanceCreate, now, force },
  );
  if (decision.decision !== 'started' || !decision.buildId) {
    const why =
      decision.decision === 'not-due'
        ? 'a build of this base and content is in flight'
        : decision.decision === 'deferred'
          ? 'too many builds in flight'
          : decision.reason;
    throw new AmiBakeError(`recipe "${recipe.name}" was not started: ${why}`, { code: 'NotStarted' });
  }
  return {
    buildId: decision.buildId,
    baseImageId: candidate.baseImageId,
    text: `started ${decision.buildId} (base ${candidate.baseImageId}): follow it with npx amibake history ${recipe.name}`,
  };
}
