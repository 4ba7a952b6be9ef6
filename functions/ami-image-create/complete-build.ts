import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { CloudWatchEventsClient } from '@aws-sdk/client-cloudwatch-events';
import type { EC2Client, Image, Instance } from '@aws-sdk/client-ec2';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { type BuildsTable, finishBuild, getBuild, updateBuild } from '../shared/aws/builds-table';
import { requireImdsV2 } from '../shared/aws/distribution';
import {
  createImage,
  describeImage,
  findImageByName,
  findImagesByTag,
  markImage,
  snapshotsExist,
} from '../shared/aws/images';
import { describeInstance } from '../shared/aws/instances';
import { putImageParameter } from '../shared/aws/parameters';
import { deprecateImage, deregisterWithSnapshots } from '../shared/aws/retention';
import { type BuildRecord, testsPassed } from '../shared/build-record';
import { AmiBakeError, awsErrorName, describeError, isRefusedForGood } from '../shared/errors';
import { type EndedOutcome, failBuild } from '../shared/fail-build';
import type { Logger } from '../shared/logger';
import type { Notify } from '../shared/notification';
import { retireImages } from '../shared/retire-images';
import { BUILD_ID_TAG, DEPLOYMENT_TAG, TESTS_TAG } from '../shared/tags';
import { updateConsumers } from '../shared/update-consumers';
import { cleanUp, leftBehind } from './clean-up';
import { distribute, type RegionalClients } from './distribute';
import { sortImages } from './image-provenance';
import { createImageInput } from './image-spec';
import { type ImageStateEvent, SETTLED_IMAGE_STATES } from './image-state-event';
import { packageChanges } from './package-changes';
import { readReport } from './read-report';
import type { StoppedEvent } from './stopped-event';

/**
 * An image CreateImage returned shows in DescribeImages within seconds; one still not visible
 * this long after the build started imaging was deregistered.
 */
const IMAGE_VISIBILITY_MS = 5 * 60_000;

export interface CompleteDeps {
  ec2: EC2Client;
  s3: S3Client;
  ssm: SSMClient;
  events: CloudWatchEventsClient;
  table: BuildsTable;
  log: Logger;
  now: () => Date;
  notify?: Notify | undefined;
  /** Clients of another region, for copies. */
  regional: (region: string) => RegionalClients;
  /** Rolls the recipe's Auto Scaling groups to a newly published image. */
  autoscaling: AutoScalingClient;
  /** Asks ami_ec2_instance_create to launch the build's test instance (an asynchronous invoke). */
  requestTest: (buildId: string) => Promise<void>;
}

export interface CompleteSettings {
  bucket: string;
  logPrefix: string;
  /** The deployment's name prefix, tagged on the image. */
  deployment: string;
  /** The home region, where builds run. */
  region: string;
}

export type CompleteResult =
  | { outcome: 'succeeded'; buildId: string; imageId: string }
  | { outcome: 'testing'; buildId: string; imageId: string; reason: string }
  | { outcome: 'imaging'; buildId: string; imageId: string; reason: string }
  | { outcome: 'waiting'; buildId: string; reason: string }
  | { outcome: 'failed' | 'timed_out'; buildId: string; reason: string }
  | { outcome: 'ignored'; buildId: string; reason: string };

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
 * Handles the stop event of a build instance, or of its test instance (whose report decides
 * whether the image is published). Safe to receive any number of times: a build already
 * imaging resumes where it was, and a final build is left alone.
 */
export async function completeBuild(
  deps: CompleteDeps,
  settings: CompleteSettings,
  event: StoppedEvent,
): Promise<CompleteResult> {
  const { buildId } = event;
  const build = await getBuild(deps.table, buildId);
  if (!build) return { outcome: 'ignored', buildId, reason: 'no such build' };
  const stage = STOP_STAGES[event.stage];
  if (stage.instanceOf(build) !== event.instanceId) {
    return {
      outcome: 'ignored',
      buildId,
      reason: `instance ${event.instanceId} is not ${stage.notOurs(build)}`,
    };
  }
  if (!(stage.statuses as readonly string[]).includes(build.status)) {
    return { outcome: 'ignored', buildId, reason: `build is already ${build.status}` };
  }
  return untilRefused(deps, build, async () => {
    if (build.status === 'imaging') return settleSteps(deps, settings, build);
    const instance = await describeInstance(deps.ec2, event.instanceId);
    if (instance?.State?.Name !== 'stopped') {
      return {
        outcome: 'ignored',
        buildId,
        reason: `${stage.what} ${event.instanceId} is ${instance?.State?.Name ?? 'gone'}, not stopped`,
      };
    }
    return settleSteps(deps, settings, build, instance);
  });
}

