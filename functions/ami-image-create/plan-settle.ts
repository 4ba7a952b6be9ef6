import type { Image } from '@aws-sdk/client-ec2';
import { type BuildRecord, type TestStage, testsPassed } from '../shared/build-record';
import { AmiBakeError, awsErrorName, describeError } from '../shared/errors';
import { BUILD_ID_TAG, DEPLOYMENT_TAG } from '../shared/tags';
import type { ReadReport } from './build-report';
import { type ImageStateEvent, SETTLED_IMAGE_STATES } from './image-state-event';
import type { StoppedEvent } from './stopped-event';

/**
 * ami_image_create's decisions for a build whose instance stopped or whose image was requested:
 * from what is known of the build so far, the next step (read the report, make or find the
 * image, describe it, clean up, start the tests, distribute, publish) or the end. complete-build.ts
 * reads and does what each step asks, and asks again, until a step ends the invocation. Every
 * step checks what exists first, so a crash anywhere is resumed by the next event or sweep.
 */

/**
 * An image CreateImage returned shows in DescribeImages within seconds; one still not visible
 * this long after the build started imaging was deregistered.
 */
export const IMAGE_VISIBILITY_MS = 5 * 60_000;

/** What is known of a build being settled; each field is set once its step has run. */
export interface SettleFacts {
  build: BuildRecord;
  now: Date;
  /** The stage instance's report, as far as its console attests it. */
  report?: ReadReport;
  /** The image made for the build (found, or CreateImage), or why not. */
  made?: { imageId: string } | { error: unknown };
  /** The image a crash after CreateImage left, found by the build's tag (undefined: none). */
  recovered?: { imageId: string | undefined } | { error: AmiBakeError };
  /** The image, once described (null: not visible). */
  image?: Image | null;
  /** What the clean-up of the stage's instances and rule could not remove. */
  left?: string[];
  distribution?: DistributionResult;
}

/** Where the copies and shares of an image stand. */
export type DistributionResult =
  | { state: 'done'; images: Record<string, string> }
  | { state: 'pending'; reason: string }
  | { state: 'failed'; reason: string; errorCode?: string };

type SettleResult =
  | { outcome: 'testing'; buildId: string; imageId: string; reason: string }
  | { outcome: 'imaging'; buildId: string; imageId: string; reason: string }
  | { outcome: 'waiting'; buildId: string; reason: string };

export type SettleStep =
  | { kind: 'read-report'; stage: 'build' | 'test' }
  | { kind: 'make-image' }
  | { kind: 'recover-image' }
  | { kind: 'describe-image'; imageId: string }
  | { kind: 'clean-up'; of: 'build' | 'test' }
  /** Nothing more to do now: an event or the sweep resumes the build. `warn` is logged. */
  | { kind: 'wait'; result: SettleResult; warn?: string }
  | { kind: 'fail'; reason: string; errorCode: string; status: 'failed' | 'timed_out' }
  | { kind: 'end-tests'; status: 'failed' | 'timed_out'; errorCode: string; reason: string; left: string[] }
  | { kind: 'record-tests-passed'; test: TestStage }
  | { kind: 'start-tests'; image: Image }
  | { kind: 'distribute'; image: Image }
  | { kind: 'publish'; imageId: string; images: Record<string, string>; left: string[] };

/** "; left behind: rule x (AccessDeniedException)", or nothing. */
export const leftBehind = (left: readonly string[]) =>
  left.length > 0 ? `; left behind: ${left.join(', ')}` : '';

/** Whether every EBS volume of the image has its snapshot (the instance may go then). */
function snapshotsExist(image: Image | null | undefined): boolean {
  const ebs = (image?.BlockDeviceMappings ?? []).filter((m) => m.Ebs);
  return ebs.length > 0 && ebs.every((m) => Boolean(m.Ebs?.SnapshotId));
}

export function planSettle(facts: SettleFacts): SettleStep {
  return facts.build.status === 'testing' ? planTests(facts) : planImage(facts);
}

/** The build ends: after its instances and rule are removed, with what could not be named. */
function end(
  facts: SettleFacts,
  reason: string,
  errorCode: string,
  status: 'failed' | 'timed_out' = 'failed',
): SettleStep {
  if (!facts.left) return { kind: 'clean-up', of: 'build' };
  return { kind: 'fail', reason: `${reason}${leftBehind(facts.left)}`, errorCode, status };
}

