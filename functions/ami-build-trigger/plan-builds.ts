import { type BuildStatus, isDue, type ScriptPin } from '../shared/build-record';
import type { Recipe } from '../shared/recipe';

export interface Candidate {
  recipe: Recipe;
  baseImageId: string;
  baseImageName?: string;
  recipeHash: string;
  script: ScriptPin;
}

export interface Plan {
  due: Candidate[];
  notDue: { candidate: Candidate; status: BuildStatus }[];
}

/**
 * Which recipes are due: those with no succeeded or in-flight build of the same
 * (recipe, base image, content hash). The order is the recipes' order, so that the
 * in-flight limit defers the same recipes on every run.
 */
export function planBuilds(
  candidates: readonly Candidate[],
  latest: (c: Candidate) => BuildStatus | undefined,
): Plan {
  const plan: Plan = { due: [], notDue: [] };
  for (const candidate of candidates) {
    const status = latest(candidate);
    if (isDue(status)) plan.due.push(candidate);
    else plan.notDue.push({ candidate, status: status as BuildStatus });
  }
  return plan;
}
