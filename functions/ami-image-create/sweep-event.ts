import { InvalidInputError } from '../shared/errors';
import { show } from '../shared/validation';

/** The sweep schedule's event: EventBridge's "Scheduled Event", whose time the sweep judges ages by. */
export function isScheduledEvent(event: unknown): boolean {
  const e = (event ?? {}) as Record<string, unknown>;
  return e.source === 'aws.events' && e['detail-type'] === 'Scheduled Event';
}

export function sweepTime(event: unknown): Date {
  const time = ((event ?? {}) as Record<string, unknown>).time;
  const parsed = typeof time === 'string' ? new Date(time) : undefined;
  if (!parsed || Number.isNaN(parsed.getTime())) {
    throw new InvalidInputError([
      `event.time must be the ISO 8601 time of the scheduled event, such as "2026-11-24T06:00:00Z", got ${show(time)}`,
    ]);
  }
  return parsed;
}
