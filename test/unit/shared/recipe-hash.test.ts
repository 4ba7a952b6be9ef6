import { expect } from 'chai';
import { parseRecipe } from '../../../functions/shared/recipe';
import { recipeHash, selectorKey } from '../../../functions/shared/recipe-hash';

const base = {
  name: 'ecs',
  base: {
    describe: { name: 'al2023-*', filters: { 'virtualization-type': ['hvm'], 'root-device-type': ['ebs'] } },
  },
  script: 's3://bucket-name/scripts/a.sh',
};
const parse = (input: object) => parseRecipe(input, { scripts: 's3', deployment: 'amibake' });

describe('recipeHash', () => {
  it('is stable for equal recipes whatever the key order', () => {
    const reordered = { script: base.script, base: base.base, name: base.name };
    expect(recipeHash(parse(base), 'sha256:1')).to.equal(recipeHash(parse(reordered), 'sha256:1'));
  });

  it('changes when the script changes', () => {
    expect(recipeHash(parse(base), 'sha256:1')).not.to.equal(recipeHash(parse(base), 'sha256:2'));
  });

  it('changes when any recipe field changes', () => {
    expect(recipeHash(parse(base), 'x')).not.to.equal(
      recipeHash(parse({ ...base, instanceType: 'm7i.large' }), 'x'),
    );
    expect(recipeHash(parse(base), 'x')).not.to.equal(recipeHash(parse({ ...base, tags: { a: 'b' } }), 'x'));
  });
});

describe('selectorKey', () => {
  it('is equal for selectors that differ only in order of filters', () => {
    const swapped = {
      ...base,
      name: 'other',
      base: {
        describe: {
          name: 'al2023-*',
          filters: { 'root-device-type': ['ebs'], 'virtualization-type': ['hvm'] },
        },
      },
    };
    expect(selectorKey(parse(base).base)).to.equal(selectorKey(parse(swapped).base));
  });

  it('differs for different globs', () => {
    const other = { ...base, base: { describe: { name: 'al2-*' } } };
    expect(selectorKey(parse(base).base)).not.to.equal(selectorKey(parse(other).base));
  });
});
