import { expect } from 'chai';
import { planSweep, type SweepFacts } from '../../../functions/ami-image-create/plan-sweep';
import type { BuildInstance } from '../../../functions/shared/aws/instances';
import type { BuildRecord, BuildStatus } from '../../../functions/shared/build-record';
import { parseRecipe } from '../../../functions/shared/recipe';
import { LIMITS, minutesAgo, NOW } from '../fixtures/sweep-limits';

const recipe = parseRecipe(
  { name: 'ecs', base: { describe: { name: 'al2023-*' } }, script: 's3://bucket/ecs.sh', timeoutMinutes: 60 },
  { scripts: 's3', deployment: 'amibake' },
);

function build(id: string, status: BuildStatus, fields: Partial<BuildRecord> = {}): BuildRecord {
  return {
    buildId: id,
    recipeName: 'ecs',
    recipeHash: '0123456789abcdef',
    recipe,
    baseImageId: 'ami-0aae19d30bab785d3',
    status,
    createdAt: minutesAgo(30).toISOString(),
    updatedAt: minutesAgo(29).toISOString(),
    ...fields,
  };
}

const instance = (
  instanceId: string,
  buildId: string | undefined,
  state: string,
  launchedMinutesAgo = 20,
  stage: 'build' | 'test' = 'build',
): BuildInstance => ({
  instanceId,
  buildId,
  state,
  launchTime: minutesAgo(launchedMinutesAgo),
  stage,
});

const facts = (fields: Partial<SweepFacts>): SweepFacts => ({
  instances: [],
  rules: [],
  builds: [],
  ...fields,
});
const kinds = (f: SweepFacts) =>
  planSweep(f, NOW, LIMITS).actions.map((a) => (a.kind === 'end' ? `end:${a.errorCode}` : a.kind));

