import type { RecipeAttention } from '../shared/attention';
import { sha256Hex } from '../shared/recipe-hash';
import type { RecipeDecision } from './plan-trigger';

export interface AttentionPlan {
  /** Newly needing attention, or for another reason than announced: record, then announce. */
  announce: RecipeAttention[];
  /** Recipes that build (or wait their turn) again: their record goes. */
  clear: string[];
}

/** The longest reason kept and announced (a DynamoDB item holds 400 KB, a notification 256 KB). */
const REASON_LIMIT = 4000;

/**
 * What to announce from one run's decisions, given what was announced before (pure): each
 * skipped or invalid recipe at most once per reason, until it builds again or its reason changes.
 */
export function planAttention(
  decisions: readonly RecipeDecision[],
  announced: ReadonlyMap<string, { digest: string }>,
  now: Date,
): AttentionPlan {
  const plan: AttentionPlan = { announce: [], clear: [] };
  for (const d of decisions) {
    if (d.decision === 'skipped' || d.decision === 'invalid') {
      const reason = d.reason.length > REASON_LIMIT ? `${d.reason.slice(0, REASON_LIMIT)}…` : d.reason;
      const digest = sha256Hex(`${d.decision}\n${reason}`);
      if (announced.get(d.recipe)?.digest === digest) continue;
      plan.announce.push({
        recipe: d.recipe,
        decision: d.decision,
        reason,
        digest,
        since: now.toISOString(),
      });
    } else if (announced.has(d.recipe) && !plan.clear.includes(d.recipe)) {
      plan.clear.push(d.recipe);
    }
  }
  return plan;
}
