import { resolveBases } from '../../functions/ami-build-trigger/resolve-bases';
import type { RecipeAttention } from '../../functions/shared/attention';
import { listAttention } from '../../functions/shared/aws/attention';
import { recipeHistory } from '../../functions/shared/aws/build-queries';
import { getParameterValues } from '../../functions/shared/aws/parameters';
import { selectorKey } from '../../functions/shared/recipe-hash';
import { table } from '../args';
import type { StackContext } from '../context';
import { loadRecipes } from './recipes';

export interface StatusRow {
  recipe: string;
  baseInUse: string | undefined;
  newestBase: string | undefined;
  lastBuild: string | undefined;
  lastStatus: string | undefined;
  /** The published channel (tested), as consumers resolve it. */
  currentImage: string | undefined;
  /** The candidate channel: the newest image from its availability, until its tests fail. */
  candidateImage: string | undefined;
  /** Why the trigger skips the recipe or refuses it, as it announced. */
  attention?: RecipeAttention;
}

/** One row per recipe: the base its current image came from, the newest base, the last build, the current image. */
export async function status(ctx: StackContext): Promise<{ rows: StatusRow[]; text: string }> {
  const recipes = await loadRecipes(ctx);
  const { clients } = ctx;
  const bases = await resolveBases(clients, recipes, new Date());
  const parameters = await getParameterValues(
    clients.ssm,
    recipes.flatMap((r) => [r.lifecycle.parameter, r.lifecycle.candidateParameter]),
  );
  const builds = { doc: clients.doc, tableName: ctx.names.buildsTable };
  const attention = new Map((await listAttention(builds)).map((a) => [a.recipe, a]));
  const rows: StatusRow[] = [];
  for (const recipe of recipes) {
    const history = await recipeHistory(
      { doc: clients.doc, tableName: ctx.names.buildsTable },
      recipe.name,
      20,
    );
    const last = history[0];
    const lastGood = history.find((b) => b.status === 'succeeded');
    const base = bases.get(selectorKey(recipe.base));
    rows.push({
      recipe: recipe.name,
      baseInUse: lastGood?.baseImageId,
      newestBase: base?.ok ? base.imageId : undefined,
      lastBuild: last?.buildId,
      lastStatus: last?.status,
      currentImage: parameters.get(recipe.lifecycle.parameter) ?? lastGood?.imageId,
      candidateImage: parameters.get(recipe.lifecycle.candidateParameter),
      ...(attention.has(recipe.name) ? { attention: attention.get(recipe.name) } : {}),
    });
  }
  // Recipes the trigger refused as invalid are not among the valid recipes read above.
  for (const [name, a] of attention) {
    if (rows.some((r) => r.recipe === name)) continue;
    rows.push({
      recipe: name,
      baseInUse: undefined,
      newestBase: undefined,
      lastBuild: undefined,
      lastStatus: undefined,
      currentImage: undefined,
      candidateImage: undefined,
      attention: a,
    });
  }
  const text = table(
    ['RECIPE', 'BASE IN USE', 'NEWEST BASE', 'LAST BUILD', 'STATE', 'PUBLISHED AMI', 'CANDIDATE AMI'],
    rows.map((r) => [
      r.recipe,
      r.baseInUse ?? '-',
      r.newestBase === undefined
        ? '-'
        : r.newestBase === r.baseInUse
          ? `${r.newestBase} (same)`
          : r.newestBase,
      r.lastBuild ?? '-',
      r.attention?.decision ?? r.lastStatus ?? 'never built',
      r.currentImage ?? '-',
      r.candidateImage === undefined
        ? '-'
        : r.candidateImage === r.currentImage
          ? '(same)'
          : r.candidateImage,
    ]),
  );
  const notes = rows.flatMap((r) =>
    r.attention
      ? [`${r.recipe}: ${r.attention.decision} since ${r.attention.since}: ${r.attention.reason}`]
      : [],
  );
  return {
    rows,
    text: notes.length > 0 ? `${text}\n\nneeds attention:\n${notes.map((n) => `  ${n}`).join('\n')}\n` : text,
  };
}
