import { expect } from 'chai';
import Mocha from 'mocha';
import type { AmiBakeConfig } from '../../deployment/config';
import type { SweepReport } from '../../functions/ami-image-create/sweep';
import { isFinal } from '../../functions/shared/build-record';
import { bootLaunched, runBakeCycle, runSweep } from '../../local/bake-cycle';
import { clearBuildData } from '../../local/clear-build-data';
import type { Fault, FaultKind, TracedCall } from '../../local/emulator/fault-injector';
import type { InvocationRecord } from '../../local/lambda/lambda-service';
import type { LocalAccount, LocalStack } from '../../local/local-account';
import { allBuilds, leftovers } from '../support/leftovers';
import { deployed, publishingConfig, scratchDir, standardConfig } from '../support/local-account';
import { faultClasses, pairOf } from './classes';
import { combineCoverage, coverageLine, type FaultCoverage } from './coverage';

/**
 * Fault injection over a whole cycle of the deployed stack (trigger, launch, instance, image, test
 * instance, and a sweep two hours later; then whatever the sweep launched boots and a second sweep
 * runs): the clean cycle runs first, and its trace becomes one test per class of calls (see
 * classes.ts), each fault kind of the class in turn, then the account is checked.
 * `npm run test:faults -- --every-call` injects at every call instead (a release check).
 */
const EVERY_CALL = process.argv.includes('--every-call');

const KIND_NAMES: Record<FaultKind, string> = {
  throttle: 'a throttle',
  'server-error': 'a 500',
  permanent: 'a permanent refusal',
  crash: 'a crash',
};
const describeKind = (kind: FaultKind) => KIND_NAMES[kind];

/**
 * This process's share of the classes, `AMIBAKE_FAULT_SHARD=<i>/<n>` (default all): `npm test` may
 * run the layer as processes side by side, each with its own emulated account, and combines
 * their coverage lines.
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

/** Whether invocations of the function failed in the scenario: the refusal did not pass silently. */
function loud(invocations: readonly InvocationRecord[], fn: string): boolean {
  return invocations.some((i) => i.functionName === fn && !i.outcome.ok);
}

/** Actions that remove what a build made: refused for good, the resource may stay (AWS refuses to remove it). */
const REMOVALS = /:(TerminateInstances|DeleteRule|RemoveTargets|DeregisterImage|DeleteSnapshot)$/;

/**
 * What the sweeps removed as belonging to no build in flight. A crash leaves such things for the
 * sweep by design; a refusal does not: the function that was refused ends its build and removes
 * what it made itself, so an orphan after one is a clean-up its failure path forgot.
 */
function orphansSwept(invocations: readonly InvocationRecord[]): { instances: number; rules: number } {
  const swept = { instances: 0, rules: 0 };
  for (const { outcome } of invocations) {
    const value = outcome.ok ? (outcome.value as { outcome?: string } & Partial<SweepReport>) : undefined;
    if (value?.outcome !== 'swept') continue;
    swept.instances += value.orphanInstances ?? 0;
    swept.rules += value.orphanRules ?? 0;
  }
  return swept;
}

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
  const before = emulator.lambda.invocations.length;
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
  const invocations = emulator.lambda.invocations.slice(before);
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
  } else if (fault?.kind === 'permanent' && fired) {
    const swept = orphansSwept(invocations);
    if (swept.instances + swept.rules > 0) {
      problems.push(
        `the sweep removed ${swept.instances} orphan instance(s) and ${swept.rules} orphan rule(s) the refused function should have removed when it ended its build`,
      );
    }
  }
  if (
    fault?.kind === 'permanent' &&
    fired &&
    RECORD_WRITES.test(fired.action) &&
    loud(invocations, fired.fn)
  ) {
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

/** What this process proved, over every configuration (see coverage.ts). */
const coverage: FaultCoverage = { classes: 0, recovered: 0, pairs: [], covered: [] };
/** The pairs an earlier configuration's clean cycle had: a later one injects only at new pairs. */
const earlierPairs = new Set<string>();

/**
 * One test per class of a clean cycle of `config`, among the calls whose pair no earlier
 * configuration had. The classes are known only once the clean cycle has run, so the tests are
 * added in the before hook (mocha runs the tests a suite holds when its before hooks are done).
 */
function faultSuite(title: string, config: () => AmiBakeConfig, minClasses: number) {
  describe(title, function () {
    this.timeout(120_000);
    const scratch = scratchDir();
    let clean: Scenario;
    let classes = 0;

    before(async function () {
      this.timeout(600_000);
      const { account, stack } = await deployed(config());
      clean = await scenario(account, stack, scratch.path);
      const known = new Set(earlierPairs);
      const fresh = (call: TracedCall) => !known.has(pairOf(call));
      for (const call of clean.trace) earlierPairs.add(pairOf(call));
      coverage.pairs.push(...new Set(clean.trace.filter(fresh).map(pairOf)));
      const suite = this.test?.parent;
      for (const point of faultClasses(clean.trace, fresh, EVERY_CALL)) {
        classes++;
        if (coverage.classes++ % SHARD.count !== SHARD.index) continue;
        const { at, call, kinds } = point;
        const where = `#${at} ${call.fn} ${call.action} (${call.region})`;
        const test = new Mocha.Test(
          point.what === 'retries'
            ? `${call.fn}: its clients retry ${kinds.map(describeKind).join(' and ')} (at ${where})`
            : `${where}: survives ${kinds.map(describeKind).join(', ')}`,
          async () => {
            const failures: string[] = [];
            for (const kind of kinds) {
              const run = await scenario(account, stack, scratch.path, { at, kind });
              if (run.problems.length > 0) failures.push(`${kind}: ${run.problems.join('; ')}`);
            }
            expect(failures).to.deep.equal([]);
            coverage.recovered++;
            coverage.covered.push(pairOf(call));
          },
        );
        // A guard against a hang, not a speed target: a class replays up to four whole cycles.
        test.timeout(300_000);
        suite?.addTest(test);
      }
    });
    after(() => scratch.remove());

    it('runs a clean cycle that succeeds and leaves nothing', () => {
      expect(clean.problems).to.deep.equal([]);
      expect(clean.statuses).to.deep.equal(['succeeded']);
      expect(classes).to.be.at.least(minClasses);
    });
  });
}

faultSuite('fault injection over a cycle of the deployed stack', standardConfig, 40);

// What publishing adds: a copy's completion (its CopyImage, its state read in the copy region,
// woken by the event the copy region's rule forwards), shares, deprecation and the parameters
// of both regions.
faultSuite('fault injection over what publishing adds: copies, shares, deprecation', publishingConfig, 8);

// The layer's closing line. Run whole, this process judges it; run in shards, `npm test`
// combines the shards' coverage lines and judges the whole.
after(() => {
  console.log(coverageLine(coverage));
  if (SHARD.count > 1) return;
  const { line, complete } = combineCoverage([coverage]);
  console.log(line);
  if (!complete) throw new Error(`the fault layer did not prove everything: ${line}`);
});
