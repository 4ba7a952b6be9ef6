import { randomUUID } from 'node:crypto';
import { type Answer, errorAnswer, queryAnswer, xmlEscape } from '../answers';
import { EMULATED_ACCOUNT } from '../callers';
import type { Layer } from '../gateway';

/** The account that publishes Amazon Linux's release topics. */
export const AMAZON_LINUX_ACCOUNT = '137112412989';

/** One subscription to a vendor's topic. */
export interface VendorSubscription {
  subscriptionArn: string;
  topicArn: string;
  protocol: string;
  endpoint: string;
}

const SNS_XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

/**
 * A vendor's release topic lives in the vendor's account, which moto does not hold: this layer
 * plays such topics (Amazon Linux's `amazon-linux-2023-ami-updates`, any topic of another
 * account named in `vendorTopics`): Subscribe, GetSubscriptionAttributes,
 * ListSubscriptionsByTopic and Unsubscribe, as Terraform's `aws_sns_topic_subscription` calls them. A subscription to a topic of another
 * account that is not a vendor's is refused with SNS's NotFound, as AWS refuses a topic that
 * does not exist. The local run publishes a release through `subscriptionsOf` (see
 * ../../events/vendor-topics.ts).
 */
export class SnsGaps {
  readonly vendorTopics = new Set<string>();
  private readonly subscriptions = new Map<string, VendorSubscription>();

  clear(): void {
    this.vendorTopics.clear();
    this.subscriptions.clear();
  }

  subscriptionsOf(topicArn: string): VendorSubscription[] {
    return [...this.subscriptions.values()].filter((s) => s.topicArn === topicArn);
  }

  readonly layer: Layer = ({ request }, next) => {
    if (request.service !== 'sns') return next();
    // The SDKs speak SNS's query protocol or, newer ones (Terraform's provider), its JSON protocol.
    const param = (key: string) => {
      const value = request.form ? request.form.get(key) : request.json?.[key];
      return typeof value === 'string' ? value : '';
    };
    const answer = (operation: string, xml: string, json: object) =>
      Promise.resolve(request.form ? xmlAnswer(operation, xml) : jsonResult(json));
    const topicArn = param('TopicArn');
    const subscriptionArn = param('SubscriptionArn');
    switch (request.operation) {
      case 'Subscribe': {
        if (!isForeign(topicArn)) return next();
        if (!this.vendorTopics.has(topicArn)) {
          return Promise.resolve(errorAnswer(request, 404, 'NotFound', 'Topic does not exist'));
        }
        const subscription = {
          subscriptionArn: `${topicArn}:${randomUUID()}`,
          topicArn,
          protocol: param('Protocol'),
          endpoint: param('Endpoint'),
        };
        this.subscriptions.set(subscription.subscriptionArn, subscription);
        const arn = subscription.subscriptionArn;
        return answer('Subscribe', `<SubscriptionArn>${xmlEscape(arn)}</SubscriptionArn>`, {
          SubscriptionArn: arn,
        });
      }
      case 'GetSubscriptionAttributes': {
        const subscription = this.subscriptions.get(subscriptionArn);
        if (!subscription) return next();
        const attributes = attributesOf(subscription);
        return answer('GetSubscriptionAttributes', attributesXml(attributes), { Attributes: attributes });
      }
      case 'ListSubscriptionsByTopic': {
        if (!this.vendorTopics.has(topicArn)) return next();
        const listed = this.subscriptionsOf(topicArn).map((sub) => ({
          SubscriptionArn: sub.subscriptionArn,
          Owner: EMULATED_ACCOUNT,
          Protocol: sub.protocol,
          Endpoint: sub.endpoint,
          TopicArn: sub.topicArn,
        }));
        const members = listed
          .map(
            (m) =>
              `<member>${Object.entries(m)
                .map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`)
                .join('')}</member>`,
          )
          .join('');
        return answer('ListSubscriptionsByTopic', `<Subscriptions>${members}</Subscriptions>`, {
          Subscriptions: listed,
        });
      }
      case 'Unsubscribe':
        if (!this.subscriptions.delete(subscriptionArn)) return next();
        return answer('Unsubscribe', '', {});
      default:
        return next();
    }
  };
}

/** A topic ARN of another account than the emulated one (which moto holds). */
function isForeign(topicArn: string): boolean {
  const account = /^arn:aws:sns:[^:]+:(\d{12}):/.exec(topicArn)?.[1];
  return account !== undefined && account !== EMULATED_ACCOUNT;
}

function attributesOf(s: VendorSubscription): Record<string, string> {
  return {
    SubscriptionArn: s.subscriptionArn,
    TopicArn: s.topicArn,
    Protocol: s.protocol,
    Endpoint: s.endpoint,
    Owner: EMULATED_ACCOUNT,
    ConfirmationWasAuthenticated: 'true',
    PendingConfirmation: 'false',
    RawMessageDelivery: 'false',
  };
}

function attributesXml(attributes: Record<string, string>): string {
  const entries = Object.entries(attributes)
    .map(([key, value]) => `<entry><key>${key}</key><value>${xmlEscape(value)}</value></entry>`)
    .join('');
  return `<Attributes>${entries}</Attributes>`;
}

function jsonResult(value: object): Answer {
  return {
    status: 200,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() },
    body: Buffer.from(JSON.stringify(value)),
  };
}

function xmlAnswer(operation: string, result: string): Answer {
  return queryAnswer(SNS_XMLNS, operation, result);
}
