import type { InputTransformer } from '@aws-sdk/client-eventbridge';
import type { Stage } from '../shared/build-record';

/** The pattern of the EC2 Instance State-change Notification for one instance reaching "stopped". */
export function instanceStoppedPattern(instanceId: string): object {
  return {
    source: ['aws.ec2'],
    'detail-type': ['EC2 Instance State-change Notification'],
    detail: { 'instance-id': [instanceId], state: ['stopped'] },
  };
}

/** What ami_image_create receives: the build id and stage, and the instance and state from the event. */
export function stoppedEventInput(buildId: string, stage: Stage = 'build'): InputTransformer {
  return {
    InputPathsMap: {
      instanceId: '$.detail.instance-id',
      state: '$.detail.state',
      time: '$.time',
      eventId: '$.id',
    },
    InputTemplate: `{"buildId": "${buildId}", "stage": "${stage}", "instanceId": "<instanceId>", "state": "<state>", "time": "<time>", "eventId": "<eventId>"}`,
  };
}
