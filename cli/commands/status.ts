import { resolveBases } from '../../functions/ami-build-trigger/resolve-bases';
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
  /** The candidate channel: the newest image, before its tests. */
  candidateImage: string | undefined;
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
      r.lastStatus ?? 'never built',
      r.currentImage ?? '-',
      r.candidateImage === undefined
        ? '-'
        : r.candidateImage === r.currentImage
          ? '(same)'
          : r.candidateImage,
    ]),
  );
  return { rows, text };
}
