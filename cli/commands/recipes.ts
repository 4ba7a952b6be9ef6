import { getParameterValues } from '../../functions/shared/aws/parameters';
import { loadRecipeEntries } from '../../functions/shared/aws/recipe-store';
import { parseRecipes, type Recipe } from '../../functions/shared/recipe';
import { UsageError } from '../args';
import type { StackContext } from '../context';

/** The deployed recipes (the ones the trigger reads); invalid ones are left out. */
export async function loadRecipes(ctx: StackContext): Promise<Recipe[]> {
  return parseRecipes(await loadRecipeEntries(ctx.store), { scripts: 's3', deployment: ctx.names.prefix })
    .recipes;
}

/** One deployed recipe by name, or a usage error that lists the known ones. */
export async function findRecipe(ctx: StackContext, name: string | undefined): Promise<Recipe> {
  const recipes = await loadRecipes(ctx);
  const recipe = recipes.find((r) => r.name === name);
  if (!recipe) {
    throw new UsageError(
      `unknown recipe ${name === undefined ? '(none given)' : `"${name}"`}: use one of ${recipes.map((r) => r.name).join(', ') || '(no recipes deployed)'}`,
    );
  }
  return recipe;
}

/** The images a recipe's channels hold now (home region): published (tested) and candidate (newest). */
export interface Channels {
  published: string | undefined;
  candidate: string | undefined;
}

export async function recipeChannels(ctx: StackContext, recipe: Recipe): Promise<Channels> {
  const { parameter, candidateParameter } = recipe.lifecycle;
  const values = await getParameterValues(ctx.clients.ssm, [parameter, candidateParameter]);
  return { published: values.get(parameter), candidate: values.get(candidateParameter) };
}

/** "published, candidate", the channels that hold an image. */
export function channelsOf(imageId: string | undefined, channels: Channels): string {
  if (!imageId) return '';
  return (['published', 'candidate'] as const).filter((c) => channels[c] === imageId).join(', ');
}
