import type { Image } from '@aws-sdk/client-ec2';
import type { BuildRecord, Stage } from '../shared/build-record';
import { scriptObject, scriptUri } from '../shared/recipe';
import { sha256Hex } from '../shared/recipe-hash';
import { BUILD_ID_TAG } from '../shared/tags';

/**
 * ami_ec2_instance_create's decisions: from what is known of a build so far, the next step of
 * its launch (a read, the launch itself, or the end). launch-build.ts reads what a step asks
 * for and asks again, until the plan launches, ends the build or ignores the request.
 */

/** What is known of a launch request; `null` is "read, and not there". */
export interface LaunchFacts {
  buildId: string;
  stage: Stage;
  build: BuildRecord | undefined;
  /** The base image (build stage) or the build's new image (test stage), once described. */
  image?: Image | null;
  /** The script's text, once read. */
  script?: string | null;
}

export type LaunchStep =
  | { kind: 'ignore'; reason: string }
  | { kind: 'fail'; build: BuildRecord; reason: string; errorCode: string }
  | { kind: 'describe-image'; imageId: string }
  | { kind: 'read-script'; object: { bucket: string; key: string }; versionId?: string }
  | { kind: 'launch'; build: BuildRecord; image: Image; script: string; scriptSha256?: string };

/** What a test instance runs when the recipe has no test script: the image boots and runs user data. */
export const BOOT_CHECK_SCRIPT =
  '#!/bin/sh\necho "boot check: the image booted and ran its user data (the recipe has no test script)"\n';

export function planLaunch(facts: LaunchFacts): LaunchStep {
  const { build } = facts;
  if (!build) return { kind: 'ignore', reason: 'no such build' };
  return facts.stage === 'test' ? planTestLaunch(build, facts) : planBuildLaunch(build, facts);
}

/** A pending build: its base must still exist, and its script be the one it was pinned to. */
function planBuildLaunch(build: BuildRecord, facts: LaunchFacts): LaunchStep {
  if (build.status !== 'pending') return { kind: 'ignore', reason: `build is already ${build.status}` };
  if (facts.image === undefined) return { kind: 'describe-image', imageId: build.baseImageId };
  if (!facts.image?.RootDeviceName) {
    const reason = `base image ${build.baseImageId} no longer exists (withdrawn by its owner?)`;
    return { kind: 'fail', build, reason, errorCode: 'InvalidAMIID.NotFound' };
  }
  const pin = build.script;
  if (facts.script === undefined) {
    const { bucket, key } = scriptObject(build.recipe.script);
    return {
      kind: 'read-script',
      object: { bucket, key },
      ...(pin?.versionId ? { versionId: pin.versionId } : {}),
    };
  }
  const uri = scriptUri(build.recipe.script);
  if (facts.script === null) {
    const what = pin?.versionId
      ? `version ${pin.versionId} of customisation script ${uri}`
      : `customisation script ${uri}`;
    return { kind: 'fail', build, reason: `${what} does not exist`, errorCode: 'ScriptNotFound' };
  }
  const sha256 = sha256Hex(facts.script);
  // A script replaced or rewritten since the build started is not run: the next trigger run builds the new one.
  if (pin && sha256 !== pin.sha256) {
    const reason = `customisation script ${uri}${pin.versionId ? ` (version ${pin.versionId})` : ''} has SHA-256 ${sha256}, not ${pin.sha256} as when the build started: it changed in between and is not run; the next trigger run builds what is there now`;
    return { kind: 'fail', build, reason, errorCode: 'ScriptDigestMismatch' };
  }
  return { kind: 'launch', build, image: facts.image, script: facts.script };
}

/**
 * A build in its test stage, once: its new image must be available and this build's, and its
 * test script (or the boot check) the one the stack uploaded.
 */
function planTestLaunch(build: BuildRecord, facts: LaunchFacts): LaunchStep {
  const { buildId } = build;
  if (build.status !== 'testing') return { kind: 'ignore', reason: `build is ${build.status}, not testing` };
  if (build.test?.instanceId)
    return { kind: 'ignore', reason: `test instance ${build.test.instanceId} already launched` };
  if (facts.image === undefined && build.imageId) return { kind: 'describe-image', imageId: build.imageId };
  const image = facts.image ?? undefined;
  const problem = testableImageProblem(image, buildId);
  if (problem || !image) {
    const reason = `image ${build.imageId ?? '(none)'} ${problem}: it cannot be tested`;
    return { kind: 'fail', build, reason, errorCode: 'TestLaunchFailed' };
  }
  const { test } = build.recipe;
  if (!test.script) return { kind: 'launch', build, image, script: BOOT_CHECK_SCRIPT };
  if (facts.script === undefined) {
    const { bucket, key } = scriptObject(test.script);
    return { kind: 'read-script', object: { bucket, key } };
  }
  const uri = scriptUri(test.script);
  if (facts.script === null) {
    const reason = `test script ${uri} does not exist: upload it, or fix the recipe's test.script`;
    return { kind: 'fail', build, reason, errorCode: 'TestScriptNotFound' };
  }
  const sha256 = sha256Hex(facts.script);
  // The stack records the digest of a project file: a script changed since is not run.
  if (test.scriptSha256 && sha256 !== test.scriptSha256) {
    const reason = `test script ${uri} has SHA-256 ${sha256}, not ${test.scriptSha256} as the stack uploaded it: it was changed outside the stack and is not run`;
    return { kind: 'fail', build, reason, errorCode: 'TestScriptNotFound' };
  }
  return { kind: 'launch', build, image, script: facts.script, scriptSha256: sha256 };
}

/** Why an image cannot be tested (gone, not available, not this build's), or undefined. */
function testableImageProblem(image: Image | undefined, buildId: string): string | undefined {
  if (!image) return 'is gone';
  if (image.Tags?.find((t) => t.Key === BUILD_ID_TAG)?.Value !== buildId)
    return 'is not tagged with this build';
  if (image.State !== 'available') return `is ${image.State}`;
  return undefined;
}
