import { randomUUID } from 'node:crypto';
import type { SnsGaps } from '../emulator/gaps/sns-gaps';
import type { DeployedFunctions } from '../lambda/deployed-functions';
import type { LambdaService } from '../lambda/lambda-service';
import { serviceMayInvoke } from '../lambda/resource-policy';

/** One subscription a release notification went to, and whether Lambda accepted it. */
export interface TopicDelivery {
  subscriptionArn: string;
  endpoint: string;
  delivered: boolean;
  reason: string;
}

/**
 * A vendor publishing a release on its topic: SNS delivers the notification to every Lambda
 * subscription, asynchronously, if the function's resource policy lets sns.amazonaws.com invoke
 * it for that topic; otherwise the delivery fails, as SNS's does.
 */
export async function publishRelease(
  parts: {
    sns: Pick<SnsGaps, 'subscriptionsOf'>;
    lambda: Pick<LambdaService, 'invokeAsync'>;
    functions: Pick<DeployedFunctions, 'get' | 'policy'>;
  },
  topicArn: string,
  message: string,
  time: Date,
): Promise<TopicDelivery[]> {
  const deliveries: TopicDelivery[] = [];
  const topicAccount = topicArn.split(':')[4] ?? '';
  for (const subscription of parts.sns.subscriptionsOf(topicArn)) {
    const base = { subscriptionArn: subscription.subscriptionArn, endpoint: subscription.endpoint };
    const name = /^arn:aws:lambda:[^:]+:\d+:function:([^:]+)$/.exec(subscription.endpoint)?.[1];
    if (subscription.protocol !== 'lambda' || !name) {
      deliveries.push({ ...base, delivered: false, reason: 'only Lambda subscriptions are emulated' });
      continue;
    }
    const fn = await parts.functions.get(name);
    const verdict = await serviceMayInvoke(await parts.functions.policy(name), {
      service: 'sns.amazonaws.com',
      functionArn: fn.arn,
      sourceArn: topicArn,
      sourceAccount: topicAccount,
    });
    if (verdict.allowed) {
      parts.lambda.invokeAsync(
        name,
        snsEvent(subscription.subscriptionArn, topicArn, message, time),
        `topic ${topicArn}`,
      );
    }
    deliveries.push({ ...base, delivered: verdict.allowed, reason: verdict.reason });
  }
  return deliveries;
}

/** The event SNS invokes a subscribed function with, in the shape AWS documents. */
export function snsEvent(subscriptionArn: string, topicArn: string, message: string, time: Date): object {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: subscriptionArn,
        Sns: {
          Type: 'Notification',
          MessageId: randomUUID(),
          TopicArn: topicArn,
          Subject: null,
          Message: message,
          Timestamp: time.toISOString(),
          SignatureVersion: '1',
          Signature: 'EXAMPLE',
          SigningCertUrl: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-example.pem',
          UnsubscribeUrl: `https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${subscriptionArn}`,
          MessageAttributes: {},
        },
      },
    ],
  };
}
