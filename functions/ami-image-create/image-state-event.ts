import { regionProblem } from '../shared/aws-facts';
import { InvalidInputError } from '../shared/errors';
import { show } from '../shared/validation';

/**
 * EC2's `EC2 AMI State Change` event, as the stack's image-state rules deliver it: from the home
 * region directly, and from each copy region through that region's forwarding rule (the event
 * keeps the region it happened in). It only wakes a build up: completion reads the image's state
 * from EC2 and never trusts the event's.
 */
export interface ImageStateEvent {
  imageId: string;
  state: string;
  region: string;
}

const IMAGE_STATE_DETAIL_TYPE = 'EC2 AMI State Change';
/** The states that end an image's wait; the rules match only these. */
export const SETTLED_IMAGE_STATES = ['available', 'failed'] as const;

const IMAGE_ID = /^ami-[0-9a-f]{8,17}$/;

export function isImageStateEvent(event: unknown): boolean {
  const e = (event ?? {}) as Record<string, unknown>;
  return e['detail-type'] === IMAGE_STATE_DETAIL_TYPE;
}

/** Checks the event at the boundary; anything else is rejected before any AWS call. */
export function parseImageStateEvent(event: unknown): ImageStateEvent {
  const e = (event ?? {}) as Record<string, unknown>;
  const detail = (e.detail ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  if (e.source !== 'aws.ec2') {
    problems.push(
      `event.source of an "${IMAGE_STATE_DETAIL_TYPE}" event must be "aws.ec2", got ${show(e.source)}`,
    );
  }
  if (typeof detail.ImageId !== 'string' || !IMAGE_ID.test(detail.ImageId)) {
    problems.push(
      `event.detail.ImageId must be an AMI id such as "ami-0a1b2c3d4e5f67890", got ${show(detail.ImageId)}`,
    );
  }
  if (typeof detail.State !== 'string' || detail.State === '') {
    problems.push(`event.detail.State must be an image state such as "available", got ${show(detail.State)}`);
  }
  const region = regionProblem(e.region);
  if (region) problems.push(`event.region ${region}`);
  if (problems.length > 0) throw new InvalidInputError(problems);
  return { imageId: detail.ImageId as string, state: detail.State as string, region: e.region as string };
}

/** The pattern of the image-state rules: every settled image of the account in the rule's region. */
export function imageStatePattern(): object {
  return {
    source: ['aws.ec2'],
    'detail-type': [IMAGE_STATE_DETAIL_TYPE],
    detail: { State: [...SETTLED_IMAGE_STATES] },
  };
}
