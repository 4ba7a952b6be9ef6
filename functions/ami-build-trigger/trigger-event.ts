import { SNS_TOPIC_ARN } from '../shared/recipe-schema';
import { isScheduledEvent } from '../shared/scheduled-event';
import { show } from '../shared/validation';

/** What a trigger run covers: every recipe, or those that track the topics a release came on. */
export type TriggerScope = { kind: 'all' } | { kind: 'release'; topics: string[] };

/**
 * The trigger accepts the schedule's event (source "aws.events", "Scheduled Event"), an empty
 * object from a manual invoke, or a vendor's SNS release notification (its records' topics limit
 * the run to the recipes that track them). The notification is only a wake-up: the run reads the
 * bases itself, so a forged one can start nothing a schedule run would not. Anything else is
 * rejected with the reason.
 */
export function parseTriggerEvent(event: unknown): TriggerScope | { rejected: string } {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    return { rejected: `event must be a scheduled event, an SNS notification or {}, got ${show(event)}` };
  }
  const e = event as Record<string, unknown>;
  if (Object.keys(e).length === 0 || isScheduledEvent(e)) return { kind: 'all' };
  if ('Records' in e) return releaseScope(e.Records);
  return {
    rejected: `event must be a scheduled event (source "aws.events", detail-type "Scheduled Event"), an SNS notification or {}, got source ${show(e.source)} and detail-type ${show(e['detail-type'])}`,
  };
}

function releaseScope(records: unknown): TriggerScope | { rejected: string } {
  if (!Array.isArray(records) || records.length === 0) {
    return { rejected: `event.Records must be a non-empty list of SNS records, got ${show(records)}` };
  }
  const topics: string[] = [];
  for (const [i, record] of records.entries()) {
    const r = (record ?? {}) as { EventSource?: unknown; Sns?: { TopicArn?: unknown } };
    if (r.EventSource !== 'aws:sns') {
      return { rejected: `event.Records[${i}].EventSource must be "aws:sns", got ${show(r.EventSource)}` };
    }
    const topic = r.Sns?.TopicArn;
    if (typeof topic !== 'string' || !SNS_TOPIC_ARN.test(topic)) {
      return { rejected: `event.Records[${i}].Sns.TopicArn must be an SNS topic ARN, got ${show(topic)}` };
    }
    if (!topics.includes(topic)) topics.push(topic);
  }
  return { kind: 'release', topics };
}
