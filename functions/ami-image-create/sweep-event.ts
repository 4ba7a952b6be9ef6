import { InvalidInputError } from '../shared/errors';
import { show } from '../shared/validation';

/** The alias of ami_image_create that only the sweep schedule may invoke. */
export const SWEEP_ALIAS = 'sweep';
/** How far a scheduled event's time may be from the function's clock. */
const SWEEP_CLOCK_SKEW_MINUTES = 5;

/**
 * Whether a scheduled-shaped event may run the sweep, decided before any call (pure). The
 * event's shape proves nothing (a rule with a constant input can send any JSON), so the sweep
 * runs only when invoked through its alias, whose resource policy admits the sweep schedule
 * alone; it judges ages by the function's own clock, and an event whose time is far from that
 * clock is refused. Returns the function's unqualified ARN.
 */
export function checkSweepInvocation(
  event: unknown,
  invokedFunctionArn: string | undefined,
  now: Date,
): string {
  const problems: string[] = [];
  const [, functionArn, qualifier] = /^(arn:[^:]+:lambda:[^:]+:\d{12}:function:[^:]+)(?::([^:]+))?$/.exec(
    invokedFunctionArn ?? '',
  ) ?? [undefined, undefined, undefined];
  if (!functionArn || qualifier !== SWEEP_ALIAS) {
    problems.push(
      `a scheduled event runs the sweep only through the function's alias "${SWEEP_ALIAS}" (the sweep schedule's target), got an invocation of ${show(invokedFunctionArn)}: schedule the sweep with the stack's ${SWEEP_ALIAS} rule`,
    );
  }
  const time = ((event ?? {}) as Record<string, unknown>).time;
  const parsed = typeof time === 'string' ? new Date(time) : undefined;
  if (!parsed || Number.isNaN(parsed.getTime())) {
    problems.push(
      `event.time must be the ISO 8601 time of the scheduled event, such as "2026-11-24T06:00:00Z", got ${show(time)}`,
    );
  } else {
    const skew = Math.abs(parsed.getTime() - now.getTime()) / 60_000;
    if (skew > SWEEP_CLOCK_SKEW_MINUTES) {
      problems.push(
        `event.time must be within ${SWEEP_CLOCK_SKEW_MINUTES} min of the function's clock (${now.toISOString()}), got ${show(time)}, ${Math.round(skew)} min away: the sweep judges ages by its own clock and refuses events from another time`,
      );
    }
  }
  if (problems.length > 0 || !functionArn) throw new InvalidInputError(problems);
  return functionArn;
}
