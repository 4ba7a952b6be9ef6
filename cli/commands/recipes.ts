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
