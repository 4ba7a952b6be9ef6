import type { Image } from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import {
  IMAGE_VISIBILITY_MS,
  type ImageEventFacts,
  planImageEvent,
  planSettle,
  planStopEvent,
  type SettleFacts,
  type SettleStep,
} from '../../../functions/ami-image-create/plan-settle';
import type { BuildRecord } from '../../../functions/shared/build-record';
import { AmiBakeError } from '../../../functions/shared/errors';
import { building, imaging, NOW, recipe, testing, UPDATED } from '../fixtures/settle-builds';

const passed = { requestedAt: UPDATED, instanceId: 'i-test', outcome: 'passed' as const };
const now = NOW;
const snapshot = [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId: 'snap-1' } }];
const image = (state: string, withSnapshots = true): Image => ({
  ImageId: 'ami-new',
  State: state as Image['State'],
  BlockDeviceMappings: withSnapshots ? snapshot : [{ DeviceName: '/dev/xvda', Ebs: {} }],
});
const report = { succeeded: true as const, report: { exitCode: 0, reason: 'customisation succeeded' } };
const plan = (build: BuildRecord, more: Partial<SettleFacts> = {}): SettleStep =>
  planSettle({ build, now, ...more });

describe('planSettle: a build whose instance stopped', () => {
  it('reads the report, makes the image, describes it, cleans up, then starts the tests', () => {
    expect(plan(building)).to.deep.equal({ kind: 'read-report', stage: 'build' });
    expect(plan(building, { report })).to.deep.equal({ kind: 'make-image' });
    const made = { report, made: { imageId: 'ami-new' } };
    expect(plan(building, made)).to.deep.equal({ kind: 'describe-image', imageId: 'ami-new' });
    expect(plan(building, { ...made, image: image('pending') })).to.deep.equal({
      kind: 'clean-up',
      of: 'build',
    });
    expect(plan(building, { ...made, image: image('pending'), left: [] })).to.deep.equal({
      kind: 'wait',
      result: {
        outcome: 'imaging',
        buildId: building.buildId,
        imageId: 'ami-new',
        reason: 'image is pending',
      },
    });
    const available = image('available');
    expect(plan(building, { ...made, image: available, left: [] })).to.deep.equal({
      kind: 'start-tests',
      image: available,
    });
  });

  it('keeps the instance until the snapshots exist', () => {
    expect(plan(imaging, { image: image('pending', false) })).to.deep.equal({
      kind: 'wait',
      result: {
        outcome: 'imaging',
        buildId: imaging.buildId,
        imageId: 'ami-new',
        reason: 'snapshots not created yet',
      },
      warn: 'snapshots not ready: instance kept until the next sweep',
    });
  });

  it('waits for a report the console has not attested yet, and keeps everything', () => {
    expect(plan(building, { report: { waiting: 'attestation not on the console yet' } })).to.deep.equal({
      kind: 'wait',
      result: { outcome: 'waiting', buildId: building.buildId, reason: 'attestation not on the console yet' },
      warn: 'report not attested yet: instance and rule kept',
    });
  });

  it('ends a failed or timed-out customisation after the clean-up, naming the log and what was left', () => {
    const failed = { succeeded: false as const, reason: 'exit status 3', errorCode: 'CustomisationFailed' };
    expect(plan(building, { report: failed })).to.deep.equal({ kind: 'clean-up', of: 'build' });
    expect(plan(building, { report: failed, left: ['rule r (AccessDeniedException)'] })).to.deep.equal({
      kind: 'fail',
      reason:
        'exit status 3; log: s3://artifacts-bucket/builds/web/log; left behind: rule r (AccessDeniedException)',
      errorCode: 'CustomisationFailed',
      status: 'failed',
    });
    const timedOut = {
      succeeded: false as const,
      reason: 'ran longer than 60 min',
      errorCode: 'CustomisationTimedOut',
    };
    expect(plan(building, { report: timedOut, left: [] })).to.include({ kind: 'fail', status: 'timed_out' });
  });

  it('names CreateImage refusals and impostors', () => {
    const refused = Object.assign(new Error('not authorized'), { name: 'UnauthorizedOperation' });
    expect(plan(building, { report, made: { error: refused }, left: [] })).to.deep.equal({
      kind: 'fail',
      reason: 'CreateImage failed: UnauthorizedOperation: not authorized',
      errorCode: 'UnauthorizedOperation',
      status: 'failed',
    });
    const impostor = new AmiBakeError('not adopted: ami-x', { code: 'ImageImpostor' });
    expect(plan(building, { report, made: { error: impostor }, left: [] })).to.include({
      reason: 'CreateImage failed: not adopted: ami-x',
      errorCode: 'ImageImpostor',
    });
  });

  it('looks for the image a crash left, and ends the build when there is none or it was deregistered', () => {
    const { imageId: _, ...lost } = imaging;
    expect(plan(lost)).to.deep.equal({ kind: 'recover-image' });
    expect(plan(lost, { recovered: { imageId: 'ami-found' } })).to.deep.equal({
      kind: 'describe-image',
      imageId: 'ami-found',
    });
    expect(plan(lost, { recovered: { imageId: undefined }, left: [] })).to.include({
      kind: 'fail',
      errorCode: 'ImageLost',
      reason: 'the requested image no longer exists (deregistered?)',
    });
    // Not visible: CreateImage's image shows within seconds, so only a late one is lost.
    expect(plan(imaging, { image: null })).to.deep.include({ kind: 'wait' });
    const late = new Date(Date.parse(UPDATED) + IMAGE_VISIBILITY_MS + 1);
    expect(planSettle({ build: imaging, now: late, image: null, left: [] })).to.include({
      kind: 'fail',
      errorCode: 'ImageLost',
      reason: 'image ami-new no longer exists (deregistered?)',
    });
    const failed = { ...image('failed'), StateReason: { Message: 'snapshot failed' } };
    expect(plan(imaging, { image: failed, left: [] })).to.include({
      kind: 'fail',
      errorCode: 'ImageFailed',
      reason: 'image ami-new failed: snapshot failed',
    });
  });

  it('distributes a tested image, waits for its copies, and publishes it everywhere', () => {
    const tested = { ...imaging, test: passed };
    const available = image('available');
    const ready = { image: available, left: [] };
    expect(plan(tested, ready)).to.deep.equal({ kind: 'distribute', image: available });
    const pending = { state: 'pending' as const, reason: 'copy in eu-west-1 is pending' };
    expect(plan(tested, { ...ready, distribution: pending })).to.deep.equal({
      kind: 'wait',
      result: {
        outcome: 'imaging',
        buildId: tested.buildId,
        imageId: 'ami-new',
        reason: 'copy in eu-west-1 is pending',
      },
    });
    const failed = { state: 'failed' as const, reason: 'copy in eu-west-1 failed' };
    expect(plan(tested, { ...ready, distribution: failed })).to.include({
      kind: 'fail',
      errorCode: 'ImageCopyFailed',
    });
    const images = { 'us-east-1': 'ami-new', 'eu-west-1': 'ami-copy' };
    expect(
      plan(tested, { ...ready, left: ['instance i-build (x)'], distribution: { state: 'done', images } }),
    ).to.deep.equal({ kind: 'publish', imageId: 'ami-new', images, left: ['instance i-build (x)'] });
  });
});

