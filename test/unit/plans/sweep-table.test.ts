import { expect } from 'chai';
import { planSweep } from '../../../functions/ami-image-create/plan-sweep';
import type { BuildInstance } from '../../../functions/shared/aws/instances';
import {
  type BuildRecord,
  type BuildStatus,
  IN_FLIGHT_STATUSES,
} from '../../../functions/shared/build-record';
import { buildRuleName } from '../../../functions/shared/build-rule-name';
import { parseRecipe } from '../../../functions/shared/recipe';
import { LIMITS, minutesAgo, NOW } from '../fixtures/sweep-limits';

/**
 * The sweep's plan as a table: every status a build in flight can have, against every state its
 * instances can be found in (none yet, running within or past its time, stopped with the event
 * lost, gone). Each row is settled, waited for or ended; an end names every instance and rule
 * of the build, so the sweep removes them with the record and nothing is left in flight.
 */

const recipe = parseRecipe(
  {
    name: 'ecs',
    base: { describe: { name: 'al2023-*' } },
    script: 's3://bucket/ecs.sh',
    timeoutMinutes: 60,
    test: { timeoutMinutes: 20 },
  },
  { scripts: 's3', deployment: 'amibake' },
);
const ago = minutesAgo;
const ID = 'ecs-20261124100000-abc123';
const RULE = buildRuleName('amibake', ID);

/** Where a build's instance of its current stage is found (build instance, or test instance when testing). */
type Found =
  | 'not launched yet'
  | 'not launched in time'
  | 'running'
  | 'running past its time'
  | 'stopped'
  | 'gone';
const FOUND: Found[] = [
  'not launched yet',
  'not launched in time',
  'running',
  'running past its time',
  'stopped',
  'gone',
];

interface Row {
  status: BuildStatus;
  found: Found;
  /** `settle`, `wait`, or `end:<code>` */
  expected: string;
}

/** The table: what the sweep does with each build in flight, by what it finds. */
const TABLE: Row[] = [
  ...FOUND.map((found): Row => {
    const expected: Record<Found, string> = {
      'not launched yet': 'wait',
      'not launched in time': 'end:LaunchLost',
      // A launch that ran its instance but never recorded it: past its grace, it is lost with what it made.
      running: 'end:LaunchLost',
      'running past its time': 'end:LaunchLost',
      stopped: 'end:LaunchLost',
      gone: 'end:LaunchLost',
    };
    return { status: 'pending', found, expected: expected[found] };
  }),
  ...FOUND.map((found): Row => {
    const expected: Record<Found, string> = {
      'not launched yet': 'end:InstanceLost',
      'not launched in time': 'end:InstanceLost',
      running: 'wait',
      'running past its time': 'end:BuildTimedOut',
      stopped: 'settle',
      gone: 'end:InstanceLost',
    };
    return { status: 'building', found, expected: expected[found] };
  }),
  // An imaging build waits for its image or copies, whatever its instance: settling reads them.
  ...FOUND.map((found): Row => ({ status: 'imaging', found, expected: 'settle' })),
  ...FOUND.map((found): Row => {
    const expected: Record<Found, string> = {
      'not launched yet': 'wait',
      'not launched in time': 'end:TestLaunchLost',
      running: 'wait',
      'running past its time': 'end:TestsTimedOut',
      stopped: 'settle',
      gone: 'end:InstanceLost',
    };
    return { status: 'testing', found, expected: expected[found] };
  }),
];

/** The build and the instances the sweep reads for a row. */
function situation({ status, found }: Row): { build: BuildRecord; instances: BuildInstance[] } {
  const testing = status === 'testing';
  const launched = found === 'running' || found === 'running past its time' || found === 'stopped';
  const timeout = testing ? recipe.test.timeoutMinutes : recipe.timeoutMinutes;
  const overdue = timeout + LIMITS.bootMarginMinutes + 1;
  // A pending build has no instance on record: one found is what a crashed launch left.
  const instances: BuildInstance[] = launched
    ? [
        {
          instanceId: testing ? 'i-test' : 'i-build',
          buildId: ID,
          state: found === 'stopped' ? 'stopped' : 'running',
          launchTime: ago(found === 'running past its time' ? overdue : 10),
          stage: testing ? 'test' : 'build',
        },
      ]
    : [];
  const asked = ago(found === 'not launched yet' ? 5 : LIMITS.launchGraceMinutes + 5).toISOString();
  const build: BuildRecord = {
    buildId: ID,
    recipeName: 'ecs',
    recipeHash: '0123456789abcdef',
    recipe,
    baseImageId: 'ami-0aae19d30bab785d3',
    status,
    createdAt: asked,
    updatedAt: asked,
    ...(status === 'pending' ? {} : { instanceId: 'i-build', ruleName: RULE }),
    ...(status === 'imaging' || testing ? { imageId: 'ami-0000000000000000a' } : {}),
    ...(testing
      ? { test: { requestedAt: asked, ...(launched || found === 'gone' ? { instanceId: 'i-test' } : {}) } }
      : {}),
  };
  return { build, instances };
}

describe('planSweep: the table of builds in flight', () => {
  for (const row of TABLE) {
    it(`${row.status}, instance ${row.found}: ${row.expected}`, () => {
      const { build, instances } = situation(row);
      const other: BuildInstance = {
        instanceId: 'i-orphan',
        buildId: 'ecs-20261123100000-fff999',
        state: 'running',
        stage: 'build',
        launchTime: ago(10),
      };
      const plan = planSweep(
        {
          instances: [...instances, other],
          rules: [RULE, buildRuleName('amibake', other.buildId as string)],
          builds: [build],
        },
        NOW,
        LIMITS,
      );
      expect(plan.actions).to.have.length(1);
      const [action] = plan.actions;
      expect(action?.kind === 'end' ? `end:${action.errorCode}` : action?.kind).to.equal(row.expected);
      if (action?.kind === 'end') {
        // Everything of the build goes with it: each of its instances and its rule.
        expect(action.instanceIds).to.have.members(instances.map((i) => i.instanceId));
        expect(action.ruleNames).to.deep.equal([RULE]);
        expect(action.status).to.equal(action.errorCode.endsWith('TimedOut') ? 'timed_out' : 'failed');
      }
      // What belongs to no build in flight is an orphan, and nothing of this build ever is.
      expect(plan.orphanInstances).to.deep.equal(['i-orphan']);
      expect(plan.orphanRules).to.deep.equal([buildRuleName('amibake', other.buildId as string)]);
    });
  }

  it('covers every status a build in flight can have, against every state of its instance', () => {
    for (const status of IN_FLIGHT_STATUSES) {
      expect(
        TABLE.filter((r) => r.status === status).map((r) => r.found),
        status,
      ).to.have.members(FOUND);
    }
  });
});
