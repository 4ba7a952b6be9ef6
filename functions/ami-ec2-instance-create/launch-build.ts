import type { EC2Client, Image } from '@aws-sdk/client-ec2';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { S3Client } from '@aws-sdk/client-s3';
import { putBuildRule, removeBuildRule } from '../shared/aws/build-rule';
import { type BuildsTable, getBuild, updateBuild } from '../shared/aws/builds-table';
import { describeImage } from '../shared/aws/images';
import { runInstance, terminateInstance } from '../shared/aws/instances';
import { presignGet, presignPut, putText, readObject, s3Uri } from '../shared/aws/objects';
import { BOOT_MARGIN_MINUTES, type BuildRecord, buildReportKeys, type Stage } from '../shared/build-record';
import { buildRuleName } from '../shared/build-rule-name';
import { awsErrorName, describeError } from '../shared/errors';
import { type EndedOutcome, failBuild } from '../shared/fail-build';
import type { Logger } from '../shared/logger';
import type { Notify } from '../shared/notification';
import { sha256Hex } from '../shared/recipe-hash';
import { type LaunchDefaults, runInstancesInput, testRunInstancesInput } from './instance-spec';
import { type LaunchFacts, type LaunchStep, planLaunch } from './plan-launch';
import { instanceStoppedPattern, stoppedEventInput } from './rule-pattern';
import { fitsUserData, renderFetching, renderInline } from './user-data';

export interface LaunchDeps {
  ec2: EC2Client;
  s3: S3Client;
  /** Signs the build instance's URLs (see createPresigner). */
  presigner: S3Client;
  events: EventBridgeClient;
  table: BuildsTable;
  log: Logger;
  now: () => Date;
  notify?: Notify | undefined;
}

export interface LaunchSettings {
  bucket: string;
  logPrefix: string;
  imageCreateFunctionArn: string;
  defaults: LaunchDefaults;
  wrapperTemplate: string;
}

export type LaunchResult =
  | {
      outcome: 'launched';
      buildId: string;
      instanceId: string;
      ruleName: string;
      userData: 'inline' | 'fetch';
    }
  | EndedOutcome
  | { outcome: 'ignored'; buildId: string; reason: string };

/** The script of a fetching instance is read at boot: its URL expires once boot time is over. */
const SCRIPT_URL_SECONDS = BOOT_MARGIN_MINUTES * 60;

/**
 * Launches a pending build's instance and arms the rule that fires when it stops; or, for the
 * test stage, the test instance from the build's new image. The plan (plan-launch.ts) decides
 * each step from what has been read; this function reads what it asks for and acts.
 */
export async function launchBuild(
  deps: LaunchDeps,
  settings: LaunchSettings,
  buildId: string,
  stage: Stage = 'build',
): Promise<LaunchResult> {
  const facts: LaunchFacts = { buildId, stage, build: await getBuild(deps.table, buildId) };
  for (;;) {
    const step = planLaunch(facts);
    switch (step.kind) {
      case 'ignore':
        return { outcome: 'ignored', buildId, reason: step.reason };
      case 'fail':
        return failBuild(deps, step.build, step.reason, step.errorCode);
      case 'describe-image':
        facts.image = (await describeImage(deps.ec2, step.imageId)) ?? null;
        break;
      case 'read-script':
        facts.script = (await readObject(deps.s3, step.object, step.versionId))?.text ?? null;
        break;
      case 'launch':
        return launchInstance(deps, settings, step, stage);
    }
  }
}

/** How each stage's instance is launched and recorded. */
const LAUNCH_STAGES = {
  build: {
    input: (build: BuildRecord, image: Image, defaults: LaunchDefaults, userData: string) => {
      const root = image.BlockDeviceMappings?.find((m) => m.DeviceName === image.RootDeviceName);
      const volume = { rootDeviceName: image.RootDeviceName ?? '', rootVolumeSizeGiB: root?.Ebs?.VolumeSize };
      return runInstancesInput(build, volume, defaults, userData);
    },
    launchFailed: { message: 'RunInstances failed', code: 'RunInstancesFailed' },
    from: 'pending',
    launched: 'instance launched',
    armed: 'build rule armed',
    ended: 'build ended during launch: instance and rule removed',
    endedReason: 'the build ended while it was being launched',
  },
  test: {
    input: testRunInstancesInput,
    launchFailed: { message: 'RunInstances of the test instance failed', code: 'TestLaunchFailed' },
    from: 'testing',
    launched: 'test instance launched',
    armed: 'test rule armed',
    ended: 'build ended during the test launch: instance and rule removed',
    endedReason: 'the build ended while its test was being launched',
  },
} as const;

/**
 * The launch the plan decided: user data, the instance, the build's rule for its stop, then the
 * record. What this run made is removed when a later step fails or the build ended meanwhile.
 */
