import { dueDecision, type RecipeDecision } from '../../functions/ami-build-trigger/plan-trigger';
import { evaluateRecipes } from '../../functions/ami-build-trigger/run-trigger';
import { table } from '../args';
import type { StackContext } from '../context';

/** What the next trigger run would do, and why, from the same reads and decisions as the trigger. */
export async function plan(ctx: StackContext): Promise<{ decisions: RecipeDecision[]; text: string }> {
  const { clients } = ctx;
  const evaluation = await evaluateRecipes(
    {
      store: ctx.store,
      ec2: clients.ec2,
      ssm: clients.ssm,
      s3: clients.s3,
      table: { doc: clients.doc, tableName: ctx.names.buildsTable },
      log: ctx.log,
      now: () => new Date(),
    },
    ctx.names.prefix,
    new Date(),
  );
  const decisions = [...evaluation.due.map(dueDecision), ...evaluation.decisions];
  const label = (d: RecipeDecision) => (d.decision === 'due' ? 'would build' : d.decision);
  const text = table(
    ['RECIPE', 'DECISION', 'BASE', 'WHY'],
    decisions.map((d) => [d.recipe, label(d), d.baseImageId ?? '-', d.reason]),
  );
  return { decisions, text };
}
