import { BUILD_ID_PATTERN, type Stage } from '../shared/build-record';
import { InvalidInputError } from '../shared/errors';
import { show } from '../shared/validation';

/** What the build rule's input transformer delivers to ami_image_create. */
export interface StoppedEvent {
  buildId: string;
  /** Which of the build's instances stopped (rules armed before the test stage carry none: build). */
  stage: Stage;
  instanceId: string;
  state: string;
  time?: string;
  eventId?: string;
}

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

/** Checks an incoming event at the boundary; anything else is rejected before any AWS call. */
export function parseStoppedEvent(event: unknown): StoppedEvent {
  const e = (event ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof e.buildId !== 'string' || !BUILD_ID_PATTERN.test(e.buildId)) {
    problems.push(
      `event.buildId must be an amibake build id such as "ecs-base-20261124190000-0a1b2c", got ${show(e.buildId)}`,
    );
  }
  if (typeof e.instanceId !== 'string' || !INSTANCE_ID.test(e.instanceId)) {
    problems.push(`event.instanceId must be an EC2 instance id, got ${show(e.instanceId)}`);
  }
  if (e.state !== 'stopped') problems.push(`event.state must be "stopped", got ${show(e.state)}`);
  if (e.stage !== undefined && e.stage !== 'build' && e.stage !== 'test') {
    problems.push(`event.stage must be "build" or "test", got ${show(e.stage)}`);
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  return {
    buildId: e.buildId as string,
    stage: e.stage === 'test' ? 'test' : 'build',
    instanceId: e.instanceId as string,
    state: 'stopped',
    ...(typeof e.time === 'string' ? { time: e.time } : {}),
    ...(typeof e.eventId === 'string' ? { eventId: e.eventId } : {}),
  };
}
