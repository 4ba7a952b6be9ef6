import type { BuildRecord } from './build-record';

/** `promote <recipe> <build-id>`, or `rollback <recipe>`: where the published channel should point. */
export type PromotionRequest = { kind: 'promote'; buildId: string } | { kind: 'rollback' };

export interface PromotionFacts {
  recipe: string;
  /** The recipe's builds, any status, in any order. */
  builds: readonly BuildRecord[];
  /** The image the published parameter holds now (home region). */
  published: string | undefined;
  /** Home-region images of this deployment that still exist (a retired image is not among them). */
  existing: ReadonlySet<string>;
}

export type PromotionPlan =
  | { build: BuildRecord; imageId: string; from: string | undefined }
  | { refused: string };

/** Succeeded builds, newest end first: the order in which their images were published. */
function byPublication(builds: readonly BuildRecord[]): BuildRecord[] {
  return builds
    .filter((b) => b.status === 'succeeded' && b.imageId)
    .sort(
      (a, b) => (b.finishedAt ?? '').localeCompare(a.finishedAt ?? '') || b.buildId.localeCompare(a.buildId),
    );
}

/** Why a build's image may not be published, or undefined (pure). */
function publishable(build: BuildRecord, existing: ReadonlySet<string>): string | undefined {
  const { buildId } = build;
  const outcome = build.test?.outcome;
  if (outcome === 'failed' || outcome === 'timed_out') {
    return `build ${buildId} failed its tests (${build.errorCode ?? outcome}): an image that failed its tests is never published`;
  }
  if (build.status !== 'succeeded' || !build.imageId) {
    return `build ${buildId} is ${build.status}${build.errorCode ? ` (${build.errorCode})` : ''}: only the image of a succeeded build, tested, can be published`;
  }
  if (!existing.has(build.imageId)) {
    return `the image of build ${buildId}, ${build.imageId}, was retired (deregistered): promote a build whose image still exists (npx amibake history ${build.recipeName})`;
  }
  return undefined;
}

/**
 * Which build's image the published channel should hold (pure). Promote names the build;
 * rollback takes the newest succeeded build published before the one the channel holds now
 * whose image still exists. Both refuse an image that failed its tests, a build that did not
 * succeed, and a retired image, with the reason.
 */
export function planPromotion(facts: PromotionFacts, request: PromotionRequest): PromotionPlan {
  const { recipe, published, existing } = facts;
  if (request.kind === 'promote') {
    const build = facts.builds.find((b) => b.buildId === request.buildId);
    if (!build) {
      return {
        refused: `build ${request.buildId} is not a build of recipe "${recipe}": see npx amibake history ${recipe}`,
      };
    }
    const problem = publishable(build, existing);
    if (problem) return { refused: problem };
    if (build.imageId === published)
      return { refused: `the published channel already holds ${published} (build ${build.buildId})` };
    return { build, imageId: build.imageId as string, from: published };
  }
  const ordered = byPublication(facts.builds);
  const current = ordered.findIndex((b) => b.imageId === published);
  if (current < 0) {
    return {
      refused: `the published channel holds ${published ?? 'nothing'}, which no succeeded build of "${recipe}" made: promote a build by its id instead`,
    };
  }
  const previous = ordered.slice(current + 1).find((b) => publishable(b, existing) === undefined);
  if (!previous) {
    return {
      refused: `no tested image of "${recipe}" older than ${published} still exists: nothing to roll back to`,
    };
  }
  return { build: previous, imageId: previous.imageId as string, from: published };
}

export interface CandidateFacts {
  /** The image whose tests failed or timed out. */
  failed: string;
  /** What the candidate and published parameters hold now (home region). */
  candidate: string | undefined;
  published: string | undefined;
}

/** What the candidate channel becomes after a failed test. */
export type CandidatePlan =
  | { kind: 'keep'; reason: string }
  | { kind: 'point'; imageId: string }
  | { kind: 'remove' };

/**
 * The candidate channel after an image failed its tests (pure): a canary fleet on it must stop
 * launching that image, so the channel goes back to the published image, the newest that passed,
 * or is removed when nothing was ever published. A channel that already holds another image (a
 * newer build's, or an operator's choice) is left alone.
 */
export function planCandidateAfterFailedTests(facts: CandidateFacts): CandidatePlan {
  const { failed, candidate, published } = facts;
  if (candidate !== failed) {
    return { kind: 'keep', reason: `it holds ${candidate ?? 'nothing'}, not ${failed}` };
  }
  if (published && published !== failed) return { kind: 'point', imageId: published };
  return { kind: 'remove' };
}
