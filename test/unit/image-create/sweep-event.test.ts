import { expect } from 'chai';
import { checkSweepInvocation } from '../../../functions/ami-image-create/sweep-event';
import { InvalidInputError } from '../../../functions/shared/errors';

describe('checkSweepInvocation', () => {
  const fn = 'arn:aws:lambda:us-east-1:123456789012:function:amibake_ami_image_create';
  const now = new Date('2026-11-29T06:00:00Z');
  const at = (time: unknown) => ({ source: 'aws.events', 'detail-type': 'Scheduled Event', time });
  const problems = (event: unknown, arn: string | undefined) => {
    try {
      checkSweepInvocation(event, arn, now);
    } catch (error) {
      expect(error).to.be.instanceOf(InvalidInputError);
      return (error as InvalidInputError).problems;
    }
    return [];
  };

  it("accepts the sweep alias with a time near the function's clock, and names the function", () => {
    expect(checkSweepInvocation(at('2026-11-29T05:58:00Z'), `${fn}:sweep`, now)).to.equal(fn);
    expect(checkSweepInvocation(at('2026-11-29T06:04:59Z'), `${fn}:sweep`, now)).to.equal(fn);
  });

  it('refuses the unqualified function, another alias or a version, naming what was invoked', () => {
    for (const arn of [fn, `${fn}:live`, `${fn}:7`, undefined]) {
      const [problem] = problems(at('2026-11-29T06:00:00Z'), arn);
      expect(problem, String(arn)).to.include('only through the function\'s alias "sweep"');
      expect(problem).to.include(arn === undefined ? 'invocation of nothing' : `"${arn}"`);
    }
  });

  it('refuses a time more than 5 minutes away, either side, with the clock and the distance', () => {
    for (const [time, distance] of [
      [
        '2099-01-01T00:00:00Z',
        `${Math.round((Date.parse('2099-01-01T00:00:00Z') - now.getTime()) / 60_000)} min away`,
      ],
      ['2026-11-29T05:54:00Z', '6 min away'],
    ] as const) {
      const [problem] = problems(at(time), `${fn}:sweep`);
      expect(problem).to.include(`got "${time}"`).and.include(now.toISOString()).and.include(`${distance}`);
    }
  });

  it('lists every problem at once', () => {
    expect(problems(at('yesterday'), fn)).to.have.length(2);
  });
});
