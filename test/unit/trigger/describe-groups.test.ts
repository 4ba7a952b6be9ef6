import { expect } from 'chai';
import { describeGroups } from '../../../functions/ami-build-trigger/resolve-bases';
import { globToRegExp } from '../../../functions/shared/glob';
import { type BaseSelector, parseRecipe } from '../../../functions/shared/recipe';
import { selectorKey } from '../../../functions/shared/recipe-hash';

const selector = (describe: object): BaseSelector =>
  parseRecipe(
    { name: 'r', base: { describe }, script: 's3://b-1/k' },
    { scripts: 's3', deployment: 'amibake' },
  ).base;
const keyed = (selectors: BaseSelector[]) => new Map(selectors.map((s) => [selectorKey(s), s]));

describe('describeGroups', () => {
  it('groups selectors that differ only in their name glob', () => {
    const groups = describeGroups(
      keyed([
        selector({ name: 'a-*' }),
        selector({ name: 'b-*' }),
        selector({ name: 'c-*', architecture: 'arm64' }),
      ]),
    );
    expect(groups.map((g) => g.map(([, s]) => (s.kind === 'describe' ? s.name : '')))).to.deep.equal([
      ['a-*', 'b-*'],
      ['c-*'],
    ]);
  });

  it('keeps selectors with other owners apart', () => {
    expect(
      describeGroups(keyed([selector({ name: 'a-*' }), selector({ name: 'a-*', owners: ['self'] })])),
    ).to.have.length(2);
  });

  it('splits a group at the 200 values a filter takes', () => {
    const many = Array.from({ length: 450 }, (_, i) => selector({ name: `n${i}-*` }));
    expect(describeGroups(keyed(many)).map((g) => g.length)).to.deep.equal([200, 200, 50]);
  });
});

describe('globToRegExp', () => {
  it('matches EC2 name globs', () => {
    const glob = globToRegExp('al2023-ami-ecs-hvm-*-kernel-6.1-x86_64');
    expect(glob.test('al2023-ami-ecs-hvm-2023.0.20260226-kernel-6.1-x86_64')).to.equal(true);
    expect(glob.test('al2023-ami-ecs-hvm-2023.0.20260226-kernel-6.1-arm64')).to.equal(false);
    expect(globToRegExp('a?c').test('abc')).to.equal(true);
    expect(globToRegExp('a.c').test('abc')).to.equal(false);
  });
});