/**
 * Handles an image's state change (the build's image, or one of its copies): a wake-up only.
 * The image must carry this deployment's tags and belong to a build that is imaging; the build
 * is then settled as the sweep would, from what EC2 says now. Any other image is ignored after
 * one DescribeImages: the rule matches every AMI of the account and region.
 */
export async function resumeImaging(
  deps: CompleteDeps,
  settings: CompleteSettings,
  event: ImageStateEvent,
): Promise<CompleteResult | { outcome: 'ignored'; imageId: string; reason: string }> {
  const { imageId, region } = event;
  const ignored = (reason: string) => ({ outcome: 'ignored' as const, imageId, reason });
  if (!(SETTLED_IMAGE_STATES as readonly string[]).includes(event.state)) {
    return ignored(`state ${event.state} ends no wait`);
  }
  const image = await describeImage(deps.regional(region).ec2, imageId);
  const tag = (key: string) => image?.Tags?.find((t) => t.Key === key)?.Value;
  if (!image) return ignored(`not visible in ${region}`);
  if (tag(DEPLOYMENT_TAG) !== settings.deployment) return ignored('not an image of this deployment');
  const buildId = tag(BUILD_ID_TAG);
  const build = buildId ? await getBuild(deps.table, buildId) : undefined;
  if (!build) return ignored(`no build ${buildId ?? '(untagged)'}`);
  if (build.status !== 'imaging')
    return { outcome: 'ignored', buildId: build.buildId, reason: `build is ${build.status}` };
  const expected =
    region === settings.region
      ? build.imageId === imageId
      : build.recipe.distribution.copies.some((c) => c.region === region);
  if (!expected) {
    return {
      outcome: 'ignored',
      buildId: build.buildId,
      reason: `image ${imageId} in ${region} is not one the build waits for`,
    };
  }
  deps.log.info('image state changed: build resumed', {
    buildId: build.buildId,
    imageId,
    region,
    state: event.state,
  });
  return settleBuild(deps, settings, build);
}

/**
 * Takes a build whose instance has stopped (`building`) or whose image was requested
 * (`imaging`) as far as it can go: image, clean-up and final record. Each step checks what
 * exists first, so a crash anywhere is resumed by the next event or sweep.
 */
export function settleBuild(
  deps: CompleteDeps,
  settings: CompleteSettings,
  build: BuildRecord,
): Promise<CompleteResult> {
  return untilRefused(deps, build, () => settleSteps(deps, settings, build));
}

/** Runs the steps of a build; a refusal no retry will change ends the build instead of failing the invocation. */
async function untilRefused(
  deps: CompleteDeps,
  build: BuildRecord,
  steps: () => Promise<CompleteResult>,
): Promise<CompleteResult> {
  try {
    return await steps();
  } catch (error) {
    if (!isRefusedForGood(error)) throw error;
    return endRefused(deps, build, error);
  }
}

/**
 * A call the build needs was refused for good (a permission removed, a quota, a validation
 * error): waiting cannot help, so the build ends `failed` with the refusal's code, after removing
 * what it can, and its image (made but never published) is deregistered. Only a refused write of
 * the record itself leaves the build in flight, loudly: every attempt fails.
 */
async function endRefused(deps: CompleteDeps, build: BuildRecord, error: unknown): Promise<CompleteResult> {
  const left = await cleanUp(deps, build);
  const latest = (await getBuild(deps.table, build.buildId).catch(() => undefined)) ?? build;
  if (latest.imageId) {
    try {
      const image = await describeImage(deps.ec2, latest.imageId);
      if (image) await deregisterWithSnapshots(deps.ec2, image);
    } catch (removal) {
      if (!isRefusedForGood(removal)) throw removal;
      left.push(`image ${latest.imageId} (${awsErrorName(removal)})`);
    }
  }
  const reason = `${describeError(error)}: refused, and no retry will change that${leftBehind(left)}`;
  return failBuild(deps, latest, reason, awsErrorName(error) ?? 'Refused');
}