/** A build whose instance stopped (`building`), or whose image was requested (`imaging`). */
function planImage(facts: SettleFacts): SettleStep {
  const { build } = facts;
  const { buildId } = build;
  let imageId = build.imageId;
  if (build.status === 'building') {
    const { report } = facts;
    if (!report) return { kind: 'read-report', stage: 'build' };
    if ('waiting' in report) {
      const result = { outcome: 'waiting' as const, buildId, reason: report.waiting };
      return { kind: 'wait', result, warn: 'report not attested yet: instance and rule kept' };
    }
    if (!report.succeeded) {
      const status = report.errorCode === 'CustomisationTimedOut' ? 'timed_out' : 'failed';
      return end(facts, `${report.reason}; log: ${build.logLocation ?? 'none'}`, report.errorCode, status);
    }
    if (!facts.made) return { kind: 'make-image' };
    if ('error' in facts.made) {
      const { error } = facts.made;
      const ours = error instanceof AmiBakeError;
      const reason = `CreateImage failed: ${ours ? error.message : describeError(error)}`;
      return end(facts, reason, ours ? error.code : (awsErrorName(error) ?? 'CreateImageFailed'));
    }
    imageId = facts.made.imageId;
  }
  if (!imageId) {
    if (!facts.recovered) return { kind: 'recover-image' };
    if ('error' in facts.recovered)
      return end(facts, facts.recovered.error.message, facts.recovered.error.code);
    imageId = facts.recovered.imageId;
    if (!imageId) return end(facts, 'the requested image no longer exists (deregistered?)', 'ImageLost');
  }
  // Described once: the image's state change event resumes the build (the sweep, if it is lost).
  if (facts.image === undefined) return { kind: 'describe-image', imageId };
  const { image } = facts;
  if (!image && facts.now.getTime() - Date.parse(build.updatedAt) > IMAGE_VISIBILITY_MS) {
    return end(facts, `image ${imageId} no longer exists (deregistered?)`, 'ImageLost');
  }
  if (image?.State === 'failed') {
    return end(
      facts,
      `image ${imageId} failed: ${image.StateReason?.Message ?? 'no reason given'}`,
      'ImageFailed',
    );
  }
  if (!snapshotsExist(image)) {
    const result = { outcome: 'imaging' as const, buildId, imageId, reason: 'snapshots not created yet' };
    return { kind: 'wait', result, warn: 'snapshots not ready: instance kept until the next sweep' };
  }
  if (!facts.left) return { kind: 'clean-up', of: 'build' };
  if (image?.State !== 'available') {
    const reason = `image is ${image?.State ?? 'not visible yet'}`;
    return { kind: 'wait', result: { outcome: 'imaging', buildId, imageId, reason } };
  }
  if (!testsPassed(build.test)) return { kind: 'start-tests', image };
  const { distribution } = facts;
  if (!distribution) return { kind: 'distribute', image };
  if (distribution.state === 'pending') {
    return { kind: 'wait', result: { outcome: 'imaging', buildId, imageId, reason: distribution.reason } };
  }
  if (distribution.state === 'failed') {
    return end(facts, distribution.reason, distribution.errorCode ?? 'ImageCopyFailed');
  }
  return { kind: 'publish', imageId, images: distribution.images, left: facts.left };
}

/**
 * The test instance stopped (or the sweep found it stopped): a pass returns the build to
 * `imaging` with the outcome recorded, and goes on to copies and publication; a failure ends it.
 */
function planTests(facts: SettleFacts): SettleStep {
  const { build, report } = facts;
  const { buildId, test } = build;
  if (!test?.instanceId) {
    return {
      kind: 'wait',
      result: { outcome: 'waiting', buildId, reason: 'test instance not launched yet' },
    };
  }
  if (!report) return { kind: 'read-report', stage: 'test' };
  if ('waiting' in report) {
    const result = { outcome: 'waiting' as const, buildId, reason: report.waiting };
    return { kind: 'wait', result, warn: 'test report not attested yet: test instance and rule kept' };
  }
  if (!facts.left) return { kind: 'clean-up', of: 'test' };
  if (!report.succeeded) {
    const timedOut = report.errorCode === 'TestsTimedOut';
    const own = report.errorCode === 'TestsFailed' || timedOut;
    return {
      kind: 'end-tests',
      status: timedOut ? 'timed_out' : 'failed',
      errorCode: timedOut ? 'TestsTimedOut' : 'TestsFailed',
      reason: `${own ? '' : `${report.errorCode}: `}${report.reason}`,
      left: facts.left,
    };
  }
  const outcome = build.recipe.test.script ? ('passed' as const) : ('boot-only' as const);
  return { kind: 'record-tests-passed', test: { ...test, outcome } };
}

