import type { AccountFacts } from './account-facts';

/**
 * One authorization AWS makes for a request: an action on one resource, with everything known
 * about the request and the resource. Which of these facts become condition keys is decided by
 * the Service Authorization Reference for that action and resource type (see request-context.ts).
 */
export interface Authorization {
  action: string;
  /** The resource's ARN, or `*` for actions without resource types. */
  resource: string;
  /** The resource type's name in the Service Authorization Reference (`instance`, `object`, ...). */
  resourceType?: string;
  facts: Record<string, string | string[]>;
}

export interface RequestScope {
  region: string;
  account: string;
  partition: string;
  facts: AccountFacts;
}

/** The authorizations of a request, or why the emulator cannot judge it (it then refuses it). */
export type Authorizations = Authorization[] | { unmapped: string };

/** `aws:ResourceTag/<key>` (and the service's own alias) for each tag a resource has. */
export function resourceTagFacts(tags: Record<string, string>, service?: string): Record<string, string> {
  const facts: Record<string, string> = {};
  for (const [key, value] of Object.entries(tags)) {
    facts[`aws:ResourceTag/${key}`] = value;
    if (service) facts[`${service}:ResourceTag/${key}`] = value;
  }
  return facts;
}

/** `aws:RequestTag/<key>` for each tag a request sets, and `aws:TagKeys`. */
export function requestTagFacts(tags: readonly [string, string][]): Record<string, string | string[]> {
  if (tags.length === 0) return {};
  return {
    ...Object.fromEntries(tags.map(([k, v]) => [`aws:RequestTag/${k}`, v])),
    'aws:TagKeys': tags.map(([k]) => k),
  };
}

/** The values of a query-protocol list (`Prefix.1`, `Prefix.2`, ...). */
export function formList(form: URLSearchParams, prefix: string): string[] {
  const pattern = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.(\\d+)$`);
  return [...form]
    .filter(([key]) => pattern.test(key))
    .sort(([a], [b]) => Number(pattern.exec(a)?.[1]) - Number(pattern.exec(b)?.[1]))
    .map(([, value]) => value);
}