/** `instance`, when the caller has described it already, spares reading it again. */
async function settleSteps(
  deps: CompleteDeps,
  settings: CompleteSettings,
  build: BuildRecord,
  instance?: Instance,
): Promise<CompleteResult> {
  const { buildId } = build;
  if (build.status === 'testing') return settleTest(deps, settings, build, instance);
  let imageId = build.imageId;
  if (build.status === 'building') {
    const outcome = await readReport(deps, settings, build, instance);
    if ('waiting' in outcome) {
      deps.log.warn('report not attested yet: instance and rule kept', { buildId, reason: outcome.waiting });
      return { outcome: 'waiting', buildId, reason: outcome.waiting };
    }
    if (!outcome.succeeded) {
      const left = await cleanUp(deps, build);
      const status = outcome.errorCode === 'CustomisationTimedOut' ? 'timed_out' : 'failed';
      return failBuild(
        deps,
        build,
        `${outcome.reason}; log: ${build.logLocation ?? 'none'}${leftBehind(left)}`,
        outcome.errorCode,
        status,
      );
    }
    const image = await imageOf(deps, settings, build);
    if ('error' in image) {
      const left = await cleanUp(deps, build);
      const { error } = image;
      const ours = error instanceof AmiBakeError;
      const reason = `CreateImage failed: ${ours ? error.message : describeError(error)}${leftBehind(left)}`;
      return failBuild(deps, build, reason, ours ? error.code : (awsErrorName(error) ?? 'CreateImageFailed'));
    }
    imageId = image.imageId;
  }
  if (!imageId) {
    const found = await recoverImage(deps, settings, build);
    if ('error' in found) {
      const left = await cleanUp(deps, build);
      return failBuild(deps, build, `${found.error.message}${leftBehind(left)}`, found.error.code);
    }
    imageId = found.imageId;
  }
  if (!imageId) {
    const left = await cleanUp(deps, build);
    return failBuild(
      deps,
      build,
      `the requested image no longer exists (deregistered?)${leftBehind(left)}`,
      'ImageLost',
    );
  }
  // Described once: the image's state change event resumes the build (the sweep, if it is lost).
  const image = await describeImage(deps.ec2, imageId);
  if (!image && deps.now().getTime() - Date.parse(build.updatedAt) > IMAGE_VISIBILITY_MS) {
    const left = await cleanUp(deps, build);
    return failBuild(
      deps,
      build,
      `image ${imageId} no longer exists (deregistered?)${leftBehind(left)}`,
      'ImageLost',
    );
  }
  if (image?.State === 'failed') {
    const left = await cleanUp(deps, build);
    const reason = `image ${imageId} failed: ${image.StateReason?.Message ?? 'no reason given'}${leftBehind(left)}`;
    return failBuild(deps, build, reason, 'ImageFailed');
  }
  if (!snapshotsExist(image)) {
    deps.log.warn('snapshots not ready: instance kept until the next sweep', { buildId, imageId });
    return { outcome: 'imaging', buildId, imageId, reason: 'snapshots not created yet' };
  }
  const left = await cleanUp(deps, build);
  if (image?.State !== 'available') {
    return { outcome: 'imaging', buildId, imageId, reason: `image is ${image?.State ?? 'not visible yet'}` };
  }
  if (!testsPassed(build.test)) return startTests(deps, build, image);
  const distributed = await distribute(deps, settings, build, image);
  if (distributed.state === 'pending')
    return { outcome: 'imaging', buildId, imageId, reason: distributed.reason };
  if (distributed.state === 'failed')
    return failBuild(deps, build, distributed.reason, distributed.errorCode ?? 'ImageCopyFailed');
  await publishImage(deps, build, distributed.images);
  if (left.length > 0) deps.log.error('build resources left behind', { buildId, left });
  const changes = { imageId, copies: distributed.images, reason: `image available${leftBehind(left)}` };
  const ended = await finishBuild(deps.table, build, 'succeeded', changes, deps.now());
  deps.log.info('image created', {
    buildId,
    imageId,
    instanceId: build.instanceId,
    recipe: build.recipeName,
  });
  if (ended) {
    const packages = await packageChanges(deps, settings, build);
    const consumers = await updateConsumers(
      deps,
      build.recipe.consumers,
      imageId,
      `amibake ${build.recipeName} ${build.buildId}`,
    );
    await deps.notify?.(build, {
      status: 'succeeded',
      reason: 'image available',
      imageId,
      images: distributed.images,
      ...(packages ? { packages } : {}),
      ...(consumers.length > 0 ? { consumers } : {}),
    });
    await retireOlder(deps, settings, build);
  }
  return { outcome: 'succeeded', buildId, imageId };
}

/**
 * The image is available: it becomes the recipe's candidate, and an instance launched from it
 * tests it before anything is published, copied or shared. The launch is ami_ec2_instance_create's
 * (asynchronous; the sweep ends a build whose test launch never came).
 */
