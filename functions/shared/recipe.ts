import { instanceTypeProblems, parameterArchitecture } from './aws-facts';
import { InvalidInputError } from './errors';
import { RECIPE_DEFAULTS, type Recipe, type RecipeOptions, scriptUri } from './recipe-model';
import { recipeSchema } from './recipe-schema';
import { validate } from './validation';

export * from './recipe-model';
export type { RecipeInput } from './recipe-schema';

/**
 * Validates one recipe as found in the configuration or the recipes document.
 * Throws InvalidInputError listing every problem, each naming the recipe, the field,
 * the value received and the fix.
 */
export function parseRecipe(input: unknown, options: RecipeOptions, position = 0): Recipe {
  return parseWith(recipeSchema(options), input, position);
}

function parseWith(schema: ReturnType<typeof recipeSchema>, input: unknown, position: number): Recipe {
  const subject = `recipe ${recipeLabel(input, position)}`;
  const checked = validate(subject, schema, input);
  const problems = [
    ...(checked.ok ? [] : checked.problems),
    ...crossFieldProblems(input).map((p) => `${subject}: ${p}`),
  ];
  if (!checked.ok || problems.length > 0) throw new InvalidInputError(problems);
  return checked.value;
}

/** Parses a whole recipes list: the valid recipes, and the problems of the others. */
export function parseRecipes(
  inputs: unknown,
  options: RecipeOptions,
): { recipes: Recipe[]; rejected: { name: string; problems: string[] }[] } {
  if (!Array.isArray(inputs)) {
    throw new InvalidInputError([
      `recipes must be a list of recipe objects, got ${JSON.stringify(inputs)?.slice(0, 80)}: write "recipes": [ { "name": ... } ]`,
    ]);
  }
  const counts = new Map<string, number>();
  for (const input of inputs) {
    const name = (input as { name?: unknown } | null)?.name;
    if (typeof name === 'string') counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const recipes: Recipe[] = [];
  const rejected: { name: string; problems: string[] }[] = [];
  const schema = recipeSchema(options);
  inputs.forEach((input, position) => {
    const label = recipeLabel(input, position);
    const rawName = (input as { name?: unknown } | null)?.name;
    // The recipe's own name when it has one, else its label (such as "#3").
    const name = typeof rawName === 'string' && rawName !== '' ? rawName : label;
    if (typeof rawName === 'string' && (counts.get(rawName) ?? 0) > 1) {
      rejected.push({
        name,
        problems: [
          `recipe ${label}: name must be unique, got "${rawName}" ${counts.get(rawName)} times: rename or remove the duplicates`,
        ],
      });
      return;
    }
    try {
      recipes.push(parseWith(schema, input, position));
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      rejected.push({ name, problems: [...error.problems] });
    }
  });
  return withUniqueParameters(recipes, rejected);
}

/** Recipes that would publish to the same parameter are all rejected: none may overwrite another. */
function withUniqueParameters(
  parsed: Recipe[],
  rejected: { name: string; problems: string[] }[],
): { recipes: Recipe[]; rejected: { name: string; problems: string[] }[] } {
  const owners = new Map<string, string[]>();
  for (const recipe of parsed) {
    for (const name of new Set([recipe.lifecycle.parameter, recipe.lifecycle.candidateParameter])) {
      owners.set(name, [...(owners.get(name) ?? []), recipe.name]);
    }
  }
  const recipes: Recipe[] = [];
  for (const recipe of parsed) {
    const { parameter, candidateParameter } = recipe.lifecycle;
    const problems: string[] = [];
    if (parameter === candidateParameter) {
      problems.push(
        `recipe "${recipe.name}": lifecycle.candidateParameter must differ from lifecycle.parameter, got "${parameter}" for both: untested images would be published`,
      );
    }
    for (const [field, name] of [
      ['parameter', parameter],
      ['candidateParameter', candidateParameter],
    ] as const) {
      const sharing = owners.get(name) ?? [];
      if (sharing.length > 1) {
        problems.push(
          `recipe "${recipe.name}": lifecycle.${field} must be unique, got "${name}" for recipes ${sharing.map((n) => `"${n}"`).join(', ')}: give each recipe its own parameters`,
        );
      }
    }
    if (problems.length === 0) recipes.push(recipe);
    else rejected.push({ name: recipe.name, problems });
  }
  return { recipes, rejected };
}

/**
 * What no single field shows: exactly one base selector, and build and test instance types of
 * the base's architecture (a described base's, or the one its SSM parameter's path names).
 */
function crossFieldProblems(input: unknown): string[] {
  const recipe = (input ?? {}) as {
    instanceType?: unknown;
    test?: { instanceType?: unknown };
    base?: { describe?: { architecture?: unknown }; ssmParameter?: unknown };
  };
  const problems: string[] = [];
  if (recipe.base !== null && typeof recipe.base === 'object' && !Array.isArray(recipe.base)) {
    const present = (['describe', 'ssmParameter'] as const).filter((k) => recipe.base?.[k] !== undefined);
    if (present.length !== 1) {
      problems.push(
        `base must set exactly one of describe or ssmParameter, got ${present.length === 0 ? 'neither' : present.join(' and ')}`,
      );
    }
  }
  const architecture = baseArchitecture(recipe.base);
  if (!architecture) return problems;
  const types = [
    ['instanceType', recipe.instanceType],
    ['test.instanceType', recipe.test?.instanceType],
  ] as const;
  for (const [field, type] of types) {
    if (typeof type !== 'string') continue;
    for (const problem of instanceTypeProblems(type, architecture.name)) {
      problems.push(`${field === 'instanceType' ? '' : 'test.'}${problem}${architecture.why}`);
    }
  }
  return problems;
}

/** The architecture of a described base, or the one an SSM parameter's path names. */
function baseArchitecture(
  base: { describe?: { architecture?: unknown }; ssmParameter?: unknown } | undefined,
) {
  if (base?.describe) {
    const name =
      typeof base.describe.architecture === 'string'
        ? base.describe.architecture
        : RECIPE_DEFAULTS.architecture;
    return { name, why: '' };
  }
  if (typeof base?.ssmParameter !== 'string') return undefined;
  const named = parameterArchitecture(base.ssmParameter);
  return named ? { name: named, why: ` (its parameter ${base.ssmParameter} names ${named})` } : undefined;
}

function recipeLabel(input: unknown, position: number): string {
  const name = (input as { name?: unknown } | null)?.name;
  return typeof name === 'string' && name !== '' ? `"${name}"` : `#${position + 1}`;
}

/** The document form of a recipe (what the stack stores), the inverse of parsing. */
export function recipeToDocument(recipe: Recipe): Record<string, unknown> {
  const { base, releaseTopic, script, test, ...rest } = recipe;
  const { script: testScript, ...testRest } = test;
  const document: Record<string, unknown> = {
    ...rest,
    script: scriptUri(script),
    test: { ...testRest, ...(testScript ? { script: scriptUri(testScript) } : {}) },
  };
  document.base = {
    ...(base.kind === 'ssm'
      ? { ssmParameter: base.parameter }
      : {
          describe: {
            owners: base.owners,
            name: base.name,
            architecture: base.architecture,
            filters: Object.fromEntries(base.filters.map((f) => [f.name, f.values])),
            includeDeprecated: base.includeDeprecated,
          },
        }),
    ...(releaseTopic !== undefined ? { releaseTopic } : {}),
  };
  return document;
}
