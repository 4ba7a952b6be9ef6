import { expect } from 'chai';
import type { BuildRecord } from '../../../functions/shared/build-record';
import {
  type CandidateFacts,
  type CandidatePlan,
  planCandidateAfterFailedTests,
  planPromotion,
} from '../../../functions/shared/plan-promotion';
import { expiredTestImages } from '../../../functions/shared/plan-retention';

const build = (day: number, fields: Partial<BuildRecord> = {}): BuildRecord =>
  ({
    buildId: `ecs-202611${String(day).padStart(2, '0')}060000-abcdef`,
    recipeName: 'ecs',
    status: 'succeeded',
    imageId: `ami-00000000000000${String(day).padStart(3, '0')}`,
    finishedAt: `2026-11-${String(day).padStart(2, '0')}T07:00:00Z`,
    test: { requestedAt: `2026-11-${String(day).padStart(2, '0')}T06:30:00Z`, outcome: 'passed' },
    ...fields,
  }) as BuildRecord;

const first = build(10);
const second = build(11, { test: { requestedAt: '2026-11-11T06:30:00Z', outcome: 'boot-only' } });
const failed = build(12, {
  status: 'failed',
  errorCode: 'TestsFailed',
  test: { requestedAt: '2026-11-12T06:30:00Z', outcome: 'failed' },
});
const third = build(13);
const builds = [third, failed, first, second];
const all = new Set(builds.map((b) => b.imageId as string));

describe('planPromotion', () => {
  const facts = (published: string | undefined, existing: ReadonlySet<string> = all) => ({
    recipe: 'ecs',
    builds,
    published,
    existing,
  });

  it('rolls back to the tested image published before the current one, skipping failed and retired ones', () => {
    expect(planPromotion(facts(third.imageId), { kind: 'rollback' })).to.deep.include({
      build: second,
      imageId: second.imageId,
      from: third.imageId,
    });
    const retired = new Set([first.imageId as string, third.imageId as string]);
    expect(planPromotion(facts(third.imageId, retired), { kind: 'rollback' })).to.deep.include({
      build: first,
    });
    expect(planPromotion(facts(first.imageId), { kind: 'rollback' })).to.deep.equal({
      refused: `no tested image of "ecs" older than ${first.imageId} still exists: nothing to roll back to`,
    });
    expect(planPromotion(facts('ami-0fffffffffffffff0'), { kind: 'rollback' })).to.deep.equal({
      refused:
        'the published channel holds ami-0fffffffffffffff0, which no succeeded build of "ecs" made: promote a build by its id instead',
    });
  });

  it('promotes a named succeeded build, and refuses one that failed its tests, is unknown, or was retired', () => {
    expect(planPromotion(facts(third.imageId), { kind: 'promote', buildId: first.buildId })).to.deep.include({
      build: first,
      from: third.imageId,
    });
    expect(planPromotion(facts(third.imageId), { kind: 'promote', buildId: failed.buildId })).to.deep.equal({
      refused: `build ${failed.buildId} failed its tests (TestsFailed): an image that failed its tests is never published`,
    });
    expect(
      planPromotion(facts(third.imageId), { kind: 'promote', buildId: 'web-20261101060000-abcdef' }),
    ).to.deep.equal({
      refused: 'build web-20261101060000-abcdef is not a build of recipe "ecs": see npx amibake history ecs',
    });
    const retired = new Set([third.imageId as string]);
    expect(
      planPromotion(facts(third.imageId, retired), { kind: 'promote', buildId: first.buildId }),
    ).to.have.property(
      'refused',
      `the image of build ${first.buildId}, ${first.imageId}, was retired (deregistered): promote a build whose image still exists (npx amibake history ecs)`,
    );
    expect(planPromotion(facts(third.imageId), { kind: 'promote', buildId: third.buildId })).to.deep.equal({
      refused: `the published channel already holds ${third.imageId} (build ${third.buildId})`,
    });
  });
});

describe('expiredTestImages', () => {
  it('lists the images of failed tests past their examination deadline, never the candidate', () => {
    const now = new Date('2026-11-20T00:00:00Z');
    const failedOn = (day: number, until: string) =>
      build(day, { status: 'failed', test: { requestedAt: '', outcome: 'failed', examineUntil: until } });
    const expired = failedOn(1, '2026-11-08T00:00:00Z');
    const examined = failedOn(2, '2026-11-25T00:00:00Z');
    const candidate = failedOn(3, '2026-11-09T00:00:00Z');
    expect(expiredTestImages([expired, examined, candidate, first], now, candidate.imageId)).to.deep.equal([
      expired.imageId,
    ]);
  });
});

describe('planCandidateAfterFailedTests', () => {
  const failed = 'ami-0failed';
  const cases: [string, CandidateFacts, CandidatePlan][] = [
    [
      'points the channel back at the published image',
      { failed, candidate: failed, published: 'ami-0tested' },
      { kind: 'point', imageId: 'ami-0tested' },
    ],
    [
      'removes it when nothing was ever published',
      { failed, candidate: failed, published: undefined },
      { kind: 'remove' },
    ],
    [
      'removes it when the published channel somehow holds the failed image too',
      { failed, candidate: failed, published: failed },
      { kind: 'remove' },
    ],
    [
      "leaves a newer build's candidate alone",
      { failed, candidate: 'ami-0newer', published: 'ami-0tested' },
      { kind: 'keep', reason: `it holds ami-0newer, not ${failed}` },
    ],
    [
      'leaves a channel that holds nothing alone',
      { failed, candidate: undefined, published: 'ami-0tested' },
      { kind: 'keep', reason: `it holds nothing, not ${failed}` },
    ],
  ];
  for (const [name, facts, plan] of cases) {
    it(name, () => expect(planCandidateAfterFailedTests(facts)).to.deep.equal(plan));
  }
});
