import type { PolicyRefs } from './refs';
import type { Statement } from './statement';

/** EventBridge assumes the forwarding role to put events on another region's bus. */
export const FORWARDING_TRUSTED_SERVICE = 'events.amazonaws.com';

/** The home region's default event bus, where every copy region's image events are sent. */
export function homeEventBusArn(refs: Pick<PolicyRefs, 'partition' | 'region' | 'account'>): string {
  return `arn:${refs.partition}:events:${refs.region}:${refs.account}:event-bus/default`;
}

/**
 * The role of the copy regions' image-state rules: an EventBridge rule can reach a Lambda
 * function only in its own region, so each copy region's rule forwards its image events to the
 * home region's default bus, and this role lets it put them there and nowhere else.
 */
export function imageStateForwardingPolicy(refs: PolicyRefs): Statement[] {
  return [
    {
      sid: 'ForwardImageStatesHome',
      reason: "puts the copy regions' EC2 AMI State Change events on the home region's default bus",
      actions: ['events:PutEvents'],
      resources: [homeEventBusArn(refs)],
    },
  ];
}
