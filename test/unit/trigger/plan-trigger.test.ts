import { expect } from 'chai';
import {
  afterInvoke,
  afterRecording,
  type Candidate,
  dueDecision,
  pendingBuild,
  planBuilds,
  planCandidates,
  type ScriptIdentity,
} from '../../../functions/ami-build-trigger/plan-trigger';
import type { BaseResolution } from '../../../functions/ami-build-trigger/resolve-bases';
import { type BuildStatus, isDue } from '../../../functions/shared/build-record';
import { parseRecipe, type Recipe } from '../../../functions/shared/recipe';
import { recipeHash, selectorKey } from '../../../functions/shared/recipe-hash';

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

describe('planCandidates', () => {
  const options = { scripts: 's3', deployment: 'amibake' } as const;
  const described = (name: string, script = 's3://bucket-name/scripts/a.sh'): Recipe =>
    parseRecipe({ name, base: { describe: { name: `${name}-*` } }, script }, options);
  const ssm = (name: string, parameter: string): Recipe =>
    parseRecipe(
      { name, base: { ssmParameter: parameter }, script: 's3://bucket-name/scripts/a.sh' },
      options,
    );
  const pin = { sha256: 'b'.repeat(64), versionId: 'v1' };
  const script: ScriptIdentity = { ok: true, identity: 'version:v1', pin };
  const base = (imageId: string, architecture = 'x86_64', imageName?: string): BaseResolution => ({
    ok: true,
    imageId,
    architecture,
    ...(imageName ? { imageName } : {}),
  });

  it('makes a candidate of each recipe whose base and script are known, with its content hash and pin', () => {
    const recipe = described('web');
    const plan = planCandidates({
      recipes: [recipe],
      rejected: [],
      bases: new Map([[selectorKey(recipe.base), base('ami-0123', 'x86_64', 'web-2026')]]),
      scripts: new Map([['s3://bucket-name/scripts/a.sh', script]]),
    });
    expect(plan.decisions).to.deep.equal([]);
    expect(plan.candidates).to.deep.equal([
      {
        recipe,
        baseImageId: 'ami-0123',
        baseImageName: 'web-2026',
        recipeHash: recipeHash(recipe, 'version:v1'),
        script: pin,
      },
    ]);
  });

  it('passes rejected recipes through as invalid, and skips those whose base or script is not known', () => {
    const [a, b, c] = [described('a'), described('b', 's3://bucket-name/scripts/gone.sh'), described('c')];
    const plan = planCandidates({
      recipes: [a, b, c],
      rejected: [{ name: 'typo', problems: ['recipe "typo": instanceTyp is not a known field', 'x'] }],
      bases: new Map([
        [selectorKey(a.base), { ok: false, reason: 'no image matches a-*' }],
        [selectorKey(b.base), base('ami-b')],
      ]),
      scripts: new Map<string, ScriptIdentity>([
        ['s3://bucket-name/scripts/a.sh', script],
        ['s3://bucket-name/scripts/gone.sh', { ok: false, reason: 'script gone.sh does not exist' }],
      ]),
    });
    expect(plan.candidates).to.deep.equal([]);
    expect(plan.decisions).to.deep.equal([
      { recipe: 'typo', decision: 'invalid', reason: 'recipe "typo": instanceTyp is not a known field; x' },
      { recipe: 'a', decision: 'skipped', reason: 'no image matches a-*' },
      { recipe: 'b', decision: 'skipped', reason: 'script gone.sh does not exist' },
      { recipe: 'c', decision: 'skipped', reason: 'base image or script not resolved' },
    ]);
  });

  it('refuses an instance type of the other architecture than the base a parameter named', () => {
    const recipe = ssm('arm', '/vendor/base');
    const plan = planCandidates({
      recipes: [recipe],
      rejected: [],
      bases: new Map([[selectorKey(recipe.base), base('ami-arm', 'arm64')]]),
      scripts: new Map([['s3://bucket-name/scripts/a.sh', script]]),
    });
    expect(plan.candidates).to.deep.equal([]);
    expect(plan.decisions).to.have.length(1);
    expect(plan.decisions[0]).to.include({ recipe: 'arm', decision: 'invalid' });
    expect(plan.decisions[0]?.reason).to.equal(
      'recipe "arm": instanceType "t3.small" runs x86_64 but the base is arm64: choose an arm64 type such as t4g.small, m7g.large, or a base of the other architecture (base ami-arm)',
    );
  });
});

describe('starting a build', () => {
  const due = candidate('web');

  it('records the candidate as it was planned: base, content hash and script pin', () => {
    const now = new Date('2026-11-30T06:30:00Z');
    expect(pendingBuild({ ...due, baseImageName: 'vendor-base' }, now, 'abc123')).to.deep.equal({
      buildId: 'web-20261130063000-abc123',
      recipeName: 'web',
      recipeHash: 'h',
      recipe: due.recipe,
      baseImageId: 'ami-1',
      baseImageName: 'vendor-base',
      script: { sha256: 'a'.repeat(64) },
      status: 'pending',
      createdAt: '2026-11-30T06:30:00.000Z',
      updatedAt: '2026-11-30T06:30:00.000Z',
    });
  });

  it('launches a recorded build, defers at the limit and leaves a build another run started', () => {
    const facts = { recipe: 'web', baseImageId: 'ami-1', recipeHash: 'h' };
    expect(afterRecording(due, 'started', 5)).to.deep.equal({ kind: 'invoke' });
    expect(afterRecording(due, 'limit-reached', 5)).to.deep.equal({
      kind: 'defer',
      decision: { ...facts, decision: 'deferred', reason: '5 builds already in flight' },
    });
    expect(afterRecording(due, 'already-started', 5)).to.deep.equal({
      kind: 'done',
      decision: { ...facts, decision: 'not-due', reason: 'another trigger run started this build' },
    });
  });

  it('reports a build started, or skipped with the invoke error', () => {
    const facts = { recipe: 'web', baseImageId: 'ami-1', recipeHash: 'h', buildId: 'web-1' };
    expect(afterInvoke(due, 'web-1')).to.deep.equal({
      ...facts,
      decision: 'started',
      reason: 'new base image or recipe change',
    });
    expect(afterInvoke(due, 'web-1', 'could not invoke f: AccessDenied')).to.deep.equal({
      ...facts,
      decision: 'skipped',
      reason: 'could not invoke f: AccessDenied',
    });
  });

  it('says a due build is a retry when the last build of its base and hash failed or timed out', () => {
    const plan = planBuilds([due], () => 'failed');
    expect(plan.due.map((c) => c.retrying)).to.deep.equal(['failed']);
    expect(afterInvoke(plan.due[0] ?? due, 'web-1').reason).to.equal(
      'the last build of this base and recipe hash failed: retried',
    );
    const timedOut = planBuilds([due], () => 'timed_out').due[0] ?? due;
    expect(dueDecision(timedOut)).to.deep.include({
      decision: 'due',
      reason:
        'the last build of this base and recipe hash timed out: retried (subject to the in-flight limit)',
    });
    expect(dueDecision(planBuilds([due], () => undefined).due[0] ?? due).reason).to.equal(
      'new base image or recipe change (subject to the in-flight limit)',
    );
  });
});
