import type { BuildRecord } from './build-record';

export interface RetentionPlan {
  kept: string[];
  /** Image ids to deregister with their snapshots, each produced by a succeeded build. */
  retire: string[];
  /** Older than the newest `keep` but published or in use: left in place, with the reason. */
  skipped: { imageId: string; reason: string }[];
}

export interface RetentionFacts {
  /** The recipe's succeeded builds of this deployment, in any order. */
  builds: readonly Pick<BuildRecord, 'buildId' | 'imageId' | 'copies' | 'createdAt' | 'finishedAt'>[];
  /** The region whose images are planned, and the home region where builds run. */
  region: string;
  homeRegion: string;
  /** The image the recipe's parameter points to in that region. */
  published: string | undefined;
  /** The image the recipe's candidate parameter points to (home region only). */
  candidate?: string | undefined;
  /** Images something uses (an instance, a launch template), with the reason. */
  inUse: ReadonlyMap<string, string>;
}

/**
 * Which images of a recipe go in one region (pure). Only images that a succeeded build record
 * of this deployment produced are candidates: an image tagged like one, a build still in flight
 * or an image of another deployment is never planned. The newest `keep` builds, in the order
 * they were published (their end), keep their images; older ones are retired unless the
 * recipe's parameter points at them or something uses them.
 */
export function planRetention(facts: RetentionFacts, keep: number): RetentionPlan {
  const imageIn = (build: RetentionFacts['builds'][number]) =>
    facts.region === facts.homeRegion ? build.imageId : build.copies?.[facts.region];
  const ordered = [...facts.builds].sort(
    (a, b) =>
      (b.finishedAt ?? '').localeCompare(a.finishedAt ?? '') ||
      b.createdAt.localeCompare(a.createdAt) ||
      b.buildId.localeCompare(a.buildId),
  );
  const plan: RetentionPlan = { kept: [], retire: [], skipped: [] };
  const seen = new Set<string>();
  for (const build of ordered) {
    const id = imageIn(build);
    if (!id || seen.has(id)) continue;
    seen.add(id);
    if (plan.kept.length < keep) plan.kept.push(id);
    else if (id === facts.published) plan.skipped.push({ imageId: id, reason: 'the parameter points at it' });
    else if (id === facts.candidate)
      plan.skipped.push({ imageId: id, reason: 'the candidate parameter points at it' });
    else if (facts.inUse.has(id)) plan.skipped.push({ imageId: id, reason: facts.inUse.get(id) as string });
    else plan.retire.push(id);
  }
  return plan;
}

/**
 * The images of builds whose tests failed that are examined no longer (pure): past their
 * examination deadline, and not the candidate channel's image (a channel's image is never retired).
 */
export function expiredTestImages(
  builds: readonly Pick<BuildRecord, 'imageId' | 'test'>[],
  now: Date,
  candidate: string | undefined,
): string[] {
  return builds.flatMap((b) => {
    const until = b.test?.examineUntil;
    if (!b.imageId || !until || Date.parse(until) > now.getTime() || b.imageId === candidate) return [];
    return [b.imageId];
  });
}
