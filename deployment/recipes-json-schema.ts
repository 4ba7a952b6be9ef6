import { toJsonSchema } from '@valibot/to-json-schema';
import { RECIPES_DOCUMENT_VERSION } from '../functions/shared/aws/recipe-store';
import { recipeSchema } from '../functions/shared/recipe-schema';

/** Where the generated schema is kept, relative to the project root. */
export const RECIPES_JSON_SCHEMA_PATH = 'schema/recipes.schema.json';

/**
 * The JSON Schema of recipes kept outside TypeScript (a recipes file `{"recipes": [...]}`, one
 * DynamoDB item: `#/definitions/recipe`; the document the stack stores in S3, keyed by recipe
 * name: `#/definitions/document`), generated from the recipe schema. It
 * gives editors completion and the field checks JSON Schema can express; synth still runs the
 * full checks (instance types, AMI name templates, tags), which are described, not encoded.
 */
export function recipesJsonSchema(): Record<string, unknown> {
  const recipe = toJsonSchema(recipeSchema({ scripts: 'file-or-s3', deployment: 'amibake' }), {
    typeMode: 'input',
    // The checks written as functions are described by the metadata beside them.
    ignoreActions: ['check', 'raw_check'],
    overrideSchema: ({ valibotSchema }) => (valibotSchema.type === 'custom' ? {} : undefined),
  });
  const { $schema, ...definition } = recipe;
  const { name, ...storedProperties } = (definition.properties ?? {}) as Record<string, unknown>;
  return {
    $schema,
    title: 'amibake recipes',
    description:
      'A list of amibake recipes: docs/recipes.md says what each field does. amibake.config.ts is checked by the TypeScript compiler instead.',
    type: 'object',
    required: ['recipes'],
    additionalProperties: false,
    properties: {
      $schema: { type: 'string' },
      version: { const: 1, description: 'A document stored by an earlier stack.' },
      recipes: { type: 'array', items: { $ref: '#/definitions/recipe' } },
    },
    definitions: {
      recipe: { title: 'recipe', ...definition },
      document: {
        title: 'the recipes document the stack stores',
        type: 'object',
        required: ['version', 'recipes'],
        additionalProperties: false,
        properties: {
          version: { const: RECIPES_DOCUMENT_VERSION },
          recipes: {
            type: 'object',
            description: 'Each recipe under its name.',
            propertyNames: name,
            additionalProperties: {
              ...definition,
              title: 'stored recipe',
              properties: storedProperties,
              required: ((definition.required ?? []) as string[]).filter((f) => f !== 'name'),
            },
          },
        },
      },
    },
  };
}
