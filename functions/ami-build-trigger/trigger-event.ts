import { isScheduledEvent } from '../shared/scheduled-event';
import { show } from '../shared/validation';

/**
 * The trigger accepts the schedule's event (source "aws.events", "Scheduled Event") or an
 * empty object from a manual invoke. Returns why anything else is rejected, or undefined.
 */
export function parseTriggerEvent(event: unknown): string | undefined {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    return `event must be a scheduled event or {}, got ${show(event)}`;
  }
  const e = event as Record<string, unknown>;
  if (Object.keys(e).length === 0) return undefined;
  if (isScheduledEvent(e)) return undefined;
  return `event must be a scheduled event (source "aws.events", detail-type "Scheduled Event") or {}, got source ${show(e.source)} and detail-type ${show(e['detail-type'])}`;
}