describe('planSettle: a build whose test instance stopped', () => {
  it('waits for a test launch that has not come', () => {
    expect(plan({ ...testing, test: { requestedAt: UPDATED } })).to.deep.equal({
      kind: 'wait',
      result: { outcome: 'waiting', buildId: testing.buildId, reason: 'test instance not launched yet' },
    });
  });

  it('reads the test report, removes the test instance, then records the pass', () => {
    expect(plan(testing)).to.deep.equal({ kind: 'read-report', stage: 'test' });
    expect(plan(testing, { report })).to.deep.equal({ kind: 'clean-up', of: 'test' });
    expect(plan(testing, { report, left: [] })).to.deep.equal({
      kind: 'record-tests-passed',
      test: { ...testing.test, outcome: 'passed' },
    });
    const { script: _, ...bootCheck } = recipe.test;
    expect(
      plan({ ...testing, recipe: { ...recipe, test: bootCheck } }, { report, left: [] }),
    ).to.deep.include({
      test: { ...testing.test, outcome: 'boot-only' },
    });
  });

  it('ends the tests as failed or timed out, and names a failure of the wrapper itself', () => {
    const outcome = (reason: string, errorCode: string) =>
      plan(testing, { report: { succeeded: false, reason, errorCode }, left: [] });
    expect(outcome('exit status 1', 'TestsFailed')).to.deep.equal({
      kind: 'end-tests',
      status: 'failed',
      errorCode: 'TestsFailed',
      reason: 'exit status 1',
      left: [],
    });
    expect(outcome('ran longer than 20 min', 'TestsTimedOut')).to.include({
      status: 'timed_out',
      errorCode: 'TestsTimedOut',
    });
    expect(outcome('status forged', 'ReportForged')).to.include({
      status: 'failed',
      errorCode: 'TestsFailed',
      reason: 'ReportForged: status forged',
    });
  });
});

