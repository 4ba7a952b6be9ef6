import { expect } from 'chai';
import { instanceStoppedPattern } from '../../../functions/ami-ec2-instance-create/rule-pattern';
import { matchesPattern } from '../../../local/events/event-pattern';
import stopped from '../../fixtures/events/ec2-instance-stopped.json';
import { motoMatches } from '../../support/moto-event-pattern';

const withDetail = (detail: object) => ({ ...stopped, detail: { ...stopped.detail, ...detail } });

/** Patterns and events on which our matcher must agree with moto's. */
const cases: { label: string; pattern: object; event: object; expected: boolean }[] = [
  {
    label: 'the build rule and its instance stopping',
    pattern: instanceStoppedPattern('i-1234567890abcdef0'),
    event: stopped,
    expected: true,
  },
  {
    label: 'the build rule and another instance',
    pattern: instanceStoppedPattern('i-0fedcba0987654321'),
    event: stopped,
    expected: false,
  },
  {
    label: 'the build rule and its instance stopping (state "stopping")',
    pattern: instanceStoppedPattern('i-1234567890abcdef0'),
    event: withDetail({ state: 'stopping' }),
    expected: false,
  },
  {
    label: 'the original literal "instanceID" pattern',
    pattern: { source: ['aws.ec2'], detail: { 'instance-id': ['instanceID'], state: ['stopped'] } },
    event: stopped,
    expected: false,
  },
  {
    label: 'prefix',
    pattern: { detail: { 'instance-id': [{ prefix: 'i-1234' }] } },
    event: stopped,
    expected: true,
  },
  {
    label: 'anything-but',
    pattern: { detail: { state: [{ 'anything-but': ['running', 'pending'] }] } },
    event: stopped,
    expected: true,
  },
  {
    label: 'anything-but excluded',
    pattern: { detail: { state: [{ 'anything-but': 'stopped' }] } },
    event: stopped,
    expected: false,
  },
  {
    label: 'exists true',
    pattern: { detail: { state: [{ exists: true }] } },
    event: stopped,
    expected: true,
  },
  {
    label: 'exists false',
    pattern: { detail: { reason: [{ exists: false }] } },
    event: stopped,
    expected: true,
  },
  { label: 'missing field', pattern: { detail: { reason: ['x'] } }, event: stopped, expected: false },
  {
    label: 'array value in event',
    pattern: { resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-1234567890abcdef0'] },
    event: stopped,
    expected: true,
  },
  {
    label: 'numeric range',
    pattern: { detail: { size: [{ numeric: ['>', 0, '<=', 5] }] } },
    event: withDetail({ size: 5 }),
    expected: true,
  },
  {
    label: 'numeric out of range',
    pattern: { detail: { size: [{ numeric: ['>', 5] }] } },
    event: withDetail({ size: 5 }),
    expected: false,
  },
];

describe('matchesPattern', () => {
  for (const c of cases) {
    it(`${c.expected ? 'matches' : 'does not match'} ${c.label}`, () => {
      expect(matchesPattern(c.pattern, c.event)).to.equal(c.expected);
    });
  }

  it("agrees with moto's EventPattern on every case", () => {
    const ours = cases.map((c) => matchesPattern(c.pattern, c.event));
    expect(motoMatches(cases)).to.deep.equal(ours);
  });
});
