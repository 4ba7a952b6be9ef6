import { randomBytes } from 'node:crypto';
import { evaluateRecipes } from '../../functions/ami-build-trigger/run-trigger';
import { recordBuildStart } from '../../functions/shared/aws/builds-table';
import { invokeAsync } from '../../functions/shared/aws/invoke';
import { type BuildRecord, newBuildId } from '../../functions/shared/build-record';
import { AmiBakeError } from '../../functions/shared/errors';
import type { StackContext } from '../context';
import { findRecipe } from './recipes';

/**
 * A start by hand is the operator's decision, so it is bounded only by the highest in-flight
 * limit a configuration may set; it still takes a slot, which the scheduled runs then respect.
 */
const MAX_IN_FLIGHT = 100;

/**
 * Starts a build of one recipe now, as the trigger would: the same record, lock and counter,
 * then the asynchronous launch. Without --force, a recipe whose base and content are already
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
  const due = evaluation.due.find((c) => c.recipe.name === recipe.name);
  const decided = evaluation.decisions.find((d) => d.recipe === recipe.name);
  const candidate = due ?? (force && decided?.decision === 'not-due' ? decided : undefined);
  if (!candidate?.baseImageId || !candidate.recipeHash) {
    throw new AmiBakeError(
      `recipe "${recipe.name}" is not due: ${decided?.reason ?? 'no base image found'}${decided?.decision === 'not-due' ? ' (use --force to build it again)' : ''}`,
      { code: 'NotStarted' },
    );
  }
  const record: BuildRecord = {
    buildId: newBuildId(recipe.name, now, randomBytes(3).toString('hex')),
    recipeName: recipe.name,
    recipeHash: candidate.recipeHash,
    recipe,
    baseImageId: candidate.baseImageId,
    ...(due?.baseImageName ? { baseImageName: due.baseImageName } : {}),
    status: 'pending',
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  const started = await recordBuildStart(table, record, MAX_IN_FLIGHT, { force });
  if (started !== 'started') {
    throw new AmiBakeError(
      `recipe "${recipe.name}" was not started: ${started === 'already-started' ? 'a build of this base and content is in flight' : 'too many builds in flight'}`,
      {
        code: 'NotStarted',
      },
    );
  }
  await invokeAsync(clients.lambda, ctx.names.functions.instanceCreate, { buildId: record.buildId });
  return {
    buildId: record.buildId,
    baseImageId: record.baseImageId,
    text: `started ${record.buildId} (base ${record.baseImageId}): follow it with npx amibake history ${recipe.name}`,
  };
}
