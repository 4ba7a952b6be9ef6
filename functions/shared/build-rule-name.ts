import { BUILD_ID_PATTERN } from './build-record';

/**
 * Build rules are named `<deployment>.<build id>`. Deployment prefixes cannot contain ".", so the
 * rule prefix `<deployment>.` of one deployment never begins another's names: `amibake.` does not
 * match `amibake-dev.…`, in ListRules, in the IAM resource pattern or in the Lambda permission.
 */
export function buildRulePrefix(deployment: string): string {
  return `${deployment}.`;
}

export function buildRuleName(deployment: string, buildId: string): string {
  return `${buildRulePrefix(deployment)}${buildId}`;
}

/** The build id a rule of this deployment is named after, or undefined for any other name. */
export function buildIdOfRule(deployment: string, ruleName: string): string | undefined {
  const prefix = buildRulePrefix(deployment);
  if (!ruleName.startsWith(prefix)) return undefined;
  const buildId = ruleName.slice(prefix.length);
  return BUILD_ID_PATTERN.test(buildId) ? buildId : undefined;
}
