import { expect } from 'chai';
import { type Candidate, planBuilds } from '../../../functions/ami-build-trigger/plan-builds';
import { type BuildStatus, isDue } from '../../../functions/shared/build-record';
import { parseRecipe } from '../../../functions/shared/recipe';

const recipe = (name: string) =>
  parseRecipe(
    { name, base: { ssmParameter: '/vendor/latest' }, script: 's3://bucket-name/scripts/a.sh' },
    { scripts: 's3', deployment: 'amibake' },
  );
const candidate = (name: string): Candidate => ({
  recipe: recipe(name),
  baseImageId: 'ami-1',
  recipeHash: 'h',
  script: { sha256: 'a'.repeat(64) },
});

describe('isDue', () => {
  it('is due when the triple was never built, or its last build failed or timed out', () => {
    expect([undefined, 'failed', 'timed_out'].map((s) => isDue(s as BuildStatus | undefined))).to.deep.equal([
      true,
      true,
      true,
    ]);
  });

  it('is not due when a build succeeded or is in flight', () => {
    const statuses: BuildStatus[] = ['succeeded', 'pending', 'building', 'imaging'];
    expect(statuses.map(isDue)).to.deep.equal([false, false, false, false]);
  });
});

describe('planBuilds', () => {
  it('splits candidates into due and not due, keeping the recipes order', () => {
    const statuses: Record<string, BuildStatus> = { b: 'succeeded', c: 'failed', d: 'building' };
    const plan = planBuilds(['a', 'b', 'c', 'd'].map(candidate), (c) => statuses[c.recipe.name]);
    expect(plan.due.map((c) => c.recipe.name)).to.deep.equal(['a', 'c']);
    expect(plan.notDue.map((n) => [n.candidate.recipe.name, n.status])).to.deep.equal([
      ['b', 'succeeded'],
      ['d', 'building'],
    ]);
  });
});
