import type { CloudWatchEventsClient } from '@aws-sdk/client-cloudwatch-events';
import type { EC2Client, Image } from '@aws-sdk/client-ec2';
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
import { scriptObject, scriptUri } from '../shared/recipe';
import { sha256Hex } from '../shared/recipe-hash';
import { BUILD_ID_TAG } from '../shared/tags';
import { type LaunchDefaults, runInstancesInput, testRunInstancesInput } from './instance-spec';
import { instanceStoppedPattern, stoppedEventInput } from './rule-pattern';
import { fitsUserData, renderFetching, renderInline } from './user-data';

export interface LaunchDeps {
  ec2: EC2Client;
  s3: S3Client;
  /** Signs the build instance's URLs (see createPresigner). */
  presigner: S3Client;
  events: CloudWatchEventsClient;
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
 * test stage, the test instance from the build's new image.
 */
export async function launchBuild(
  deps: LaunchDeps,
  settings: LaunchSettings,
  buildId: string,
  stage: Stage = 'build',
): Promise<LaunchResult> {
  const build = await getBuild(deps.table, buildId);
  if (!build) return { outcome: 'ignored', buildId, reason: 'no such build' };
  if (stage === 'test') return launchTest(deps, settings, build);
  if (build.status !== 'pending')
    return { outcome: 'ignored', buildId, reason: `build is already ${build.status}` };
  const log = deps.log.child({ buildId, recipe: build.recipeName });

  const base = await describeImage(deps.ec2, build.baseImageId);
  if (!base?.RootDeviceName) {
    return failBuild(
      deps,
      build,
      `base image ${build.baseImageId} no longer exists (withdrawn by its owner?)`,
      'InvalidAMIID.NotFound',
    );
  }
  const script = await pinnedScript(deps, build);
  if ('problem' in script) return failBuild(deps, build, script.problem, script.errorCode);

  const { userData, mode } = await renderUserData(deps, settings, build, script.text);
  let instanceId: string;
  try {
    const root = base.BlockDeviceMappings?.find((m) => m.DeviceName === base.RootDeviceName);
    const input = runInstancesInput(
      build,
      { rootDeviceName: base.RootDeviceName, rootVolumeSizeGiB: root?.Ebs?.VolumeSize },
      settings.defaults,
      userData,
    );
    instanceId = await runInstance(deps.ec2, input);
  } catch (error) {
    return failBuild(
      deps,
      build,
      `RunInstances failed: ${describeError(error)}`,
      awsErrorName(error) ?? 'RunInstancesFailed',
    );
  }
  log.info('instance launched', { instanceId, userData: mode });

  const ruleName = buildRuleName(settings.defaults.deployment, buildId);
  const armed = await armRule(deps, settings, build, instanceId, 'build');
  if (armed) return armed;

  const logLocation = s3Uri({
    bucket: settings.bucket,
    key: buildReportKeys(settings.logPrefix, buildId).log,
  });
  // A base found through an SSM parameter is known by its id alone until now: record its name too.
  const named = !build.baseImageName && base.Name ? { baseImageName: base.Name } : {};
  const recorded = await updateBuild(
    deps.table,
    buildId,
    'pending',
    { status: 'building', instanceId, ruleName, logLocation, ...named },
    deps.now(),
  );
  if (!recorded) {
    // The build ended meanwhile (the sweep gave up on its launch): what this run made must go.
    await removeBuildRule(deps.events, ruleName);
    await terminateInstance(deps.ec2, instanceId);
    log.warn('build ended during launch: instance and rule removed', { instanceId, ruleName });
    return { outcome: 'ignored', buildId, reason: 'the build ended while it was being launched' };
  }
  log.info('build rule armed', { instanceId, ruleName });
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

/** What a test instance runs when the recipe has no test script: the image boots and runs user data. */
const BOOT_CHECK_SCRIPT =
  '#!/bin/sh\necho "boot check: the image booted and ran its user data (the recipe has no test script)"\n';

/**
 * The test stage's launch: an instance from the build's new image (available, this build's),
 * with the test wrapper around the recipe's test script (or the boot check), and the build's
 * rule armed for its stop. Idempotent: a build whose test instance is recorded is left alone,
 * and an instance launched twice (a retried invoke) is the same instance (ClientToken).
 */
async function launchTest(
  deps: LaunchDeps,
  settings: LaunchSettings,
  build: BuildRecord,
): Promise<LaunchResult> {
  const { buildId } = build;
  if (build.status !== 'testing')
    return { outcome: 'ignored', buildId, reason: `build is ${build.status}, not testing` };
  if (build.test?.instanceId)
    return { outcome: 'ignored', buildId, reason: `test instance ${build.test.instanceId} already launched` };
  const log = deps.log.child({ buildId, recipe: build.recipeName, stage: 'test' });
  const image = build.imageId ? await describeImage(deps.ec2, build.imageId) : undefined;
  const problem = testableImageProblem(image, buildId);
  if (problem || !image) {
    return failBuild(
      deps,
      build,
      `image ${build.imageId ?? '(none)'} ${problem}: it cannot be tested`,
      'TestLaunchFailed',
    );
  }
  const script = await testScript(deps, build);
  if ('problem' in script) return failBuild(deps, build, script.problem, 'TestScriptNotFound');
  const { userData, mode } = await renderUserData(deps, settings, build, script.text, {
    upload: true,
    stage: 'test',
  });
  let instanceId: string;
  try {
    instanceId = await runInstance(
      deps.ec2,
      testRunInstancesInput(build, image, settings.defaults, userData),
    );
  } catch (error) {
    return failBuild(
      deps,
      build,
      `RunInstances of the test instance failed: ${describeError(error)}`,
      awsErrorName(error) ?? 'TestLaunchFailed',
    );
  }
  log.info('test instance launched', { instanceId, imageId: image.ImageId, userData: mode });
  const armed = await armRule(deps, settings, build, instanceId, 'test');
  if (armed) return armed;
  const ruleName = buildRuleName(settings.defaults.deployment, buildId);
  const logLocation = s3Uri({
    bucket: settings.bucket,
    key: buildReportKeys(settings.logPrefix, buildId, 'test').log,
  });
  const test = {
    requestedAt: build.test?.requestedAt ?? deps.now().toISOString(),
    instanceId,
    logLocation,
    ...('sha256' in script ? { scriptSha256: script.sha256 } : {}),
  };
  if (!(await updateBuild(deps.table, buildId, 'testing', { test, ruleName }, deps.now()))) {
    await removeBuildRule(deps.events, ruleName);
    await terminateInstance(deps.ec2, instanceId);
    log.warn('build ended during the test launch: instance and rule removed', { instanceId, ruleName });
    return { outcome: 'ignored', buildId, reason: 'the build ended while its test was being launched' };
  }
  log.info('test rule armed', { instanceId, ruleName });
  return { outcome: 'launched', buildId, instanceId, ruleName, userData: mode };
}

/** Why an image cannot be tested (gone, not available, not this build's), or undefined. */
function testableImageProblem(image: Image | undefined, buildId: string): string | undefined {
  if (!image) return 'is gone';
  if (image.Tags?.find((t) => t.Key === BUILD_ID_TAG)?.Value !== buildId)
    return 'is not tagged with this build';
  if (image.State !== 'available') return `is ${image.State}`;
  return undefined;
}

/**
 * The recipe's test script as it is now (its SHA-256 is recorded with the test), or the boot
 * check. The stack records the digest of a project file: a script changed since is not run.
 */
async function testScript(
  deps: Pick<LaunchDeps, 's3'>,
  build: Pick<BuildRecord, 'recipe'>,
): Promise<{ text: string; sha256?: string } | { problem: string }> {
  const { test } = build.recipe;
  if (!test.script) return { text: BOOT_CHECK_SCRIPT };
  const uri = scriptUri(test.script);
  const read = await readObject(deps.s3, scriptObject(test.script));
  if (read === undefined)
    return { problem: `test script ${uri} does not exist: upload it, or fix the recipe's test.script` };
  const sha256 = sha256Hex(read.text);
  if (test.scriptSha256 && sha256 !== test.scriptSha256) {
    return {
      problem: `test script ${uri} has SHA-256 ${sha256}, not ${test.scriptSha256} as the stack uploaded it: it was changed outside the stack and is not run`,
    };
  }
  return { text: read.text, sha256 };
}

/**
 * The script the build was pinned to when it started: that S3 version, with that SHA-256. A
 * script replaced or rewritten since is not run: the next trigger run builds the new one.
 */
async function pinnedScript(
  deps: Pick<LaunchDeps, 's3'>,
  build: Pick<BuildRecord, 'recipe' | 'script'>,
): Promise<{ text: string } | { problem: string; errorCode: string }> {
  const uri = scriptUri(build.recipe.script);
  const { script: pin } = build;
  const read = await readObject(deps.s3, scriptObject(build.recipe.script), pin?.versionId);
  if (read === undefined) {
    const what = pin?.versionId
      ? `version ${pin.versionId} of customisation script ${uri}`
      : `customisation script ${uri}`;
    return { problem: `${what} does not exist`, errorCode: 'ScriptNotFound' };
  }
  const sha256 = sha256Hex(read.text);
  if (pin && sha256 !== pin.sha256) {
    return {
      problem: `customisation script ${uri}${pin.versionId ? ` (version ${pin.versionId})` : ''} has SHA-256 ${sha256}, not ${pin.sha256} as when the build started: it changed in between and is not run; the next trigger run builds what is there now`,
      errorCode: 'ScriptDigestMismatch',
    };
  }
  return { text: read.text };
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
