import { expect } from 'chai';
import Mocha from 'mocha';
import type { AmiBakeConfig } from '../../deployment/config';
import { isFinal } from '../../functions/shared/build-record';
import { bootLaunched, runBakeCycle, runSweep } from '../../local/bake-cycle';
import { clearBuildData } from '../../local/clear-build-data';
import { FAULT_KINDS, type Fault, type TracedCall } from '../../local/emulator/fault-injector';
import type { LocalAccount, LocalStack } from '../../local/local-account';
import { allBuilds, leftovers } from '../support/leftovers';
import { deployed, publishingConfig, scratchDir, standardConfig } from '../support/local-account';

/**
 * Fault injection over a whole cycle of the deployed stack: for every AWS call the functions make
 * in a clean cycle (trigger, launch, instance, image, test instance, and a sweep two hours later;
 * then whatever the sweep launched boots and a second sweep runs), each fault
 * kind in turn, then the account is checked. The clean cycle runs first, and its trace becomes
 * one test per call.
 */

/** The faults the SDK's retry strategy absorbs, the same way for every call of a client. */
const SDK_RETRIED: readonly string[] = ['throttle', 'server-error'];

const describeKind = (kind: string) =>
  ({ throttle: 'a throttle', 'server-error': 'a 500', permanent: 'a permanent refusal', crash: 'a crash' })[
    kind
  ] ?? kind;

/**
 * This process's share of the points, `AMIBAKE_FAULT_SHARD=<i>/<n>` (default all): `npm test` runs
 * the suite as two processes side by side, each with its own emulated account.
 */
const SHARD = shardOf(process.env.AMIBAKE_FAULT_SHARD ?? '0/1');

function shardOf(text: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index >= count) {
    throw new Error(`AMIBAKE_FAULT_SHARD must be <index>/<count> such as 0/2, got ${JSON.stringify(text)}`);
  }
  return { index, count };
}

/** The sweep runs this long after the cycle: past every launch grace and build timeout. */
const SWEEP_DELAY_MS = 2 * 3600_000;

/** Writes of the build record that ends a build: refused for good, no final status can be written. */
const RECORD_WRITES = /^dynamodb:(TransactWriteItems|UpdateItem)$/;

/** Whether invocations of the function failed after the fault fired: the refusal did not pass silently. */
function loud(account: LocalAccount, fn: string): boolean {
  return account.emulator.lambda.invocations.some((i) => i.functionName === fn && !i.outcome.ok);
}

/** Actions that remove what a build made: refused for good, the resource may stay (AWS refuses to remove it). */
const REMOVALS = /:(TerminateInstances|DeleteRule|RemoveTargets|DeregisterImage|DeleteSnapshot)$/;

interface Scenario {
  trace: TracedCall[];
  problems: string[];
  statuses: string[];
}

async function scenario(
  account: LocalAccount,
  stack: LocalStack,
  workdir: string,
  fault?: Fault,
): Promise<Scenario> {
  await clearBuildData(account, [stack]);
  const { emulator } = account;
  emulator.faults.reset(fault);
  await runBakeCycle(account, stack, { workdir });
  await runSweep(account, stack, new Date(Date.now() + SWEEP_DELAY_MS));
  // A build the sweep took on (its events lost to the fault) may have launched its test instance:
  // that instance boots as AWS would boot it, and a later sweep finishes what is left.
  await bootLaunched(account, stack, { workdir });
  if ((await allBuilds(emulator.clients, stack)).some((b) => !isFinal(b.status))) {
    await runSweep(account, stack, new Date(Date.now() + 2 * SWEEP_DELAY_MS));
  }
  const trace = [...emulator.faults.trace];
  const fired = emulator.faults.fired;
  emulator.faults.reset();
  const builds = await allBuilds(emulator.clients, stack);
  let problems = await leftovers(emulator.clients, stack);
  if (fault?.kind === 'throttle' || fault?.kind === 'server-error') {
    // The SDK retries these: the build must succeed as if nothing happened.
    if (builds.length !== 1 || builds[0]?.status !== 'succeeded') {
      problems.push(
        `a retried ${fault.kind} ended with ${builds.map((b) => `${b.status} (${b.reason})`).join(', ') || 'no build'}`,
      );
    }
  }
  if (fault?.kind === 'permanent' && fired && REMOVALS.test(fired.action)) {
    problems = problems.filter((p) => !/^(instance|rule) /.test(p));
  }
  if (fault?.kind === 'permanent' && fired && RECORD_WRITES.test(fired.action) && loud(account, fired.fn)) {
    // No final status can be written when writing the record is what is refused: the build is
    // left in flight, and every invocation that tries to end it fails (alarms, failure queue).
    problems = problems.filter((p) => !/^build .* is still \w+$|^the in-flight counter/.test(p));
  }
  if (fired) problems = problems.map((p) => `${p} (fault at ${fired.fn} ${fired.action})`);
  return {
    trace,
    problems,
    statuses: builds.map((b) => `${b.status}${b.errorCode ? `:${b.errorCode}` : ''}`),
  };
}

