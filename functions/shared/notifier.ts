import type { SNSClient } from '@aws-sdk/client-sns';
import { type Notification, publishNotification } from './aws/notifications';
import type { Logger } from './logger';
import { buildNotification, type Notify } from './notification';

/** The notifier of a function: publishes to the topic when one is configured, logs what it could not. */
export function topicNotifier(
  sns: SNSClient,
  topicArn: string | undefined,
  region: string,
  log: Logger,
): Notify | undefined {
  if (!topicArn) return undefined;
  return async (build, outcome) => {
    try {
      const message = buildNotification(build, outcome, { finishedAt: new Date(), region });
      await publishNotification(sns, topicArn, message);
    } catch (error) {
      log.error('notification not sent', { buildId: build.buildId, error });
    }
  };
}

/** Publishes any announcement to the topic when one is configured; logs what it could not. */
export function topicAnnouncer(
  sns: SNSClient,
  topicArn: string | undefined,
  log: Logger,
): ((notification: Notification) => Promise<void>) | undefined {
  if (!topicArn) return undefined;
  return async (notification) => {
    try {
      await publishNotification(sns, topicArn, notification);
    } catch (error) {
      log.error('notification not sent', { subject: notification.subject, error });
    }
  };
}