async function startTests(deps: CompleteDeps, build: BuildRecord, image: Image): Promise<CompleteResult> {
  const { buildId } = build;
  const imageId = image.ImageId as string;
  // Before anything launches from it: instances of the image require IMDSv2 by default.
  await requireImdsV2(deps.ec2, image);
  await putImageParameter(deps.ssm, build.recipe.lifecycle.candidateParameter, imageId);
  const test = { requestedAt: deps.now().toISOString() };
  if (!(await updateBuild(deps.table, buildId, 'imaging', { status: 'testing', test }, deps.now()))) {
    return { outcome: 'ignored', buildId, reason: 'the build moved on before its tests started' };
  }
  await deps.requestTest(buildId);
  const what = build.recipe.test.script ? 'test instance' : 'boot check';
  deps.log.info('image available: candidate published, tests requested', {
    buildId,
    imageId,
    candidate: build.recipe.lifecycle.candidateParameter,
  });
  return { outcome: 'testing', buildId, imageId, reason: `${what} requested from ${imageId}` };
}

/**
 * The test instance stopped (or the sweep found it stopped): a pass returns the build to
 * `imaging` with the outcome recorded and goes on to copies and publication; a failure ends it.
 */
async function settleTest(
  deps: CompleteDeps,
  settings: CompleteSettings,
  build: BuildRecord,
  instance: Instance | undefined,
): Promise<CompleteResult> {
  const { buildId } = build;
  const test = build.test;
  if (!test?.instanceId) return { outcome: 'waiting', buildId, reason: 'test instance not launched yet' };
  const outcome = await readReport(deps, settings, build, instance, 'test');
  if ('waiting' in outcome) {
    deps.log.warn('test report not attested yet: test instance and rule kept', {
      buildId,
      reason: outcome.waiting,
    });
    return { outcome: 'waiting', buildId, reason: outcome.waiting };
  }
  const left = await cleanUp(deps, { ruleName: build.ruleName, test });
  if (!outcome.succeeded) {
    const timedOut = outcome.errorCode === 'TestsTimedOut';
    const own = outcome.errorCode === 'TestsFailed' || timedOut;
    const reason = `${own ? '' : `${outcome.errorCode}: `}${outcome.reason}`;
    const code = timedOut ? 'TestsTimedOut' : 'TestsFailed';
    return endTests(deps, build, timedOut ? 'timed_out' : 'failed', code, reason, left);
  }
  const passed = {
    ...test,
    outcome: build.recipe.test.script ? ('passed' as const) : ('boot-only' as const),
  };
  const changes = { status: 'imaging' as const, test: passed };
  if (!(await updateBuild(deps.table, buildId, 'testing', changes, deps.now()))) {
    return { outcome: 'ignored', buildId, reason: 'the build moved on while its tests were read' };
  }
  deps.log.info('tests passed', { buildId, outcome: passed.outcome, instanceId: test.instanceId });
  return settleSteps(deps, settings, { ...build, ...changes });
}

/**
 * Ends a build whose tests failed or timed out (by its report, or by the sweep): the image is
 * kept for examination, tagged `amibake:tests=failed`, and never published, copied or shared;
 * retention removes it after the recipe's test.keepFailedDays.
 */
export async function endTests(
  deps: CompleteDeps,
  build: BuildRecord,
  status: 'failed' | 'timed_out',
  errorCode: string,
  reason: string,
  left: string[],
): Promise<EndedOutcome> {
  if (build.imageId) {
    try {
      await markImage(deps.ec2, build.imageId, TESTS_TAG, 'failed');
    } catch (error) {
      if (!isRefusedForGood(error)) throw error;
      left.push(`tag ${TESTS_TAG} on ${build.imageId} (${awsErrorName(error)})`);
    }
  }
  const examineUntil = new Date(deps.now().getTime() + build.recipe.test.keepFailedDays * 86_400_000);
  const test = {
    ...(build.test ?? { requestedAt: deps.now().toISOString() }),
    outcome: status,
    examineUntil: examineUntil.toISOString(),
  };
  const where = build.test?.logLocation ? `; test log: ${build.test.logLocation}` : '';
  const kept = build.imageId
    ? `; image ${build.imageId} kept for examination until ${test.examineUntil}, not published`
    : '';
  return failBuild(deps, build, `${reason}${where}${kept}${leftBehind(left)}`, errorCode, status, { test });
}

/**
 * Before the build counts as succeeded, in every region it reached: the deprecation time, and
 * the parameter consumers resolve.
 */
