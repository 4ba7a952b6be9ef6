import type { CloudWatchEventsClient } from '@aws-sdk/client-cloudwatch-events';
import type { EC2Client, Image } from '@aws-sdk/client-ec2';
import type { S3Client } from '@aws-sdk/client-s3';
import { removeBuildRule } from '../shared/aws/build-rule';
import { type BuildsTable, finishBuild, getBuild, updateBuild } from '../shared/aws/builds-table';
import { createImage, describeImage, findImagesByTag, snapshotsExist } from '../shared/aws/images';
import { describeInstance, terminateInstance } from '../shared/aws/instances';
import { getText } from '../shared/aws/objects';
import { type BuildRecord, buildReportKeys } from '../shared/build-record';
import { awsErrorName, describeError } from '../shared/errors';
import { failBuild } from '../shared/fail-build';
import type { Logger } from '../shared/logger';
import { outcomeOf } from './build-report';
import { createImageInput } from './image-spec';
import type { StoppedEvent } from './stopped-event';

export interface CompleteDeps {
  ec2: EC2Client;
  s3: S3Client;
  events: CloudWatchEventsClient;
  table: BuildsTable;
  log: Logger;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  /** Milliseconds this invocation may still spend waiting (Lambda's remaining time less a margin). */
  remainingMs: () => number;
}

export interface CompleteSettings {
  bucket: string;
  logPrefix: string;
  pollIntervalMs: number;
}

export type CompleteResult =
  | { outcome: 'succeeded'; buildId: string; imageId: string }
  | { outcome: 'imaging'; buildId: string; imageId: string; reason: string }
  | { outcome: 'failed'; buildId: string; reason: string }
  | { outcome: 'ignored'; buildId: string; reason: string };

/** Turns a stopped build instance into an AMI (or a failed build), then removes what the build left. */
export async function completeBuild(
  deps: CompleteDeps,
  settings: CompleteSettings,
  event: StoppedEvent,
): Promise<CompleteResult> {
  const { buildId } = event;
  const build = await getBuild(deps.table, buildId);
  if (!build) return { outcome: 'ignored', buildId, reason: 'no such build' };
  if (build.instanceId !== event.instanceId) {
    return {
      outcome: 'ignored',
      buildId,
      reason: `instance ${event.instanceId} is not this build's (${build.instanceId})`,
    };
  }
  if (build.status !== 'building')
    return { outcome: 'ignored', buildId, reason: `build is already ${build.status}` };
  const instance = await describeInstance(deps.ec2, event.instanceId);
  if (instance?.State?.Name !== 'stopped') {
    return {
      outcome: 'ignored',
      buildId,
      reason: `instance ${event.instanceId} is ${instance?.State?.Name ?? 'gone'}, not stopped`,
    };
  }

  const keys = buildReportKeys(settings.logPrefix, buildId);
  const outcome = outcomeOf(await getText(deps.s3, { bucket: settings.bucket, key: keys.status }), buildId);
  if (!outcome.succeeded) {
    await cleanUp(deps, build);
    return failBuild(
      deps,
      build,
      `${outcome.reason}; log: ${build.logLocation ?? 'none'}`,
      outcome.errorCode,
    );
  }

  let imageId: string;
  try {
    imageId = await imageOf(deps, build, event.instanceId);
  } catch (error) {
    await cleanUp(deps, build);
    return failBuild(
      deps,
      build,
      `CreateImage failed: ${describeError(error)}`,
      awsErrorName(error) ?? 'CreateImageFailed',
    );
  }
  const image = await waitForImage(deps, settings, imageId);
  if (!snapshotsExist(image)) {
    deps.log.warn('snapshots not ready: instance kept until the next sweep', { buildId, imageId });
    return { outcome: 'imaging', buildId, imageId, reason: 'snapshots not created yet' };
  }
  await cleanUp(deps, build);
  if (image?.State === 'failed') {
    return failBuild(
      deps,
      build,
      `image ${imageId} failed: ${image.StateReason?.Message ?? 'no reason given'}`,
      'ImageFailed',
    );
  }
  if (image?.State !== 'available') {
    return { outcome: 'imaging', buildId, imageId, reason: `image is ${image?.State ?? 'not visible yet'}` };
  }
  await finishBuild(deps.table, build, 'succeeded', { imageId, reason: 'image available' }, deps.now());
  deps.log.info('image created', {
    buildId,
    imageId,
    instanceId: event.instanceId,
    recipe: build.recipeName,
  });
  return { outcome: 'succeeded', buildId, imageId };
}

/** The build's image: the one already made for this build id (a repeated event), or a new one. */
async function imageOf(deps: CompleteDeps, build: BuildRecord, instanceId: string): Promise<string> {
  const existing = (await findImagesByTag(deps.ec2, 'amibake:build-id', build.buildId))[0]?.ImageId;
  if (existing) return existing;
  const input = createImageInput(build, instanceId, deps.now());
  const imageId = await createImage(deps.ec2, input);
  await updateBuild(
    deps.table,
    build.buildId,
    'building',
    { status: 'imaging', imageId, imageName: input.Name },
    deps.now(),
  );
  deps.log.info('image requested', { buildId: build.buildId, imageId, imageName: input.Name });
  return imageId;
}

/** Polls until the image is available or failed, giving up when the invocation's time runs short. */
async function waitForImage(
  deps: CompleteDeps,
  settings: CompleteSettings,
  imageId: string,
): Promise<Image | undefined> {
  for (;;) {
    const image = await describeImage(deps.ec2, imageId);
    const settled = image?.State === 'available' || image?.State === 'failed';
    if (settled || deps.remainingMs() < settings.pollIntervalMs) return image;
    await deps.sleep(settings.pollIntervalMs);
  }
}

async function cleanUp(deps: CompleteDeps, build: BuildRecord): Promise<void> {
  if (build.ruleName) await removeBuildRule(deps.events, build.ruleName);
  if (build.instanceId) await terminateInstance(deps.ec2, build.instanceId);
}
