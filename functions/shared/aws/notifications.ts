import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';

export const NOTIFICATIONS_ACTIONS = { publishNotification: ['sns:Publish'] } as const;

export interface Notification {
  subject: string;
  body: string;
  /** Message attributes subscribers filter on (`status`, `recipe`). */
  attributes: Record<string, string>;
}

export async function publishNotification(sns: SNSClient, topicArn: string, n: Notification): Promise<void> {
  await sns.send(
    new PublishCommand({
      TopicArn: topicArn,
      Subject: n.subject,
      Message: n.body,
      MessageAttributes: Object.fromEntries(
        Object.entries(n.attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]),
      ),
    }),
  );
}
