import type { Notification } from './aws/notifications';

/**
 * A recipe that cannot build and needs a person: it is invalid, or its base or script cannot be
 * read. Without a word it would be skipped on every run, silently, for ever.
 */
export interface RecipeAttention {
  recipe: string;
  decision: 'skipped' | 'invalid';
  reason: string;
  /** Identifies the decision and its reason: a new digest is announced again. */
  digest: string;
  /** When this reason was first seen. */
  since: string;
}

/** What a person does about it. */
function fixFor(attention: RecipeAttention): string {
  return attention.decision === 'invalid'
    ? 'fix the recipe as the reason says and deploy again (npx cdktf diff shows the same check at synth)'
    : 'make the base or script readable as the reason says (npx amibake plan shows the decision without building)';
}

/** The announcement of a recipe that needs attention (pure), once per reason. */
export function attentionNotification(attention: RecipeAttention): Notification {
  const body = {
    status: attention.decision,
    recipe: attention.recipe,
    reason: attention.reason,
    fix: fixFor(attention),
    since: attention.since,
    note: 'announced once for this reason; amibake says it again only when the reason changes, and says nothing while the recipe builds',
  };
  return {
    subject: `[amibake] ${attention.decision}: ${attention.recipe} (needs attention)`.slice(0, 100),
    body: JSON.stringify(body, null, 2),
    attributes: { status: attention.decision, recipe: attention.recipe },
  };
}