describe('planStopEvent', () => {
  const event = {
    buildId: building.buildId,
    stage: 'build' as const,
    instanceId: 'i-build',
    state: 'stopped',
  };

  it('settles only the stage instance of a build in that stage, once it is stopped', () => {
    expect(planStopEvent(event, undefined)).to.deep.equal({ kind: 'ignore', reason: 'no such build' });
    expect(planStopEvent({ ...event, instanceId: 'i-other' }, building)).to.deep.equal({
      kind: 'ignore',
      reason: "instance i-other is not this build's (i-build)",
    });
    expect(planStopEvent(event, { ...building, status: 'succeeded' })).to.deep.equal({
      kind: 'ignore',
      reason: 'build is already succeeded',
    });
    expect(planStopEvent(event, building)).to.deep.equal({ kind: 'describe-instance', build: building });
    expect(planStopEvent(event, building, 'stopping')).to.deep.equal({
      kind: 'ignore',
      reason: 'instance i-build is stopping, not stopped',
    });
    expect(planStopEvent(event, building, null)).to.include({
      reason: 'instance i-build is gone, not stopped',
    });
    expect(planStopEvent(event, building, 'stopped')).to.deep.equal({ kind: 'settle', build: building });
    // An imaging build resumes without describing its instance again.
    expect(planStopEvent(event, imaging)).to.deep.equal({ kind: 'settle', build: imaging });
  });

  it('takes a test stop only for a build that is testing', () => {
    const test = { ...event, stage: 'test' as const, instanceId: 'i-test' };
    expect(planStopEvent(test, imaging)).to.deep.equal({
      kind: 'ignore',
      reason: "instance i-test is not this build's test instance (none yet)",
    });
    expect(planStopEvent(test, testing, 'stopped')).to.deep.equal({ kind: 'settle', build: testing });
  });
});

describe('planImageEvent', () => {
  const tags = (deployment: string, buildId?: string) => [
    { Key: 'amibake:deployment', Value: deployment },
    ...(buildId ? [{ Key: 'amibake:build-id', Value: buildId }] : []),
  ];
  const facts = (more: Partial<ImageEventFacts> = {}): ImageEventFacts => ({
    event: { imageId: 'ami-new', state: 'available', region: 'us-east-1' },
    deployment: 'amibake',
    region: 'us-east-1',
    ...more,
  });
  const ours = { ImageId: 'ami-new', Tags: tags('amibake', imaging.buildId) };

  it('resumes the imaging build that waits for this image or a copy in one of its regions', () => {
    expect(planImageEvent(facts())).to.deep.equal({ kind: 'describe-image' });
    expect(planImageEvent(facts({ image: ours }))).to.deep.equal({
      kind: 'read-build',
      buildId: imaging.buildId,
    });
    expect(planImageEvent(facts({ image: ours, build: imaging }))).to.deep.equal({
      kind: 'settle',
      build: imaging,
    });
    const copy = facts({ event: { imageId: 'ami-copy', state: 'failed', region: 'eu-west-1' } });
    expect(planImageEvent({ ...copy, image: ours, build: imaging })).to.deep.equal({
      kind: 'settle',
      build: imaging,
    });
  });

  it('ignores every other image after one description', () => {
    const reason = (more: Partial<ImageEventFacts>) => {
      const step = planImageEvent(facts(more));
      return step.kind === 'ignore' ? step.reason : step.kind;
    };
    expect(reason({ event: { imageId: 'ami-new', state: 'pending', region: 'us-east-1' } })).to.equal(
      'state pending ends no wait',
    );
    expect(reason({ image: null })).to.equal('not visible in us-east-1');
    expect(reason({ image: { ImageId: 'ami-new', Tags: tags('other') } })).to.equal(
      'not an image of this deployment',
    );
    expect(reason({ image: { ImageId: 'ami-new', Tags: tags('amibake') } })).to.equal('no build (untagged)');
    expect(reason({ image: ours, build: null })).to.equal(`no build ${imaging.buildId}`);
    expect(reason({ image: ours, build: testing })).to.equal('build is testing');
    expect(reason({ image: ours, build: { ...imaging, imageId: 'ami-other' } })).to.equal(
      'image ami-new in us-east-1 is not one the build waits for',
    );
    const elsewhere = { imageId: 'ami-copy', state: 'available', region: 'ap-south-1' };
    expect(reason({ event: elsewhere, image: ours, build: imaging })).to.equal(
      'image ami-copy in ap-south-1 is not one the build waits for',
    );
  });
});
