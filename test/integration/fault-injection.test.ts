import { expect } from 'chai';
import { runBakeCycle, runSweep } from '../../local/bake-cycle';
import { type Call, FAULT_KINDS, type FaultKind } from '../../local/fault-injector';
import { deployLocally, type LocalAws } from '../../local/local-aws';
import { allBuilds, leftovers } from '../support/leftovers';
import { ecsRecipe, localAws, scratchDir, testConfig } from '../support/local-aws';

/** The sweep runs this long after the cycle: past every launch grace and build timeout. */
const SWEEP_DELAY_MS = 2 * 3600_000;

interface Scenario {
  trace: Call[];
  problems: string[];
  statuses: string[];
}

describe('fault injection', function () {
  this.timeout(900_000);
  let aws: LocalAws;
  const scratch = scratchDir();
  before(async () => {
    aws = await localAws();
  });
  after(() => scratch.remove());

  /** A full cycle (trigger, launch, instance, image) and a later sweep, with one fault armed. */
  async function scenario(fault?: { at: number; kind: FaultKind }): Promise<Scenario> {
    const local = await deployLocally(aws, testConfig([ecsRecipe('ecs-node')]), { logLevel: 'silent' });
    aws.gateway.faults.reset(fault);
    await runBakeCycle(aws, local, { workdir: scratch.path });
    await runSweep(aws, local, new Date(Date.now() + SWEEP_DELAY_MS));
    const trace = [...aws.gateway.faults.trace];
    aws.gateway.faults.reset();
    const builds = await allBuilds(aws, local);
    const problems = await leftovers(aws, local);
    if (fault && (fault.kind === 'throttle' || fault.kind === 'server-error')) {
      // The SDK retries these: the build must succeed as if nothing happened.
      if (builds.length !== 1 || builds[0]?.status !== 'succeeded') {
        problems.push(
          `a retried ${fault.kind} ended with ${builds.map((b) => `${b.status} (${b.reason})`).join(', ') || 'no build'}`,
        );
      }
    }
    return {
      trace,
      problems,
      statuses: builds.map((b) => `${b.status}${b.errorCode ? `:${b.errorCode}` : ''}`),
    };
  }

  it('recovers from a throttle, a 500, a permanent error or a crash at every AWS call of a cycle', async () => {
    const clean = await scenario();
    expect(clean.problems).to.deep.equal([]);
    expect(clean.statuses).to.deep.equal(['succeeded']);
    const points = clean.trace;
    const failures: string[] = [];
    let recovered = 0;
    for (const [index, call] of points.entries()) {
      let ok = true;
      for (const kind of FAULT_KINDS) {
        const run = await scenario({ at: index + 1, kind });
        if (run.problems.length > 0) {
          ok = false;
          failures.push(`#${index + 1} ${call.fn} ${call.action} ${kind}: ${run.problems.join('; ')}`);
        }
      }
      if (ok) recovered++;
    }
    console.log(`      fault injection: ${recovered}/${points.length} points recovered`);
    expect(failures).to.deep.equal([]);
    expect(points.length).to.be.greaterThan(20);
  });
});
