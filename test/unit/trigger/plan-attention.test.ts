import { expect } from 'chai';
import { planAttention } from '../../../functions/ami-build-trigger/plan-attention';
import type { RecipeDecision } from '../../../functions/ami-build-trigger/plan-trigger';
import { attentionNotification } from '../../../functions/shared/attention';

const NOW = new Date('2026-12-07T06:00:00Z');
const skipped = (recipe: string, reason = 'SSM parameter /aws/service/x does not exist'): RecipeDecision => ({
  recipe,
  decision: 'skipped',
  reason,
});

describe('planAttention', () => {
  it('announces a recipe that is skipped or invalid, once per reason', () => {
    const first = planAttention(
      [skipped('ecs'), { recipe: 'arm', decision: 'invalid', reason: 'instanceType runs x86_64' }],
      new Map(),
      NOW,
    );
    expect(first.announce.map((a) => [a.recipe, a.decision, a.since])).to.deep.equal([
      ['ecs', 'skipped', '2026-12-07T06:00:00.000Z'],
      ['arm', 'invalid', '2026-12-07T06:00:00.000Z'],
    ]);
    expect(first.clear).to.deep.equal([]);
    const announced = new Map(first.announce.map((a) => [a.recipe, a]));
    const again = planAttention([skipped('ecs')], announced, new Date('2026-12-08T06:00:00Z'));
    expect(again, 'the same reason the next day: nothing').to.deep.equal({ announce: [], clear: [] });
  });

  it('announces again when the reason changes, and forgets a recipe that builds or waits its turn again', () => {
    const announced = new Map(
      planAttention([skipped('ecs'), skipped('al2')], new Map(), NOW).announce.map((a) => [a.recipe, a]),
    );
    const plan = planAttention(
      [
        skipped('ecs', 'script s3://b/k cannot be read: AccessDenied'),
        { recipe: 'al2', decision: 'not-due', reason: 'built' },
        { recipe: 'other', decision: 'started', reason: 'new base' },
      ],
      announced,
      NOW,
    );
    expect(plan.announce.map((a) => a.reason)).to.deep.equal([
      'script s3://b/k cannot be read: AccessDenied',
    ]);
    expect(plan.announce[0]?.digest).to.not.equal(announced.get('ecs')?.digest);
    expect(plan.clear, 'only recipes announced before').to.deep.equal(['al2']);
    const deferred = planAttention(
      [{ recipe: 'ecs', decision: 'deferred', reason: 'limit' }],
      announced,
      NOW,
    );
    expect(deferred.clear).to.deep.equal(['ecs']);
  });

  it('keeps a long reason bounded', () => {
    const [a] = planAttention([skipped('ecs', 'x'.repeat(10_000))], new Map(), NOW).announce;
    expect(a?.reason).to.have.length(4001);
  });

  it('says what is wrong, the value and the fix in the announcement, filterable by status and recipe', () => {
    const [a] = planAttention([skipped('ecs')], new Map(), NOW).announce;
    const n = attentionNotification(a as NonNullable<typeof a>);
    expect(n.subject).to.equal('[amibake] skipped: ecs (needs attention)');
    expect(n.attributes).to.deep.equal({ status: 'skipped', recipe: 'ecs' });
    expect(JSON.parse(n.body)).to.include({
      reason: 'SSM parameter /aws/service/x does not exist',
      fix: 'make the base or script readable as the reason says (npx amibake plan shows the decision without building)',
    });
  });
});
