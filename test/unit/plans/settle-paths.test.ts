import type { Image } from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import {
  planSettle,
  type SettleFacts,
  type SettleStep,
} from '../../../functions/ami-image-create/plan-settle';
import type { BuildRecord } from '../../../functions/shared/build-record';
import { AmiBakeError } from '../../../functions/shared/errors';
import { building, imaging, NOW, testing, UPDATED } from '../fixtures/settle-builds';
import { type Answer, describePath, type Effect, effectOf, explore, type Path } from './explore';

/**
 * ami_image_create's settle plan, every path: each step it names, with every answer that step
 * can receive. A failure ends the build after its instances and rule are removed, naming what
 * could not be; a report not attested yet or an image still pending waits for an event or the
 * sweep; a path of successes reaches the next stage.
 */

/** Past the time an image CreateImage returned takes to show in DescribeImages. */
const LATE = new Date('2026-11-30T06:40:00.000Z');
const tested: BuildRecord = {
  ...imaging,
  test: { requestedAt: UPDATED, instanceId: 'i-test', outcome: 'passed' },
};

const REFUSED = 'rule amibake.web-20261130062000-abc123 (AccessDeniedException)';
const on: Effect = { goesOn: true };
const waits: Effect = { waits: true };
const ends = (code: string): Effect => ({ ends: code });
const awsError = (name: string) => Object.assign(new Error(`${name}: refused`), { name });
const image = (State: Image['State'], snapshots = true): Image => ({
  ImageId: 'ami-new',
  State,
  BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: snapshots ? { SnapshotId: 'snap-1' } : {} }],
});

type SettleAnswer = Answer<SettleFacts>;
const answer = (name: string, effect: Effect, facts: SettleFacts): SettleAnswer => ({ name, effect, facts });

function reportAnswers(f: SettleFacts): SettleAnswer[] {
  const test = f.build.status === 'testing';
  const failed = (code: string, reason: string) => ({
    ...f,
    report: { succeeded: false as const, errorCode: code, reason },
  });
  const failedCode = test ? 'TestsFailed' : 'CustomisationFailed';
  const timedOut = test ? 'TestsTimedOut' : 'CustomisationTimedOut';
  return [
    answer('succeeded', on, { ...f, report: { succeeded: true, report: { exitCode: 0, reason: 'ok' } } }),
    answer('script failed', ends(failedCode), failed(failedCode, 'exit 1')),
    answer('timed out', ends(timedOut), failed(timedOut, 'ran past its timeout')),
    // The wrapper's own refusals keep their code in the build stage; the test stage names them.
    answer(
      'the wrapper refused',
      ends(test ? 'TestsFailed' : 'HygieneFailed'),
      failed('HygieneFailed', 'keys left'),
    ),
    answer('never reported', ends(test ? 'TestsFailed' : 'NoReport'), failed('NoReport', 'no status')),
    answer('not attested yet', waits, { ...f, report: { waiting: 'console output not attested yet' } }),
  ];
}

function settleAnswers(step: SettleStep, f: SettleFacts): SettleAnswer[] | undefined {
  switch (step.kind) {
    case 'read-report':
      return reportAnswers(f);
    case 'make-image':
      return [
        answer('made', on, { ...f, made: { imageId: 'ami-new' } }),
        answer('refused for good', ends('UnauthorizedOperation'), {
          ...f,
          made: { error: awsError('UnauthorizedOperation') },
        }),
        answer('an unnamed error', ends('CreateImageFailed'), { ...f, made: { error: 'socket hang up' } }),
        answer('an impostor holds the tag', ends('ImageImpostor'), {
          ...f,
          made: { error: new AmiBakeError('not adopted', { code: 'ImageImpostor' }) },
        }),
      ];
    case 'recover-image':
      return [
        answer('found', on, { ...f, recovered: { imageId: 'ami-new' } }),
        answer('none', ends('ImageLost'), { ...f, recovered: { imageId: undefined } }),
        answer('an impostor', ends('ImageImpostor'), {
          ...f,
          recovered: { error: new AmiBakeError('not adopted', { code: 'ImageImpostor' }) },
        }),
      ];
    case 'describe-image':
      return [
        answer('available', on, { ...f, image: image('available') }),
        answer('pending, snapshots made', waits, { ...f, image: image('pending') }),
        answer('pending, no snapshots yet', waits, { ...f, image: image('pending', false) }),
        answer('failed', ends('ImageFailed'), { ...f, image: image('failed') }),
        answer('not visible yet', waits, { ...f, image: null }),
        answer('not visible long after', ends('ImageLost'), { ...f, image: null, now: LATE }),
      ];
    case 'clean-up':
      return [
        answer('all removed', on, { ...f, left: [] }),
        answer('a removal refused', on, { ...f, left: [REFUSED] }),
      ];
    case 'distribute':
      return [
        answer('every copy available', on, {
          ...f,
          distribution: { state: 'done', images: { 'us-east-1': 'ami-new', 'eu-west-1': 'ami-copy' } },
        }),
        answer('copies pending', waits, { ...f, distribution: { state: 'pending', reason: 'copy pending' } }),
        answer('a copy failed', ends('ImageCopyFailed'), {
          ...f,
          distribution: { state: 'failed', reason: 'copy failed' },
        }),
        answer('a share refused', ends('KmsKeyNotShared'), {
          ...f,
          distribution: { state: 'failed', reason: 'key not shared', errorCode: 'KmsKeyNotShared' },
        }),
      ];
    default:
      return undefined;
  }
}

