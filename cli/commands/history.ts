import { recipeHistory } from '../../functions/shared/aws/build-queries';
import type { BuildRecord } from '../../functions/shared/build-record';
import { table } from '../args';
import type { StackContext } from '../context';
import { findRecipe } from './recipes';

export async function history(
  ctx: StackContext,
  recipeName: string | undefined,
): Promise<{ builds: BuildRecord[]; text: string }> {
  const recipe = await findRecipe(ctx, recipeName);
  const builds = await recipeHistory(
    { doc: ctx.clients.doc, tableName: ctx.names.buildsTable },
    recipe.name,
    50,
  );
  const text =
    builds.length === 0
      ? `recipe "${recipe.name}" has never been built`
      : table(
          ['BUILD', 'STATE', 'BASE', 'AMI', 'STARTED', 'FINISHED', 'REASON'],
          builds.map((b) => [
            b.buildId,
            b.status,
            b.baseImageId,
            b.imageId ?? '-',
            b.createdAt,
            b.finishedAt ?? '-',
            b.status === 'succeeded' ? '' : (b.reason ?? ''),
          ]),
        );
  return { builds, text };
}
