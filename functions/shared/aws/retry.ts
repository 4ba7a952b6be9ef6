import { AdaptiveRetryStrategy, DefaultRateLimiter } from '@smithy/core/retry';
import type { StandardRetryBackoffStrategy } from '@smithy/types';
import { AmiBakeError } from '../errors';

/** Scales every SDK retry delay. Unset in AWS; the local emulator sets it to wait less. */
export const RETRY_DELAY_SCALE_VARIABLE = 'AMIBAKE_RETRY_DELAY_SCALE';

/** The SDK's ceiling for one retry delay. */
const MAXIMUM_DELAY_MS = 20_000;
const MAX_ATTEMPTS = 6;
/** The adaptive mode's lowest send rate after throttling, in requests per second. */
const MINIMUM_FILL_RATE = 0.5;

/** The scale in the environment: 1 when unset, any number from 0 to 1 otherwise. */
export function retryDelayScale(environment: NodeJS.ProcessEnv = process.env): number {
  const raw = environment[RETRY_DELAY_SCALE_VARIABLE];
  if (raw === undefined || raw === '') return 1;
  const scale = Number(raw);
  if (!Number.isFinite(scale) || scale < 0 || scale > 1) {
    throw new AmiBakeError(
      `${RETRY_DELAY_SCALE_VARIABLE} must be a number from 0 to 1 (a fraction of the SDK's retry delays); ` +
        `got '${raw}'. Unset it to keep the SDK's delays.`,
      { code: 'InvalidConfiguration' },
    );
  }
  return scale;
}

/**
 * Exponential backoff with full jitter, as the SDK computes it, from the base the strategy sets
 * for each error type (longer for throttling), multiplied by `scale`.
 */
export function scaledBackoff(
  scale: number,
  random: () => number = Math.random,
): StandardRetryBackoffStrategy {
  let base = 0;
  return {
    setDelayBase(delay: number) {
      base = delay * scale;
    },
    computeNextBackoffDelay(retryCount: number) {
      return Math.floor(random() * Math.min(base * 2 ** retryCount, MAXIMUM_DELAY_MS));
    },
  };
}

/**
 * amibake's retry policy: adaptive retries (client-side rate limiting on throttling) with more
 * attempts than the default, since a daily run may as well wait. Only the delays are
 * configurable, and only downwards: the backoff between attempts, and the wait for a send token
 * once throttling has slowed the client (its lowest rate rises as the delays shrink).
 */
export function retryStrategy(environment: NodeJS.ProcessEnv = process.env) {
  const scale = retryDelayScale(environment);
  if (scale === 1) return new AdaptiveRetryStrategy(MAX_ATTEMPTS);
  return new AdaptiveRetryStrategy(MAX_ATTEMPTS, {
    backoff: scaledBackoff(scale),
    rateLimiter: new DefaultRateLimiter({ minFillRate: MINIMUM_FILL_RATE / Math.max(scale, 0.001) }),
  });
}