/** The steps that end an invocation, each with where a path of successes ends from each start. */
const ENDS = ['wait', 'fail', 'end-tests', 'record-tests-passed', 'start-tests', 'publish'];

const STARTS: { name: string; build: BuildRecord; forward: SettleStep['kind'] }[] = [
  { name: 'a build whose instance stopped', build: building, forward: 'start-tests' },
  { name: 'an imaging build', build: imaging, forward: 'start-tests' },
  {
    name: 'an imaging build a crash left without its image id',
    build: { ...imaging, imageId: undefined },
    forward: 'start-tests',
  },
  { name: 'a tested build', build: tested, forward: 'publish' },
  { name: 'a build whose test instance stopped', build: testing, forward: 'record-tests-passed' },
  {
    name: 'a build whose test launch has not come',
    build: { ...testing, test: { requestedAt: UPDATED } },
    forward: 'wait',
  },
];

/** What is wrong with a path, or undefined: checked against what its answers say. */
function problemOf(path: Path<SettleFacts, SettleStep>, forward: SettleStep['kind']): string | undefined {
  const last = path.steps.at(-1) as SettleStep;
  if (!ENDS.includes(last.kind)) return `ends at ${last.kind}, which is not a step that ends an invocation`;
  const stage = path.facts.build.status === 'testing' ? 'test' : 'build';
  const cleaned = path.steps.some((s) => s.kind === 'clean-up' && s.of === stage);
  const refused = path.answers.some((a) => a.name === 'a removal refused');
  const effect = effectOf(path.answers);
  if ('ends' in effect) {
    if (last.kind !== 'fail' && last.kind !== 'end-tests')
      return `should end the build as ${effect.ends}, not ${last.kind}`;
    if (last.errorCode !== effect.ends) return `ends as ${last.errorCode}, not ${effect.ends}`;
    if (!cleaned) return `ends the build before removing its ${stage} instance and rule`;
    const timedOut = effect.ends.endsWith('TimedOut');
    if ((last.status === 'timed_out') !== timedOut) return `ends as ${last.status}`;
    const named = last.kind === 'fail' ? last.reason.includes(REFUSED) : last.left.includes(REFUSED);
    if (refused && !named) return 'does not name what the clean-up left';
    return undefined;
  }
  if ('waits' in effect) return last.kind === 'wait' ? undefined : `should wait, not ${last.kind}`;
  if (last.kind !== forward) return `a path of successes should reach ${forward}, not ${last.kind}`;
  if (last.kind !== 'wait' && !cleaned) return `reaches ${last.kind} with the ${stage} instance still there`;
  if (last.kind === 'publish' && refused && !last.left.includes(REFUSED))
    return 'publishes without naming what was left';
  return undefined;
}

describe('planSettle: every path', () => {
  const exercised = new Set<string>();
  const everyAnswerReached = () => {
    const listed = new Set<string>();
    const steps: SettleStep[] = [
      { kind: 'read-report', stage: 'build' },
      { kind: 'make-image' },
      { kind: 'recover-image' },
      { kind: 'describe-image', imageId: 'ami-new' },
      { kind: 'clean-up', of: 'build' },
      { kind: 'distribute', image: image('available') },
    ];
    for (const step of steps) {
      for (const a of settleAnswers(step, { build: building, now: NOW }) ?? [])
        listed.add(`${step.kind}: ${a.name}`);
    }
    expect([...listed].filter((a) => !exercised.has(a))).to.deep.equal([]);
  };

  for (const start of STARTS) {
    it(`${start.name}: every failure ends after the clean-up, every wait waits, successes reach ${start.forward}`, () => {
      const paths = explore({ build: start.build, now: NOW }, planSettle, settleAnswers);
      for (const path of paths) {
        for (const [i, a] of path.answers.entries()) exercised.add(`${path.steps[i]?.kind}: ${a.name}`);
      }
      for (const path of paths) {
        const problem = problemOf(path, start.forward);
        expect(problem, describePath(start.name, path)).to.equal(undefined);
      }
      expect(paths.length).to.be.greaterThan(0);
    });
  }

  it('reaches every answer of the table from some start', everyAnswerReached);

  it('finds a plan that loops, and one that ends a build before its clean-up', () => {
    const loop = () =>
      explore({ build: building, now: NOW }, () => ({ kind: 'make-image' }) as SettleStep, settleAnswers, 5);
    expect(loop).to.throw('the plan did not end within 5 steps: make-image → make-image');
    // A plan that fails a build on CreateImage's refusal without removing its instance.
    const careless = (f: SettleFacts): SettleStep =>
      f.made && 'error' in f.made
        ? { kind: 'fail', reason: 'refused', errorCode: 'UnauthorizedOperation', status: 'failed' }
        : planSettle(f);
    const problems = explore({ build: building, now: NOW }, careless, settleAnswers)
      .map((p) => problemOf(p, 'start-tests'))
      .filter(Boolean);
    expect(problems).to.include('ends the build before removing its build instance and rule');
  });
});
