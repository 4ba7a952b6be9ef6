import { readdirSync } from 'node:fs';
import { expect } from 'chai';
import { PROJECT_ROOT } from '../../../scripts/bundle-functions';
import { integrationGroups } from '../../../scripts/run-test-layers';

describe("npm test's integration groups", () => {
  const files = readdirSync(`${PROJECT_ROOT}/test/integration`).filter((f) => f.endsWith('.test.ts'));

  it('runs every integration file in exactly one of the two groups', () => {
    const [first, second] = integrationGroups(files);
    expect([...first, ...second].sort()).to.deep.equal([...files].sort());
    expect(first.filter((f) => second.includes(f))).to.deep.equal([]);
  });

  it('runs a file it has no cost for, and keeps the groups apart by cost', () => {
    const [first, second] = integrationGroups(['trust.test.ts', 'bake-cycle.test.ts', 'new.test.ts']);
    expect(first).to.deep.equal(['bake-cycle.test.ts', 'new.test.ts']);
    expect(second).to.deep.equal(['trust.test.ts']);
  });
});
