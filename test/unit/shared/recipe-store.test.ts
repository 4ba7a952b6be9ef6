import { expect } from 'chai';
import { parseRecipesDocument, recipesDocument } from '../../../functions/shared/aws/recipe-store';
import { InvalidInputError } from '../../../functions/shared/errors';

const WHERE = 's3://bucket/recipes/recipes.json';
const problemsOf = (text: string): readonly string[] => {
  try {
    parseRecipesDocument(text, WHERE);
    return [];
  } catch (error) {
    if (error instanceof InvalidInputError) return error.problems;
    throw error;
  }
};

describe('the stored recipes document', () => {
  const web = { name: 'web', script: 's3://b/web.sh', timeoutMinutes: 60 };
  const api = { name: 'api', script: 's3://b/api.sh' };

  it('keys each recipe by its name, in name order, and reads back the entries it was made of', () => {
    const document = recipesDocument([web, api]);
    expect(document).to.deep.equal({
      version: 2,
      recipes: { api: { script: 's3://b/api.sh' }, web: { script: 's3://b/web.sh', timeoutMinutes: 60 } },
    });
    expect(Object.keys(document.recipes)).to.deep.equal(['api', 'web']);
    expect(parseRecipesDocument(JSON.stringify(document), WHERE)).to.deep.equal([api, web]);
  });

  it('takes the name from the key, and passes a value that is not an object on for its own refusal', () => {
    const text = JSON.stringify({
      version: 2,
      recipes: { web: { name: 'other', script: 'x' }, bad: 'text' },
    });
    expect(parseRecipesDocument(text, WHERE)).to.deep.equal(['text', { name: 'web', script: 'x' }]);
  });

  it('still reads a version 1 document, in its order', () => {
    expect(parseRecipesDocument(JSON.stringify({ version: 1, recipes: [web, api] }), WHERE)).to.deep.equal([
      web,
      api,
    ]);
  });

  it('refuses another shape with the one it needs and the fix', () => {
    expect(problemsOf(JSON.stringify({ version: 2, recipes: [web] }))).to.deep.equal([
      `recipes document ${WHERE} must be {"version": 2, "recipes": {"<name>": {...}}}, got {"version":2,"recipes":[{"name":"web","script":"s3://b/web.sh","timeoutMinutes":: regenerate it with the stack`,
    ]);
    expect(problemsOf('{"version": 2')[0]).to.match(/is not valid JSON .*: fix the JSON$/);
  });
});
