import { BUILD_ID_PATTERN } from '../shared/build-record';
import { InvalidInputError } from '../shared/errors';
import { show } from '../shared/validation';

/** The trigger's payload: `{ "buildId": "<recipe>-<yyyyMMddHHmmss>-<hex>" }`. */
export function parseLaunchEvent(event: unknown): string {
  const buildId = (event as { buildId?: unknown } | null)?.buildId;
  if (typeof buildId !== 'string' || !BUILD_ID_PATTERN.test(buildId)) {
    throw new InvalidInputError([
      `event.buildId must be an amibake build id such as "ecs-base-20261124190000-0a1b2c", got ${show(buildId)}`,
    ]);
  }
  return buildId;
}
