import { expect } from 'chai';
import { parseTriggerEvent } from '../../../functions/ami-build-trigger/trigger-event';
import { parseLaunchEvent } from '../../../functions/ami-ec2-instance-create/launch-event';
import { outcomeOf } from '../../../functions/ami-image-create/build-report';
import { parseStoppedEvent } from '../../../functions/ami-image-create/stopped-event';
import { InvalidInputError } from '../../../functions/shared/errors';
import stopped from '../../fixtures/events/ec2-instance-stopped.json';
import scheduled from '../../fixtures/events/scheduled.json';

const buildId = 'ecs-20261124120000-abcdef';

describe('parseStoppedEvent', () => {
  it('accepts what the build rule delivers', () => {
    const event = {
      buildId,
      instanceId: 'i-1234567890abcdef0',
      state: 'stopped',
      time: '2026-11-24T12:00:00Z',
    };
    expect(parseStoppedEvent(event)).to.deep.equal({ ...event, stage: 'build' });
  });

  it("tells the test instance's stop from the build instance's, and rejects another stage", () => {
    const event = { buildId, instanceId: 'i-1234567890abcdef0', state: 'stopped' };
    expect(parseStoppedEvent({ ...event, stage: 'test' }).stage).to.equal('test');
    expect(() => parseStoppedEvent({ ...event, stage: 'deploy' })).to.throw(
      /event.stage must be "build" or "test", got "deploy"/,
    );
  });

  it('rejects a raw state-change event with every problem named', () => {
    expect(() => parseStoppedEvent(stopped)).to.throw(
      InvalidInputError,
      /event.buildId must be an amibake build id.*got nothing/s,
    );
  });

  it('rejects a state other than stopped', () => {
    expect(() =>
      parseStoppedEvent({ buildId, instanceId: 'i-1234567890abcdef0', state: 'running' }),
    ).to.throw(/event.state must be "stopped", got "running"/);
  });
});

describe('parseLaunchEvent', () => {
  it('returns the build id', () => {
    expect(parseLaunchEvent({ buildId })).to.deep.equal({ buildId, stage: 'build' });
    expect(parseLaunchEvent({ buildId, stage: 'test' })).to.deep.equal({ buildId, stage: 'test' });
  });

  it('rejects anything else', () => {
    expect(() => parseLaunchEvent({ buildId: '../etc' })).to.throw(/got "..\/etc"/);
    expect(() => parseLaunchEvent({ buildId, stage: 'Test' })).to.throw(
      /event.stage must be "build" or "test".*got "Test"/,
    );
    expect(() => parseLaunchEvent(null)).to.throw(/got nothing/);
  });
});

describe('parseTriggerEvent', () => {
  const AL2023 = 'arn:aws:sns:us-east-1:137112412989:amazon-linux-2023-ami-updates';
  const notification = (...records: unknown[]) => ({ Records: records });
  const record = (TopicArn: unknown, EventSource: unknown = 'aws:sns') => ({
    EventSource,
    Sns: { TopicArn, Message: '{}' },
  });

  it('accepts the schedule and a manual {} for every recipe', () => {
    expect(parseTriggerEvent(scheduled)).to.deep.equal({ kind: 'all' });
    expect(parseTriggerEvent({})).to.deep.equal({ kind: 'all' });
  });

  it("limits a release notification's run to its topics", () => {
    expect(parseTriggerEvent(notification(record(AL2023), record(AL2023)))).to.deep.equal({
      kind: 'release',
      topics: [AL2023],
    });
  });

  it('rejects a foreign event and a malformed notification, naming the field', () => {
    const rejected = (event: unknown) => (parseTriggerEvent(event) as { rejected?: string }).rejected;
    expect(rejected(stopped)).to.match(/got source "aws.ec2"/);
    expect(rejected(notification())).to.equal(
      'event.Records must be a non-empty list of SNS records, got []',
    );
    expect(rejected(notification(record(AL2023, 'aws:sqs')))).to.equal(
      'event.Records[0].EventSource must be "aws:sns", got "aws:sqs"',
    );
    expect(rejected(notification(record(AL2023), record('not-a-topic')))).to.equal(
      'event.Records[1].Sns.TopicArn must be an SNS topic ARN, got "not-a-topic"',
    );
    expect(rejected([])).to.match(/^event must be a scheduled event, an SNS notification or \{\}/);
  });
});

describe('outcomeOf', () => {
  it("judges the test stage's report with its own codes, and never a report of the other stage", () => {
    const report = (fields: object) => JSON.stringify({ buildId, exitCode: 0, reason: 'r', ...fields });
    expect(outcomeOf(report({ stage: 'test' }), buildId, 'test')).to.deep.include({ succeeded: true });
    expect(outcomeOf(report({ stage: 'test', exitCode: 2 }), buildId, 'test')).to.include({
      succeeded: false,
      errorCode: 'TestsFailed',
    });
    expect(outcomeOf(report({ stage: 'test', exitCode: 124 }), buildId, 'test')).to.include({
      errorCode: 'TestsTimedOut',
    });
    // The build's own report (no stage, or "build") cannot pass the tests, nor a test report the build.
    expect(outcomeOf(report({}), buildId, 'test')).to.include({ succeeded: false, errorCode: 'BadReport' });
    expect(outcomeOf(report({ stage: 'test' }), buildId)).to.include({
      succeeded: false,
      errorCode: 'BadReport',
    });
  });

  it('succeeds on exit status 0 for this build', () => {
    const outcome = outcomeOf(JSON.stringify({ buildId, exitCode: 0, reason: 'ok' }), buildId);
    expect(outcome).to.deep.include({ succeeded: true });
  });

  it('fails with the reported reason on a non-zero status', () => {
    expect(
      outcomeOf(
        JSON.stringify({ buildId, exitCode: 3, reason: 'customisation exited with status 3' }),
        buildId,
      ),
    ).to.deep.equal({
      succeeded: false,
      errorCode: 'CustomisationFailed',
      reason: 'customisation exited with status 3',
    });
  });

  it('names the watchdog', () => {
    expect(
      outcomeOf(JSON.stringify({ buildId, exitCode: 124, reason: 'watchdog' }), buildId),
    ).to.deep.include({ errorCode: 'CustomisationTimedOut' });
  });

  it("takes the wrapper's own error code, and only the ones it names", () => {
    const report = (errorCode: string, exitCode = 1) =>
      outcomeOf(JSON.stringify({ buildId, exitCode, reason: 'not run', errorCode }), buildId);
    expect(report('ScriptDigestMismatch')).to.deep.include({
      succeeded: false,
      errorCode: 'ScriptDigestMismatch',
    });
    // A digest failure is a failure even if the status says 0.
    expect(report('ScriptDigestMismatch', 0)).to.deep.include({ succeeded: false });
    expect(report('HygieneFailed')).to.deep.include({ succeeded: false, errorCode: 'HygieneFailed' });
    expect(report('SomethingElse')).to.deep.include({ errorCode: 'CustomisationFailed' });
    expect(report('', 0)).to.deep.include({ succeeded: true });
  });

  it('fails when nothing was reported', () => {
    expect(outcomeOf(undefined, buildId)).to.deep.include({ succeeded: false, errorCode: 'NoReport' });
  });

  it("fails on another build's report or garbage", () => {
    expect(
      outcomeOf(JSON.stringify({ buildId: 'other-20261124120000-abcdef', exitCode: 0 }), buildId),
    ).to.deep.include({ errorCode: 'BadReport' });
    expect(outcomeOf('not json', buildId)).to.deep.include({ errorCode: 'BadReport' });
  });
});