/**
 * One test per point: the calls of a clean cycle of `config` that `select` keeps, each with every
 * fault kind. The points are known only once the clean cycle has run, so the tests are added in
 * the before hook (mocha runs the tests a suite holds when its before hooks are done).
 */
function faultSuite(
  title: string,
  config: () => AmiBakeConfig,
  select: (call: TracedCall) => boolean,
  minPoints: number,
) {
  describe(title, function () {
    this.timeout(120_000);
    const scratch = scratchDir();
    let clean: Scenario;
    /** Every point of the clean cycle, and this shard's. */
    let allPoints = 0;
    let points = 0;
    let recovered = 0;

    before(async function () {
      this.timeout(600_000);
      const { account, stack } = await deployed(config());
      clean = await scenario(account, stack, scratch.path);
      const suite = this.test?.parent;
      // A throttle or a 500 is retried by the SDK client whatever code made the call: it is
      // injected at the first call of each function and action. A refusal and a crash are
      // handled by the code around each call: they are injected at every call.
      const retried = new Set<string>();
      for (const [index, call] of clean.trace.entries()) {
        if (!select(call)) continue;
        const pair = `${call.fn} ${call.action} ${call.region}`;
        const kinds = retried.has(pair) ? FAULT_KINDS.filter((k) => !SDK_RETRIED.includes(k)) : FAULT_KINDS;
        retried.add(pair);
        if (allPoints++ % SHARD.count !== SHARD.index) continue;
        points++;
        const test = new Mocha.Test(
          `#${index + 1} ${call.fn} ${call.action} (${call.region}): survives ${kinds.map(describeKind).join(', ')}`,
          async () => {
            const failures: string[] = [];
            for (const kind of kinds) {
              const run = await scenario(account, stack, scratch.path, { at: index + 1, kind });
              if (run.problems.length > 0) failures.push(`${kind}: ${run.problems.join('; ')}`);
            }
            expect(failures).to.deep.equal([]);
            recovered++;
          },
        );
        // A guard against a hang, not a speed target: a point replays up to four whole cycles, and
        // on two shared cores under the other layers one took 66 s.
        test.timeout(300_000);
        suite?.addTest(test);
      }
    });
    after(() => {
      console.log(
        `      fault injection: ${recovered}/${points} points recovered from ${FAULT_KINDS.join(', ')}${SHARD.count > 1 ? ` (shard ${SHARD.index + 1} of ${SHARD.count}, ${allPoints} points in all)` : ''}`,
      );
      scratch.remove();
    });

    it('runs a clean cycle that succeeds and leaves nothing', () => {
      expect(clean.problems).to.deep.equal([]);
      expect(clean.statuses).to.deep.equal(['succeeded']);
      expect(allPoints).to.be.at.least(minPoints);
    });
  });
}

faultSuite('fault injection over a cycle of the deployed stack', standardConfig, () => true, 20);

// A copy's completion: its CopyImage, its state read in the copy region (woken by the event the
// copy region's rule forwards), its launch permissions and its parameter there.
faultSuite(
  "fault injection over a copy's completion in another region",
  publishingConfig,
  (call) => call.region !== 'us-east-1',
  3,
);
