import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { EC2Client, Image, Instance } from '@aws-sdk/client-ec2';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
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
} from '../shared/aws/images';
import { describeInstance } from '../shared/aws/instances';
import { getParameterValues, putImageParameter, removeParameter } from '../shared/aws/parameters';
import { deprecateImage, deregisterWithSnapshots } from '../shared/aws/retention';
import type { BuildRecord } from '../shared/build-record';
import { AmiBakeError, awsErrorName, describeError, isRefusedForGood } from '../shared/errors';
import { type EndedOutcome, failBuild } from '../shared/fail-build';
import type { Logger } from '../shared/logger';
import type { Notify } from '../shared/notification';
import { planCandidateAfterFailedTests } from '../shared/plan-promotion';
import { retireImages } from '../shared/retire-images';
import { BUILD_ID_TAG, TESTS_TAG } from '../shared/tags';
import { updateConsumers } from '../shared/update-consumers';
import { cleanUp } from './clean-up';
import { distribute, type RegionalClients } from './distribute';
import { sortImages } from './image-provenance';
import { createImageInput } from './image-spec';
import type { ImageStateEvent } from './image-state-event';
import { packageChanges } from './package-changes';
import {
  type ImageEventFacts,
  leftBehind,
  planImageEvent,
  planSettle,
  planStopEvent,
  type SettleFacts,
  type SettleStep,
} from './plan-settle';
import { readReport } from './read-report';
import type { StoppedEvent } from './stopped-event';

export interface CompleteDeps {
  ec2: EC2Client;
  s3: S3Client;
  ssm: SSMClient;
  events: EventBridgeClient;
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
  const first = planStopEvent(event, build);
  if (first.kind === 'ignore') return { outcome: 'ignored', buildId, reason: first.reason };
  return untilRefused(deps, first.build, async () => {
    if (first.kind === 'settle') return settleSteps(deps, settings, first.build);
    const instance = await describeInstance(deps.ec2, event.instanceId);
    // Described: the plan now settles or ignores.
    const next = planStopEvent(event, build, instance?.State?.Name ?? null);
    if (next.kind === 'ignore') return { outcome: 'ignored', buildId, reason: next.reason };
    return settleSteps(deps, settings, first.build, instance);
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
  const facts: ImageEventFacts = { event, deployment: settings.deployment, region: settings.region };
  for (;;) {
    const step = planImageEvent(facts);
    switch (step.kind) {
      case 'ignore':
        return step.buildId
          ? { outcome: 'ignored', buildId: step.buildId, reason: step.reason }
          : { outcome: 'ignored', imageId: event.imageId, reason: step.reason };
      case 'describe-image':
        facts.image = (await describeImage(deps.regional(event.region).ec2, event.imageId)) ?? null;
        break;
      case 'read-build':
        facts.build = (await getBuild(deps.table, step.buildId)) ?? null;
        break;
      case 'settle':
        deps.log.info('image state changed: build resumed', {
          buildId: step.build.buildId,
          imageId: event.imageId,
          region: event.region,
          state: event.state,
        });
        return settleBuild(deps, settings, step.build);
    }
  }
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

/**
 * Applies the settle plan (plan-settle.ts) until a step ends the invocation. `instance`, when
 * the caller has described it already, spares reading it again.
 */
async function settleSteps(
  deps: CompleteDeps,
  settings: CompleteSettings,
  build: BuildRecord,
  instance?: Instance,
): Promise<CompleteResult> {
  let facts: SettleFacts = { build, now: deps.now() };
  for (;;) {
    const step = planSettle(facts);
    const { buildId } = facts.build;
    switch (step.kind) {
      case 'read-report':
        facts.report = await readReport(deps, settings, facts.build, instance, step.stage);
        break;
      case 'make-image':
        facts.made = await imageOf(deps, settings, facts.build);
        break;
      case 'recover-image':
        facts.recovered = await recoverImage(deps, settings, facts.build);
        break;
      case 'describe-image':
        facts.image = (await describeImage(deps.ec2, step.imageId)) ?? null;
        break;
      case 'clean-up':
        facts.left = await cleanUp(
          deps,
          step.of === 'test' ? { ruleName: facts.build.ruleName, test: facts.build.test } : facts.build,
        );
        break;
      case 'wait':
        if (step.warn) deps.log.warn(step.warn, { ...step.result });
        return step.result;
      case 'fail':
        return failBuild(deps, facts.build, step.reason, step.errorCode, step.status);
      case 'end-tests':
        return endTests(deps, facts.build, step.status, step.errorCode, step.reason, step.left);
      case 'record-tests-passed': {
        const changes = { status: 'imaging' as const, test: step.test };
        if (!(await updateBuild(deps.table, buildId, 'testing', changes, deps.now()))) {
          return { outcome: 'ignored', buildId, reason: 'the build moved on while its tests were read' };
        }
        deps.log.info('tests passed', {
          buildId,
          outcome: step.test.outcome,
          instanceId: step.test.instanceId,
        });
        // The build goes on as imaging, from what EC2 says now.
        facts = { build: { ...facts.build, ...changes }, now: deps.now() };
        instance = undefined;
        break;
      }
      case 'start-tests':
        return startTests(deps, facts.build, step.image);
      case 'distribute':
        facts.distribution = await distribute(deps, settings, facts.build, step.image);
        break;
      case 'publish':
        return publish(deps, settings, facts.build, step);
    }
  }
}

/** The image passed its tests and reached every region: published, recorded, announced. */
async function publish(
  deps: CompleteDeps,
  settings: CompleteSettings,
  build: BuildRecord,
  { imageId, images, left }: Extract<SettleStep, { kind: 'publish' }>,
): Promise<CompleteResult> {
  const { buildId } = build;
  await publishImage(deps, build, images);
  if (left.length > 0) deps.log.error('build resources left behind', { buildId, left });
  const changes = { imageId, copies: images, reason: `image available${leftBehind(left)}` };
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
      images,
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
  const channel = build.imageId ? await withdrawCandidate(deps, build, build.imageId, left) : '';
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
  return failBuild(deps, build, `${reason}${where}${kept}${channel}${leftBehind(left)}`, errorCode, status, {
    test,
  });
}

/**
 * Takes the failed image off the candidate channel (see planCandidateAfterFailedTests), and says
 * where the channel went, for the build's reason. A refusal for good is left behind, named.
 */
async function withdrawCandidate(
  deps: CompleteDeps,
  build: BuildRecord,
  failed: string,
  left: string[],
): Promise<string> {
  const { candidateParameter, parameter } = build.recipe.lifecycle;
  try {
    const values = await getParameterValues(deps.ssm, [candidateParameter, parameter]);
    const plan = planCandidateAfterFailedTests({
      failed,
      candidate: values.get(candidateParameter),
      published: values.get(parameter),
    });
    if (plan.kind === 'keep') return '';
    if (plan.kind === 'point') {
      await putImageParameter(deps.ssm, candidateParameter, plan.imageId);
      return `; candidate ${candidateParameter} back to the published ${plan.imageId}`;
    }
    await removeParameter(deps.ssm, candidateParameter);
    return `; candidate ${candidateParameter} removed (no tested image published yet)`;
  } catch (error) {
    if (!isRefusedForGood(error)) throw error;
    left.push(`candidate ${candidateParameter} still on ${failed} (${awsErrorName(error)})`);
    return '';
  }
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
