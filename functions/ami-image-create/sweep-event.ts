import { InvalidInputError } from '../shared/errors';
import { show } from '../shared/validation';

/** The time of the sweep schedule's event, by which the sweep judges ages. */
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