async function publishImage(
  deps: CompleteDeps,
  build: BuildRecord,
  images: Record<string, string>,
): Promise<void> {
  const { lifecycle } = build.recipe;
  for (const [region, imageId] of Object.entries(images)) {
    const { ec2, ssm } = deps.regional(region);
    if (lifecycle.deprecateAfterDays !== undefined) {
      const at = new Date(deps.now().getTime() + lifecycle.deprecateAfterDays * 86_400_000);
      if (!(await deprecateImage(ec2, imageId, at))) {
        deps.log.warn('image deprecation not supported here', { buildId: build.buildId, imageId, region });
      }
    }
    await putImageParameter(ssm, lifecycle.parameter, imageId);
  }
}

/** Retention after a success; a failure here is logged, and the next success or `amibake retire` applies it. */
async function retireOlder(
  deps: CompleteDeps,
  settings: CompleteSettings,
  build: BuildRecord,
): Promise<void> {
  try {
    const { keep, parameter, candidateParameter } = build.recipe.lifecycle;
    const recipe = { name: build.recipeName, keep, parameter, candidateParameter };
    const regions = [settings.region, ...build.recipe.distribution.copies.map((c) => c.region)];
    for (const region of regions) {
      await retireImages(
        { ...deps.regional(region), table: deps.table, log: deps.log },
        settings.deployment,
        recipe,
        { region, homeRegion: settings.region },
        false,
        deps.now(),
      );
    }
  } catch (error) {
    deps.log.error('retention failed', { buildId: build.buildId, error });
  }
}

/**
 * The image a crash between CreateImage and its record left behind, found by the build's tag
 * and adopted only if EC2 says the build's instance made it (see image-provenance.ts). An image
 * that carries the tag without that proof fails the build, named: someone tagged it.
 */
async function recoverImage(
  deps: CompleteDeps,
  settings: CompleteSettings,
  build: BuildRecord,
): Promise<{ imageId: string | undefined } | { error: AmiBakeError }> {
  const tagged = await findImagesByTag(deps.ec2, BUILD_ID_TAG, build.buildId);
  const { own, impostors } = sortImages(tagged, build, settings.deployment, {
    kind: 'image',
    instanceId: build.instanceId,
  });
  if (impostors.length > 0) {
    deps.log.error('image with the build tag not made by the build', { buildId: build.buildId, impostors });
    return { error: impostorError(impostors) };
  }
  return { imageId: own?.ImageId };
}

function impostorError(impostors: string[]): AmiBakeError {
  return new AmiBakeError(
    `not adopted: ${impostors.join('; ')}: an image carries this build's tag without being its own; find who tagged it (CloudTrail CreateTags) and deregister it`,
    { code: 'ImageImpostor' },
  );
}

/**
 * The build's image: the one already made for it (a repeated event, or a crash after
 * CreateImage), else a new one. The name is the same on every attempt, so a CreateImage whose
 * answer was lost fails as a duplicate and the existing image is used if it is the build's own.
 * Only CreateImage's own refusal and impostors are returned as errors: anything else throws,
 * for Lambda to retry.
 */
async function imageOf(
  deps: CompleteDeps,
  settings: CompleteSettings,
  build: BuildRecord,
): Promise<{ imageId: string } | { error: unknown }> {
  const recovered = await recoverImage(deps, settings, build);
  if ('error' in recovered) return recovered;
  if (recovered.imageId) return { imageId: recovered.imageId };
  const input = createImageInput(build, build.instanceId ?? '', settings.deployment);
  let imageId: string;
  try {
    imageId = await createImage(deps.ec2, input);
  } catch (error) {
    const duplicate = awsErrorName(error) === 'InvalidAMIName.Duplicate' && input.Name;
    const found = duplicate ? await findImageByName(deps.ec2, input.Name as string) : undefined;
    const owner = found?.Tags?.find((t) => t.Key === BUILD_ID_TAG)?.Value;
    if (found?.ImageId && owner === build.buildId) {
      const { own, impostors } = sortImages([found], build, settings.deployment, {
        kind: 'image',
        instanceId: build.instanceId,
      });
      if (!own) return { error: impostorError(impostors) };
      imageId = found.ImageId;
    } else if (found?.ImageId) {
      const message = `the name "${input.Name}" is already used by ${found.ImageId} (${owner ? `build ${owner}` : 'not an amibake build'}): put {buildId} in the recipe's amiName, or deregister that image`;
      return { error: new AmiBakeError(message, { code: 'InvalidAMIName.Duplicate' }) };
    } else {
      return { error };
    }
  }
  await updateBuild(
    deps.table,
    build.buildId,
    'building',
    { status: 'imaging', imageId, imageName: input.Name },
    deps.now(),
  );
  deps.log.info('image requested', { buildId: build.buildId, imageId, imageName: input.Name });
  return { imageId };
}
