import { expect } from 'chai';
import {
  imageStatePattern,
  isImageStateEvent,
  parseImageStateEvent,
} from '../../../functions/ami-image-create/image-state-event';
import { InvalidInputError } from '../../../functions/shared/errors';
import { imageStateChangeEvent } from '../../../local/events/event-bridge';
import { matchesPattern } from '../../../local/events/event-pattern';
import { motoMatches } from '../../support/moto-event-pattern';

describe('the EC2 AMI State Change event', () => {
  const event = (overrides: Record<string, unknown> = {}, detail: Record<string, unknown> = {}) => {
    const base = imageStateChangeEvent(
      { imageId: 'ami-0a1b2c3d4e5f67890', region: 'eu-west-1', state: 'available' },
      new Date('2026-11-29T06:00:00Z'),
    ) as Record<string, unknown>;
    return { ...base, ...overrides, detail: { ...(base.detail as object), ...detail } };
  };
  const problems = (e: unknown) => {
    try {
      parseImageStateEvent(e);
    } catch (error) {
      expect(error).to.be.instanceOf(InvalidInputError);
      return (error as InvalidInputError).problems;
    }
    return [];
  };

  it('reads the image, its state and the region it happened in (a forwarded copy keeps its own)', () => {
    expect(isImageStateEvent(event())).to.equal(true);
    expect(parseImageStateEvent(event())).to.deep.equal({
      imageId: 'ami-0a1b2c3d4e5f67890',
      state: 'available',
      region: 'eu-west-1',
    });
  });

  it('rejects a forged source, a malformed image id, a missing state and an unknown region, naming each', () => {
    const found = problems(
      event({ source: 'custom.app', region: 'moon-1' }, { ImageId: 'i-123', State: '' }),
    );
    expect(found).to.have.length(4);
    expect(found[0]).to.equal(
      'event.source of an "EC2 AMI State Change" event must be "aws.ec2", got "custom.app"',
    );
    expect(found[1]).to.include('event.detail.ImageId must be an AMI id').and.include('"i-123"');
    expect(found[2]).to.include('event.detail.State must be an image state').and.include('""');
    expect(found[3]).to.include('event.region must be an AWS region name').and.include('"moon-1"');
  });

  it("matches the rules' pattern for available and failed images only, as moto's matcher agrees", () => {
    const cases = ['available', 'failed', 'deregistered', 'disabled'].map((State) => ({
      pattern: imageStatePattern(),
      event: event({}, { State }),
    }));
    const ours = cases.map((c) => matchesPattern(c.pattern, c.event));
    expect(ours).to.deep.equal([true, true, false, false]);
    expect(motoMatches(cases)).to.deep.equal(ours);
  });
});