/** What a stop event of each of a build's instances needs: the instance it names, and the build's status. */
const STOP_STAGES = {
  build: {
    instanceOf: (build: BuildRecord) => build.instanceId,
    statuses: ['building', 'imaging'],
    what: 'instance',
    notOurs: (build: BuildRecord) => `this build's (${build.instanceId})`,
  },
  test: {
    instanceOf: (build: BuildRecord) => build.test?.instanceId,
    statuses: ['testing'],
    what: 'test instance',
    notOurs: (build: BuildRecord) => `this build's test instance (${build.test?.instanceId ?? 'none yet'})`,
  },
} as const;

/**
 * Whether a stop event settles its build: the build exists, the event names the stage's
 * instance, and the build is in that stage. Then, unless the build is imaging already, the
 * instance must really be stopped (`instanceState` once described; null: gone).
 */
export function planStopEvent(
  event: StoppedEvent,
  build: BuildRecord | undefined,
  instanceState?: string | null,
):
  | { kind: 'ignore'; reason: string }
  | { kind: 'describe-instance'; build: BuildRecord }
  | { kind: 'settle'; build: BuildRecord } {
  if (!build) return { kind: 'ignore', reason: 'no such build' };
  const stage = STOP_STAGES[event.stage];
  if (stage.instanceOf(build) !== event.instanceId)
    return { kind: 'ignore', reason: `instance ${event.instanceId} is not ${stage.notOurs(build)}` };
  if (!(stage.statuses as readonly string[]).includes(build.status))
    return { kind: 'ignore', reason: `build is already ${build.status}` };
  if (build.status === 'imaging') return { kind: 'settle', build };
  if (instanceState === undefined) return { kind: 'describe-instance', build };
  if (instanceState !== 'stopped') {
    const reason = `${stage.what} ${event.instanceId} is ${instanceState ?? 'gone'}, not stopped`;
    return { kind: 'ignore', reason };
  }
  return { kind: 'settle', build };
}

/** What is known of an image state event: the image once described, its build once read (null: none). */
export interface ImageEventFacts {
  event: ImageStateEvent;
  /** This deployment's name and home region. */
  deployment: string;
  region: string;
  image?: Image | null;
  build?: BuildRecord | null;
}

/**
 * Whether an image's state change resumes a build: a settled state, of an image of this
 * deployment, that an imaging build waits for (its image, or a copy in one of its regions).
 * The rule matches every AMI of the account and region: any other image is ignored after one
 * DescribeImages.
 */
export function planImageEvent(
  facts: ImageEventFacts,
):
  | { kind: 'ignore'; reason: string; buildId?: string }
  | { kind: 'describe-image' }
  | { kind: 'read-build'; buildId: string }
  | { kind: 'settle'; build: BuildRecord } {
  const { event, image, build } = facts;
  if (!(SETTLED_IMAGE_STATES as readonly string[]).includes(event.state))
    return { kind: 'ignore', reason: `state ${event.state} ends no wait` };
  if (image === undefined) return { kind: 'describe-image' };
  if (!image) return { kind: 'ignore', reason: `not visible in ${event.region}` };
  const tag = (key: string) => image.Tags?.find((t) => t.Key === key)?.Value;
  if (tag(DEPLOYMENT_TAG) !== facts.deployment)
    return { kind: 'ignore', reason: 'not an image of this deployment' };
  const buildId = tag(BUILD_ID_TAG);
  if (!buildId) return { kind: 'ignore', reason: 'no build (untagged)' };
  if (build === undefined) return { kind: 'read-build', buildId };
  if (!build) return { kind: 'ignore', reason: `no build ${buildId}` };
  if (build.status !== 'imaging') return { kind: 'ignore', buildId, reason: `build is ${build.status}` };
  const expected =
    event.region === facts.region
      ? build.imageId === event.imageId
      : build.recipe.distribution.copies.some((c) => c.region === event.region);
  if (!expected) {
    const reason = `image ${event.imageId} in ${event.region} is not one the build waits for`;
    return { kind: 'ignore', buildId, reason };
  }
  return { kind: 'settle', build };
}
