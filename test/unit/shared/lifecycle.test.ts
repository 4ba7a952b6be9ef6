import { expect } from 'chai';
import type { BuildRecord } from '../../../functions/shared/build-record';
import { buildNotification } from '../../../functions/shared/notification';
import { planRetention } from '../../../functions/shared/plan-retention';
import { parseRecipe } from '../../../functions/shared/recipe';

/** A succeeded build that published `imageId` at home and `copy` in eu-west-1, ending at `finished`. */
const build = (n: number, finished: string, copy?: string) => ({
  buildId: `ecs-2026110${n}000000-00000${n}`,
  imageId: `ami-${n}`,
  copies: { 'us-east-1': `ami-${n}`, ...(copy ? { 'eu-west-1': copy } : {}) },
  createdAt: `2026-11-0${n}T00:00:00.000Z`,
  finishedAt: finished,
});

describe('planRetention', () => {
  const builds = [
    build(1, '2026-11-01T01:00:00.000Z', 'ami-w1'),
    build(3, '2026-11-03T01:00:00.000Z', 'ami-w3'),
    build(2, '2026-11-02T01:00:00.000Z', 'ami-w2'),
    build(0, '2026-10-31T01:00:00.000Z', 'ami-w0'),
  ];
  const home = { builds, region: 'us-east-1', homeRegion: 'us-east-1', published: 'ami-3', inUse: new Map() };

  it("keeps the newest builds' images and retires the older ones", () => {
    const plan = planRetention(home, 2);
    expect(plan.kept).to.deep.equal(['ami-3', 'ami-2']);
    expect(plan.retire).to.deep.equal(['ami-1', 'ami-0']);
  });

  it('plans the copies of a region by the same builds', () => {
    const plan = planRetention({ ...home, region: 'eu-west-1', published: 'ami-w3' }, 2);
    expect(plan.kept).to.deep.equal(['ami-w3', 'ami-w2']);
    expect(plan.retire).to.deep.equal(['ami-w1', 'ami-w0']);
  });

  it('skips an image in use, with the reason', () => {
    const plan = planRetention({ ...home, inUse: new Map([['ami-1', 'instance i-1 runs it']]) }, 2);
    expect(plan.retire).to.deep.equal(['ami-0']);
    expect(plan.skipped).to.deep.equal([{ imageId: 'ami-1', reason: 'instance i-1 runs it' }]);
  });

  it('never retires the image the parameter points at', () => {
    const plan = planRetention({ ...home, published: 'ami-0' }, 1);
    expect(plan.kept).to.deep.equal(['ami-3']);
    expect(plan.retire).to.deep.equal(['ami-2', 'ami-1']);
    expect(plan.skipped).to.deep.equal([{ imageId: 'ami-0', reason: 'the parameter points at it' }]);
  });

  it('orders by when builds were published, not when they started', () => {
    // Two concurrent builds: the later-started one finished first, then the other was published.
    const concurrent = [build(1, '2026-11-05T02:00:00.000Z'), build(2, '2026-11-05T01:00:00.000Z')];
    const plan = planRetention({ ...home, builds: concurrent, published: 'ami-1' }, 1);
    expect(plan.kept).to.deep.equal(['ami-1']);
    expect(plan.retire).to.deep.equal(['ami-2']);
  });

  it('plans only what succeeded builds produced: any other image is not a candidate', () => {
    const plan = planRetention({ ...home, builds: [build(1, '2026-11-01T01:00:00.000Z')] }, 0);
    expect(plan.retire).to.deep.equal(['ami-1']);
    expect([...plan.kept, ...plan.retire, ...plan.skipped.map((s) => s.imageId)]).to.not.include('ami-3');
  });
});

describe('buildNotification', () => {
  const recipe = parseRecipe(
    { name: 'ecs', base: { describe: { name: 'al2023-*' } }, script: 's3://bucket/k.sh' },
    { scripts: 's3', deployment: 'amibake' },
  );
  const build: BuildRecord = {
    buildId: 'ecs-20261124100000-abcdef',
    recipeName: 'ecs',
    recipeHash: '0123456789abcdef',
    recipe,
    baseImageId: 'ami-base',
    status: 'imaging',
    createdAt: '2026-11-24T10:00:00.000Z',
    updatedAt: '2026-11-24T10:05:00.000Z',
    logLocation: 's3://bucket/builds/ecs-20261124100000-abcdef/build.log',
  };
  const context = { finishedAt: new Date('2026-11-24T10:42:00Z'), region: 'eu-west-1' };

  it('names the recipe, base, new image per region and duration on success', () => {
    const n = buildNotification(
      build,
      { status: 'succeeded', reason: 'image available', imageId: 'ami-new' },
      context,
    );
    expect(n.subject).to.equal('[amibake] succeeded: ecs ami-new');
    expect(n.attributes).to.deep.equal({ status: 'succeeded', recipe: 'ecs' });
    expect(JSON.parse(n.body)).to.include({ baseImageId: 'ami-base', durationMinutes: 42 });
    expect(JSON.parse(n.body).images).to.deep.equal({ 'eu-west-1': 'ami-new' });
  });

  it('gives the reason, code and log location on failure', () => {
    const n = buildNotification(
      build,
      { status: 'failed', reason: 'exit 3', errorCode: 'CustomisationFailed' },
      context,
    );
    expect(n.subject).to.equal('[amibake] failed: ecs (CustomisationFailed)');
    expect(JSON.parse(n.body)).to.include({
      reason: 'exit 3',
      errorCode: 'CustomisationFailed',
      log: build.logLocation,
    });
  });
});
