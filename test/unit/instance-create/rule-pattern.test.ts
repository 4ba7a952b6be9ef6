import { expect } from 'chai';
import {
  instanceStoppedPattern,
  stoppedEventInput,
} from '../../../functions/ami-ec2-instance-create/rule-pattern';
import { buildIdOfRule, buildRuleName, buildRulePrefix } from '../../../functions/shared/build-rule-name';
import { transform } from '../../../local/events/input-transformer';
import stateChange from '../../fixtures/events/ec2-instance-stopped.json';

describe('instanceStoppedPattern', () => {
  it('names the real instance id and the stopped state', () => {
    expect(instanceStoppedPattern('i-1234567890abcdef0')).to.deep.equal({
      source: ['aws.ec2'],
      'detail-type': ['EC2 Instance State-change Notification'],
      detail: { 'instance-id': ['i-1234567890abcdef0'], state: ['stopped'] },
    });
  });
});

describe('stoppedEventInput', () => {
  it('gives ami_image_create the build id with the instance and state of the event', () => {
    expect(transform(stoppedEventInput('ecs-20261124120000-abcdef'), stateChange)).to.deep.equal({
      buildId: 'ecs-20261124120000-abcdef',
      stage: 'build',
      instanceId: 'i-1234567890abcdef0',
      state: 'stopped',
      time: '2021-11-11T21:29:54Z',
      eventId: '7bf73129-1428-4cd3-a780-95db273d1602',
    });
  });

  it("names the test stage on the test instance's rule", () => {
    expect(transform(stoppedEventInput('ecs-20261124120000-abcdef', 'test'), stateChange)).to.include({
      stage: 'test',
      instanceId: 'i-1234567890abcdef0',
    });
  });
});

describe('buildRuleName', () => {
  it('fits the 64-character limit for the longest recipe name', () => {
    expect(buildRuleName('abcdefghijklmnop', `${'r'.repeat(24)}-20261124120000-abcdef`).length).to.be.at.most(
      64,
    );
  });

  it("never falls under another deployment's prefix, whatever two prefixes are chosen", () => {
    const prefixes = ['amibake', 'amibake-dev', 'a1', 'a1-b', 'ami', 'amibake-d'];
    const buildId = 'ecs-20261124120000-abcdef';
    for (const owner of prefixes) {
      for (const other of prefixes.filter((p) => p !== owner)) {
        const name = buildRuleName(owner, buildId);
        expect(name.startsWith(buildRulePrefix(other)), `${owner}'s rule under ${other}'s prefix`).to.equal(
          false,
        );
        expect(buildIdOfRule(other, name)).to.equal(undefined);
      }
      expect(buildIdOfRule(owner, buildRuleName(owner, buildId))).to.equal(buildId);
    }
  });

  it('reads a build id only from names that are one', () => {
    expect(buildIdOfRule('amibake', 'amibake.not-a-build')).to.equal(undefined);
    expect(buildIdOfRule('amibake', 'amibake_sweep')).to.equal(undefined);
    expect(buildIdOfRule('amibake', 'amibake-dev.ecs-20261124120000-abcdef')).to.equal(undefined);
  });
});
