import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json';
import type { BaseSelector, Recipe } from './recipe';

/**
 * The content hash of a recipe: every field of the recipe plus the identity of its script
 * (its SHA-256, or its S3 version/ETag). Editing either gives a new hash, hence a new build.
 */
export function recipeHash(recipe: Recipe, scriptIdentity: string): string {
  // The script's own hash is part of its identity; the lifecycle and distribution act after the
  // build, the tests judge the image without changing it, and the release topic only decides
  // when the trigger looks.
  const {
    scriptSha256: _script,
    test: _test,
    consumers: _consumers,
    lifecycle: _lifecycle,
    distribution: _distribution,
    releaseTopic: _topic,
    ...fields
  } = recipe;
  return createHash('sha256')
    .update(canonicalJson({ recipe: fields, script: scriptIdentity }))
    .digest('hex')
    .slice(0, 16);
}

/** Recipes whose selectors have the same key share one base image lookup. */
export function selectorKey(selector: BaseSelector): string {
  return canonicalJson(selector);
}

export function sha256Hex(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}
