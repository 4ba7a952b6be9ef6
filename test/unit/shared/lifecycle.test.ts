import type { Image } from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import type { BuildRecord } from '../../../functions/shared/build-record';
import { buildNotification } from '../../../functions/shared/notification';
import { planRetention } from '../../../functions/shared/plan-retention';
import { parseRecipe } from '../../../functions/shared/recipe';

const image = (id: string, created: string, state = 'available'): Image => ({
  ImageId: id,
  CreationDate: created,
  State: state as Image['State'],
});

describe('planRetention', () => {
  const images = [
    image('ami-1', '2026-11-01T00:00:00.000Z'),
    image('ami-3', '2026-11-03T00:00:00.000Z'),
    image('ami-2', '2026-11-02T00:00:00.000Z'),
    image('ami-4', '2026-11-04T00:00:00.000Z', 'pending'),
    image('ami-0', '2026-10-31T00:00:00.000Z'),
  ];

  it('keeps the newest available images and retires the older ones', () => {
    const plan = planRetention(images, 2, new Map());
    expect(plan.kept).to.deep.equal(['ami-3', 'ami-2']);
    expect(plan.retire.map((i) => i.ImageId)).to.deep.equal(['ami-1', 'ami-0']);
  });

  it('skips an image in use, with the reason', () => {
    const plan = planRetention(images, 2, new Map([['ami-1', 'instance i-1 runs it']]));
    expect(plan.retire.map((i) => i.ImageId)).to.deep.equal(['ami-0']);
    expect(plan.skipped).to.deep.equal([{ imageId: 'ami-1', reason: 'instance i-1 runs it' }]);
  });

  it('orders images of the same second by when their build started', () => {
    const tagged = (id: string, started: string): Image => ({
      ...image(id, '2026-11-01T00:00:00.000Z'),
      Tags: [{ Key: 'amibake:build-started', Value: started }],
    });
    const plan = planRetention(
      [tagged('ami-a', '2026-11-01T00:00:00.100Z'), tagged('ami-b', '2026-11-01T00:00:00.900Z')],
      1,
      new Map(),
    );
    expect(plan.kept).to.deep.equal(['ami-b']);
  });
});

describe('buildNotification', () => {
  const recipe = parseRecipe(
    { name: 'ecs', base: { describe: { name: 'al2023-*' } }, script: 's3://bucket/k.sh' },
    { scripts: 's3' },
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