describe('planSweep', () => {
  describe('the test stage', () => {
    const testing = (id: string, test: BuildRecord['test']) =>
      build(id, 'testing', { instanceId: 'i-00000000000000b00', imageId: 'ami-0000000000000000a', test });

    it('waits for the test launch within its grace, then ends the build as TestLaunchLost', () => {
      const recent = testing('ecs-20261124115500-aaaaaa', { requestedAt: minutesAgo(5).toISOString() });
      const lost = testing('ecs-20261124113000-bbbbbb', { requestedAt: minutesAgo(16).toISOString() });
      expect(kinds(facts({ builds: [recent, lost] }))).to.deep.equal(['wait', 'end:TestLaunchLost']);
    });

    it("settles the build once the test instance stopped, and waits while it runs within the test's timeout", () => {
      const b = testing('ecs-20261124113000-bbbbbb', {
        requestedAt: minutesAgo(30).toISOString(),
        instanceId: 'i-0000000000000000c',
      });
      const at = (state: string, minutes: number) =>
        kinds(
          facts({
            builds: [b],
            instances: [instance('i-0000000000000000c', b.buildId, state, minutes, 'test')],
          }),
        );
      expect(at('stopped', 200)).to.deep.equal(['settle']);
      // The recipe's test timeout is the default 20 min, plus 15 to boot and report.
      expect(at('running', 35)).to.deep.equal(['wait']);
      expect(at('running', 36)).to.deep.equal(['end:TestsTimedOut']);
      expect(kinds(facts({ builds: [b] }))).to.deep.equal(['end:InstanceLost']);
    });

    it('ends a hung test with its instance and rule, as timed out', () => {
      const b = testing('ecs-20261124113000-bbbbbb', {
        requestedAt: minutesAgo(60).toISOString(),
        instanceId: 'i-0000000000000000c',
      });
      const [action] = planSweep(
        facts({
          builds: [b],
          instances: [instance('i-0000000000000000c', b.buildId, 'running', 50, 'test')],
          rules: [`amibake.${b.buildId}`],
        }),
        NOW,
        LIMITS,
      ).actions;
      expect(action).to.deep.include({
        kind: 'end',
        status: 'timed_out',
        errorCode: 'TestsTimedOut',
        instanceIds: ['i-0000000000000000c'],
        ruleNames: [`amibake.${b.buildId}`],
      });
      expect(action?.kind === 'end' && action.reason).to.match(
        /still running 50 min after launch \(test timeout 20 min/,
      );
    });
  });

  it('waits for a launch within its grace, then ends it as lost with whatever it made', () => {
    const recent = build('ecs-20261124115500-aaaaaa', 'pending', { createdAt: minutesAgo(5).toISOString() });
    expect(kinds(facts({ builds: [recent] }))).to.deep.equal(['wait']);

    const old = build('ecs-20261124113000-bbbbbb', 'pending');
    const plan = planSweep(
      facts({
        builds: [old],
        instances: [instance('i-0000000000000000b', old.buildId, 'running')],
        rules: [`amibake.${old.buildId}`],
      }),
      NOW,
      LIMITS,
    );
    const [action] = plan.actions;
    expect(action).to.deep.include({
      kind: 'end',
      status: 'failed',
      errorCode: 'LaunchLost',
      instanceIds: ['i-0000000000000000b'],
      ruleNames: [`amibake.${old.buildId}`],
    });
    expect(plan.orphanInstances).to.deep.equal([]);
    expect(plan.orphanRules).to.deep.equal([]);
  });

  it('settles a build whose instance stopped, and every build imaging', () => {
    const stopped = build('ecs-20261124113000-cccccc', 'building', { instanceId: 'i-0000000000000000c' });
    const imaging = build('ecs-20261124113000-dddddd', 'imaging', { instanceId: 'i-0000000000000000d' });
    expect(
      kinds(
        facts({
          builds: [stopped, imaging],
          instances: [instance('i-0000000000000000c', stopped.buildId, 'stopped')],
        }),
      ),
    ).to.deep.equal(['settle', 'settle']);
  });

  it('times out an instance running past its timeout plus the boot margin, not before', () => {
    const running = build('ecs-20261124100000-eeeeee', 'building', { instanceId: 'i-0000000000000000e' });
    const within = facts({
      builds: [running],
      instances: [instance('i-0000000000000000e', running.buildId, 'running', 75)],
    });
    expect(kinds(within)).to.deep.equal(['wait']);
    const past = facts({
      builds: [running],
      instances: [instance('i-0000000000000000e', running.buildId, 'running', 76)],
    });
    const [action] = planSweep(past, NOW, LIMITS).actions;
    expect(action).to.deep.include({ kind: 'end', status: 'timed_out', errorCode: 'BuildTimedOut' });
    expect(action?.kind === 'end' && action.reason).to.match(
      /still running 76 min after launch \(timeout 60 min \+ 15 min/,
    );
  });

  it('fails a build whose instance is gone', () => {
    const lost = build('ecs-20261124113000-ffffff', 'building', { instanceId: 'i-0000000000000000f' });
    expect(kinds(facts({ builds: [lost] }))).to.deep.equal(['end:InstanceLost']);
  });

  it('lists instances and rules of no build in flight as orphans, and instances without a build id apart', () => {
    const live = build('ecs-20261124113000-abcdef', 'building', { instanceId: 'i-0000000000000000a' });
    const plan = planSweep(
      facts({
        builds: [live],
        instances: [
          instance('i-0000000000000000a', live.buildId, 'running'),
          instance('i-00000000000000001', 'ecs-20261120000000-123456', 'stopped'),
          instance('i-00000000000000002', undefined, 'running'),
        ],
        rules: [
          `amibake.${live.buildId}`,
          'amibake.ecs-20261120000000-123456',
          'amibake.hand-made',
          'amibake-dev.ecs-20261120000000-123456',
        ],
      }),
      NOW,
      LIMITS,
    );
    expect(plan.orphanInstances).to.deep.equal(['i-00000000000000001']);
    // No build launched it (the launch policy requires a build id): the sweep may not and does not touch it.
    expect(plan.untagged).to.deep.equal(['i-00000000000000002']);
    expect(plan.orphanRules).to.deep.equal(['amibake.ecs-20261120000000-123456']);
    // Names that are not this deployment's build rules are never removed.
    expect(plan.foreignRules).to.deep.equal(['amibake.hand-made', 'amibake-dev.ecs-20261120000000-123456']);
  });
});
