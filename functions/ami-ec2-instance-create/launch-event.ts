import { BUILD_ID_PATTERN, type Stage } from '../shared/build-record';
import { InvalidInputError } from '../shared/errors';
import { show } from '../shared/validation';

/**
 * The payload: `{ "buildId": "<recipe>-<yyyyMMddHHmmss>-<hex>" }` from the trigger, with
 * `"stage": "test"` from ami_image_create when the build's image is ready to be tested.
 */
export function parseLaunchEvent(event: unknown): { buildId: string; stage: Stage } {
  const e = (event ?? {}) as { buildId?: unknown; stage?: unknown };
  const problems: string[] = [];
  if (typeof e.buildId !== 'string' || !BUILD_ID_PATTERN.test(e.buildId)) {
    problems.push(
      `event.buildId must be an amibake build id such as "ecs-base-20261124190000-0a1b2c", got ${show(e.buildId)}`,
    );
  }
  if (e.stage !== undefined && e.stage !== 'build' && e.stage !== 'test') {
    problems.push(`event.stage must be "build" or "test" (or absent: build), got ${show(e.stage)}`);
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  return { buildId: e.buildId as string, stage: e.stage === 'test' ? 'test' : 'build' };
}