async function launchInstance(
  deps: LaunchDeps,
  settings: LaunchSettings,
  step: Extract<LaunchStep, { kind: 'launch' }>,
  stage: Stage,
): Promise<LaunchResult> {
  const { build, image } = step;
  const { buildId } = build;
  const how = LAUNCH_STAGES[stage];
  const log = deps.log.child({ buildId, recipe: build.recipeName, ...(stage === 'test' ? { stage } : {}) });
  const { userData, mode } = await renderUserData(deps, settings, build, step.script, {
    upload: true,
    stage,
  });
  let instanceId: string;
  try {
    instanceId = await runInstance(deps.ec2, how.input(build, image, settings.defaults, userData));
  } catch (error) {
    const reason = `${how.launchFailed.message}: ${describeError(error)}`;
    return failBuild(deps, build, reason, awsErrorName(error) ?? how.launchFailed.code);
  }
  log.info(how.launched, {
    instanceId,
    ...(stage === 'test' ? { imageId: image.ImageId } : {}),
    userData: mode,
  });
  const armed = await armRule(deps, settings, build, instanceId, stage);
  if (armed) return armed;

  const ruleName = buildRuleName(settings.defaults.deployment, buildId);
  const logLocation = s3Uri({
    bucket: settings.bucket,
    key: buildReportKeys(settings.logPrefix, buildId, stage).log,
  });
  const recorded = await updateBuild(
    deps.table,
    buildId,
    how.from,
    stage === 'test'
      ? {
          ruleName,
          test: {
            requestedAt: build.test?.requestedAt ?? deps.now().toISOString(),
            instanceId,
            logLocation,
            ...(step.scriptSha256 ? { scriptSha256: step.scriptSha256 } : {}),
          },
        }
      : {
          status: 'building',
          instanceId,
          ruleName,
          logLocation,
          // A base found through an SSM parameter is known by its id alone until now: record its name too.
          ...(!build.baseImageName && image.Name ? { baseImageName: image.Name } : {}),
        },
    deps.now(),
  );
  if (!recorded) {
    // The build ended meanwhile (the sweep gave up on its launch): what this run made must go.
    await removeBuildRule(deps.events, ruleName);
    await terminateInstance(deps.ec2, instanceId);
    log.warn(how.ended, { instanceId, ruleName });
    return { outcome: 'ignored', buildId, reason: how.endedReason };
  }
  log.info(how.armed, { instanceId, ruleName });
  return { outcome: 'launched', buildId, instanceId, ruleName, userData: mode };
}

/**
 * Arms the build's rule (one name per build: the build instance's rule is removed before the
 * test instance's is armed) for the stage's instance; on failure removes both and ends the build.
 */
async function armRule(
  deps: LaunchDeps,
  settings: LaunchSettings,
  build: BuildRecord,
  instanceId: string,
  stage: Stage,
): Promise<EndedOutcome | undefined> {
  const { buildId } = build;
  const ruleName = buildRuleName(settings.defaults.deployment, buildId);
  const what = stage === 'test' ? 'test the image of build' : 'image build';
  try {
    await putBuildRule(deps.events, {
      ruleName,
      description: `amibake: ${what} ${buildId} when instance ${instanceId} stops`,
      pattern: instanceStoppedPattern(instanceId),
      targetArn: settings.imageCreateFunctionArn,
      input: stoppedEventInput(buildId, stage),
    });
    return undefined;
  } catch (error) {
    await removeBuildRule(deps.events, ruleName);
    await terminateInstance(deps.ec2, instanceId);
    return failBuild(
      deps,
      build,
      `could not create rule ${ruleName}: ${describeError(error)}`,
      awsErrorName(error) ?? 'PutRuleFailed',
    );
  }
}

/**
 * The user data of a build: the wrapper with the script inline, or, past the 16 KB limit, with
 * a pre-signed GET of a copy under the build's prefix (`upload` false only shows it: `amibake render`).
 */
export async function renderUserData(
  deps: Pick<LaunchDeps, 's3' | 'presigner'>,
  settings: Pick<LaunchSettings, 'bucket' | 'logPrefix' | 'wrapperTemplate'>,
  build: Pick<BuildRecord, 'buildId' | 'recipe'>,
  script: string,
  options: { upload: boolean; stage?: Stage } = { upload: true },
): Promise<{ userData: string; mode: 'inline' | 'fetch' }> {
  const stage = options.stage ?? 'build';
  const keys = buildReportKeys(settings.logPrefix, build.buildId, stage);
  const timeoutMinutes = stage === 'test' ? build.recipe.test.timeoutMinutes : build.recipe.timeoutMinutes;
  // The report URLs are usable only as long as the instance may run (the sweep stops it then).
  const expires = (timeoutMinutes + BOOT_MARGIN_MINUTES) * 60;
  const values = {
    buildId: build.buildId,
    stage,
    timeoutSeconds: timeoutMinutes * 60,
    hygieneKeep: stage === 'test' ? [] : (build.recipe.hygiene?.keep ?? []),
    logUrl: await presignPut(deps.presigner, { bucket: settings.bucket, key: keys.log }, expires),
    statusUrl: await presignPut(deps.presigner, { bucket: settings.bucket, key: keys.status }, expires),
    packagesUrl:
      stage === 'test'
        ? ''
        : await presignPut(deps.presigner, { bucket: settings.bucket, key: keys.packages }, expires),
  };
  const inline = renderInline(settings.wrapperTemplate, values, script);
  if (fitsUserData(inline)) return { userData: inline, mode: 'inline' };
  const copy = { bucket: settings.bucket, key: keys.userData };
  if (options.upload) await putText(deps.s3, copy, script, 'text/x-shellscript');
  return {
    userData: renderFetching(
      settings.wrapperTemplate,
      values,
      await presignGet(deps.presigner, copy, SCRIPT_URL_SECONDS),
      sha256Hex(script),
    ),
    mode: 'fetch',
  };
}
