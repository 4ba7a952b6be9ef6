import { expect } from 'chai';
import type { BuildRecord } from '../../../functions/shared/build-record';
import { type PromotionRequest, planPromotion } from '../../../functions/shared/plan-promotion';
import { planRetention, type RetentionFacts } from '../../../functions/shared/plan-retention';

/**
 * Retention and promotion over every small history: three builds (for promotion, each of which
 * passed, passed with its image since retired, or failed its tests); every image of them, or
 * another, in each channel; every image in use or not. Each plan is checked against what the channels and
 * consumers are promised: a published, candidate or used image is never retired, nothing outside
 * the builds' images is planned, and the channel only ever gets a tested image that still exists.
 */

type Kind = 'passed' | 'retired' | 'failed tests';
const KINDS: Kind[] = ['passed', 'retired', 'failed tests'];

const day = (n: number) => `2026-11-${String(10 + n).padStart(2, '0')}`;
function build(n: number, kind: Kind): BuildRecord {
  // The plans read neither the recipe nor the base: the record holds what they do read.
  const record: Omit<BuildRecord, 'recipe'> = {
    buildId: `ecs-${day(n).replaceAll('-', '')}060000-00000${n}`,
    recipeName: 'ecs',
    recipeHash: '0123456789abcdef',
    baseImageId: 'ami-base',
    status: kind === 'failed tests' ? 'failed' : 'succeeded',
    ...(kind === 'failed tests' ? { errorCode: 'TestsFailed' } : {}),
    imageId: `ami-${n}`,
    copies: { 'eu-west-1': `ami-w${n}` },
    createdAt: `${day(n)}T06:00:00.000Z`,
    updatedAt: `${day(n)}T07:00:00.000Z`,
    finishedAt: `${day(n)}T07:00:00.000Z`,
    test: { requestedAt: `${day(n)}T06:30:00.000Z`, outcome: kind === 'failed tests' ? 'failed' : 'passed' },
  };
  return record as BuildRecord;
}

describe('planRetention: every small history', () => {
  const images = ['ami-0', 'ami-1', 'ami-2'];
  const channels = [undefined, ...images, 'ami-other'];
  it('keeps the newest, retires only older images no channel or consumer holds, and plans nothing else', () => {
    let cases = 0;
    for (const keep of [1, 2]) {
      for (const published of channels) {
        for (const candidate of channels) {
          for (const used of [undefined, ...images]) {
            const succeeded = [build(0, 'passed'), build(1, 'passed'), build(2, 'passed')];
            const inUse = new Map(used ? [[used, 'instance i-1 runs it']] : []);
            const facts: RetentionFacts = {
              builds: [...succeeded].reverse(),
              region: 'us-east-1',
              homeRegion: 'us-east-1',
              published,
              candidate,
              inUse,
            };
            const plan = planRetention(facts, keep);
            const where = JSON.stringify({ keep, published, candidate, used });
            const planned = [...plan.kept, ...plan.retire, ...plan.skipped.map((s) => s.imageId)];
            // Each image of the builds exactly once, and nothing else.
            expect(planned, where).to.have.members(images);
            // The newest `keep` by their end are kept.
            expect(plan.kept, where).to.deep.equal(['ami-2', 'ami-1', 'ami-0'].slice(0, keep));
            for (const held of [published, candidate, used]) {
              if (held) expect(plan.retire, where).to.not.include(held);
            }
            for (const { imageId, reason } of plan.skipped) {
              expect([published, candidate, used], where).to.include(imageId);
              expect(reason, where).to.be.a('string').and.not.equal('');
            }
            cases++;
          }
        }
      }
    }
    expect(cases).to.equal(2 * 5 * 5 * 4);
  });

  it('plans the copies of a region by the same builds, and only copies those builds made', () => {
    const builds = [build(2, 'passed'), build(0, 'passed'), { ...build(1, 'passed'), copies: {} }];
    const plan = planRetention(
      { builds, region: 'eu-west-1', homeRegion: 'us-east-1', published: undefined, inUse: new Map() },
      1,
    );
    expect(plan).to.deep.equal({ kept: ['ami-w2'], retire: ['ami-w0'], skipped: [] });
  });
});

describe('planPromotion: every small history', () => {
  /** A history's builds with the images that still exist: a retired build's image is gone. */
  const scenarios = KINDS.flatMap((a) =>
    KINDS.flatMap((b) =>
      KINDS.map((c) => {
        const kinds = [a, b, c];
        const history = kinds.map((k, n) => build(n, k));
        const existing = new Set(
          history.filter((_, n) => kinds[n] !== 'retired').map((h) => h.imageId as string),
        );
        return { kinds, history, existing };
      }),
    ),
  );
  const channels = [undefined, 'ami-0', 'ami-1', 'ami-2', 'ami-other'];
  const requests: PromotionRequest[] = [
    { kind: 'rollback' },
    ...[0, 1, 2].map((n): PromotionRequest => ({ kind: 'promote', buildId: build(n, 'passed').buildId })),
    { kind: 'promote', buildId: 'ecs-20261101060000-00000f' },
  ];
  /** What may be published: a build that succeeded, passed its tests, and whose image still exists. */
  const publishable = (kinds: Kind[], n: number) => kinds[n] === 'passed';

  it('gives the channel only a tested image that still exists, and refuses anything else with a reason', () => {
    let cases = 0;
    for (const { kinds, history, existing } of scenarios) {
      for (const published of channels) {
        for (const request of requests) {
          const plan = planPromotion(
            { recipe: 'ecs', builds: [...history].reverse(), published, existing },
            request,
          );
          const where = `${kinds.join(', ')}; channel ${published ?? 'empty'}; ${request.kind}${'buildId' in request ? ` ${request.buildId}` : ''}`;
          const current = history.findIndex((b) => b.imageId === published && b.status === 'succeeded');
          let expected: number | undefined;
          if (request.kind === 'promote') {
            const n = history.findIndex((b) => b.buildId === request.buildId);
            expected = n >= 0 && publishable(kinds, n) && history[n]?.imageId !== published ? n : undefined;
          } else if (current >= 0) {
            // The newest publishable build that ended before the one the channel holds.
            expected = [0, 1, 2].filter((n) => n < current && publishable(kinds, n)).at(-1);
          }
          if (expected === undefined) {
            expect(plan, where).to.have.property('refused').that.is.a('string').with.length.above(20);
          } else {
            expect(plan, where).to.deep.include({ imageId: `ami-${expected}`, from: published });
          }
          cases++;
        }
      }
    }
    expect(cases).to.equal(27 * 5 * 5);
  });
});
