import { recipeHistory } from '../../functions/shared/aws/build-queries';
import type { BuildRecord } from '../../functions/shared/build-record';
import { table } from '../args';
import type { StackContext } from '../context';
import { type Channels, channelsOf, findRecipe, recipeChannels } from './recipes';

export async function history(
  ctx: StackContext,
  recipeName: string | undefined,
): Promise<{ builds: BuildRecord[]; channels: Channels; text: string }> {
  const recipe = await findRecipe(ctx, recipeName);
  const builds = await recipeHistory(
    { doc: ctx.clients.doc, tableName: ctx.names.buildsTable },
    recipe.name,
    50,
  );
  const channels = await recipeChannels(ctx, recipe);
  const text =
    builds.length === 0
      ? `recipe "${recipe.name}" has never been built`
      : table(
          ['BUILD', 'STATE', 'TESTS', 'BASE', 'AMI', 'CHANNELS', 'STARTED', 'FINISHED', 'REASON'],
          builds.map((b) => [
            b.buildId,
            b.status,
            b.test?.outcome ?? (b.status === 'testing' ? 'running' : '-'),
            b.baseImageId,
            b.imageId ?? '-',
            channelsOf(b.imageId, channels) || '-',
            b.createdAt,
            b.finishedAt ?? '-',
            b.status === 'succeeded' ? '' : (b.reason ?? ''),
          ]),
        );
  return { builds, channels, text };
}
