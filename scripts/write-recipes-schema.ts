import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RECIPES_JSON_SCHEMA_PATH, recipesJsonSchema } from '../deployment/recipes-json-schema';
import { PROJECT_ROOT } from './bundle-functions';

/** `npm run schema`: writes schema/recipes.schema.json from the recipe schema (a test fails when it is stale). */
writeFileSync(
  join(PROJECT_ROOT, RECIPES_JSON_SCHEMA_PATH),
  `${JSON.stringify(recipesJsonSchema(), null, 2)}\n`,
);
console.log(`wrote ${RECIPES_JSON_SCHEMA_PATH}`);
