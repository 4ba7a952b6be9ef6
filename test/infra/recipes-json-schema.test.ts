import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { expect } from 'chai';
import { config as sampleConfig } from '../../amibake.config';
import { resolveDeployment } from '../../deployment/model';
import { RECIPES_JSON_SCHEMA_PATH, recipesJsonSchema } from '../../deployment/recipes-json-schema';
import { PROJECT_ROOT } from '../../scripts/bundle-functions';

const committed = JSON.parse(readFileSync(join(PROJECT_ROOT, RECIPES_JSON_SCHEMA_PATH), 'utf-8'));
const ajv = new Ajv({ allErrors: true }).addSchema(committed, 'recipes');
const validator: ValidateFunction = ajv.compile({ $ref: 'recipes' });
const storedValidator: ValidateFunction = ajv.compile({ $ref: 'recipes#/definitions/document' });
const errorsWith =
  (validate: ValidateFunction) =>
  (document: unknown): string[] =>
    validate(document)
      ? []
      : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
const errorsOf = errorsWith(validator);
const storedErrorsOf = errorsWith(storedValidator);

const recipe = {
  name: 'ecs-node',
  base: { describe: { name: 'al2023-ami-ecs-hvm-*-x86_64' } },
  script: 'user_data/ecs-node.sh',
};

describe('schema/recipes.schema.json', () => {
  it('is what the recipe schema generates (npm run schema rewrites it)', () => {
    expect(committed).to.deep.equal(recipesJsonSchema());
  });

  it('accepts the sample recipes and the document the stack stores', () => {
    expect(errorsOf({ recipes: sampleConfig.recipes })).to.deep.equal([]);
    const deployment = resolveDeployment(sampleConfig, { projectRoot: PROJECT_ROOT, bucket: 'a-bucket' });
    expect(storedErrorsOf(JSON.parse(deployment.recipesDocument))).to.deep.equal([]);
  });

  it('checks the stored document by recipe name, each recipe as a file does', () => {
    const stored = (recipes: Record<string, unknown>) => ({ version: 2, recipes });
    const { name, ...unnamed } = recipe;
    expect(storedErrorsOf(stored({ [name]: unnamed }))).to.deep.equal([]);
    expect(storedErrorsOf(stored({ [name]: { ...unnamed, instanceTyp: 't3.large' } }))).to.deep.equal([
      '/recipes/ecs-node must NOT have additional properties {"additionalProperty":"instanceTyp"}',
    ]);
    expect(storedErrorsOf(stored({ 'Not A Name': unnamed })).join('\n')).to.match(
      /property name must be valid/,
    );
    expect(storedErrorsOf({ version: 1, recipes: [recipe] })).to.not.deep.equal([]);
  });

  it('names a misspelt field, a value of the wrong shape and a missing or doubled selector', () => {
    expect(errorsOf({ recipes: [{ ...recipe, instanceTyp: 't3.large' }] })).to.deep.equal([
      '/recipes/0 must NOT have additional properties {"additionalProperty":"instanceTyp"}',
    ]);
    expect(errorsOf({ recipes: [{ ...recipe, securityGroupIds: ['default'] }] })[0]).to.match(
      /^\/recipes\/0\/securityGroupIds\/0 must match pattern "\^sg-/,
    );
    expect(errorsOf({ recipes: [{ ...recipe, timeoutMinutes: 1000 }] })).to.deep.equal([
      '/recipes/0/timeoutMinutes must be <= 720 {"comparison":"<=","limit":720}',
    ]);
    expect(errorsOf({ recipes: [{ ...recipe, base: {} }] })).to.include(
      '/recipes/0/base must match exactly one schema in oneOf {"passingSchemas":null}',
    );
    expect(errorsOf({ recipes: [{ ...recipe, hygiene: { keep: ['ssh-keys'] } }] })[0]).to.match(
      /^\/recipes\/0\/hygiene\/keep\/0 must be equal to one of the allowed values/,
    );
  });

  it('describes every recipe field, with its default where it has one', () => {
    const undescribed: string[] = [];
    const walk = (node: Record<string, unknown>, path: string) => {
      const properties = (node.properties ?? {}) as Record<string, Record<string, unknown>>;
      for (const [key, field] of Object.entries(properties)) {
        if (typeof field.description !== 'string' && field.type !== 'object')
          undescribed.push(`${path}${key}`);
        walk(field, `${path}${key}.`);
      }
    };
    const definition = committed.definitions.recipe;
    walk(definition, '');
    expect(undescribed).to.deep.equal([]);
    expect(definition.properties.timeoutMinutes.default).to.equal(60);
    expect(definition.properties.test.properties.keepFailedDays.default).to.equal(7);
  });
});
