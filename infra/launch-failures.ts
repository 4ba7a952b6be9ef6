import type { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { LambdaFunctionEventInvokeConfig } from '@cdktf/provider-aws/lib/lambda-function-event-invoke-config';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';

/**
 * Asynchronous invocations of ami_ec2_instance_create: retried a bounded number of times, then
 * kept on an encrypted queue for 14 days with the error, so no launch request disappears silently.
 */
export class LaunchFailures extends Construct {
  readonly queue: SqsQueue;

  constructor(scope: Construct, id: string, props: { queueName: string }) {
    super(scope, id);
    this.queue = new SqsQueue(this, 'queue', {
      name: props.queueName,
      messageRetentionSeconds: 14 * 24 * 3600,
      sqsManagedSseEnabled: true,
    });
  }

  /** Routes the function's failed invocations here, once its role may send to the queue. */
  route(
    fn: LambdaFunction,
    settings: { maximumRetryAttempts: number; maximumEventAgeSeconds: number },
    rolePolicy: ITerraformDependable,
  ): void {
    new LambdaFunctionEventInvokeConfig(this, 'async', {
      dependsOn: [rolePolicy],
      functionName: fn.functionName,
      maximumRetryAttempts: settings.maximumRetryAttempts,
      maximumEventAgeInSeconds: settings.maximumEventAgeSeconds,
      destinationConfig: { onFailure: { destination: this.queue.arn } },
    });
  }
}
