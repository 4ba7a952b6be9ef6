/**
 * EventBridge event pattern matching, as documented: every field of the pattern must match;
 * a list matches when any of its entries does; objects nest; entries are exact values or
 * the content filters prefix, suffix, anything-but, exists, numeric, equals-ignore-case
 * and wildcard. Arrays in the event match when any element matches.
 */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (!isObject(pattern)) return false;
  return Object.entries(pattern).every(([key, rule]) =>
    matchField(rule, isObject(event) ? event[key] : undefined, isObject(event) && key in event),
  );
}

function matchField(rule: unknown, value: unknown, present: boolean): boolean {
  if (Array.isArray(rule)) {
    const values = Array.isArray(value) ? value : [value];
    return rule.some((entry) => {
      if (isObject(entry) && 'exists' in entry) return entry.exists === present;
      if (!present) return false;
      return values.some((v) => matchEntry(entry, v));
    });
  }
  if (isObject(rule)) {
    if (!present || !isObject(value)) return false;
    return matchesPattern(rule, value);
  }
  return false;
}

function matchEntry(entry: unknown, value: unknown): boolean {
  if (!isObject(entry)) return entry === value;
  const [[kind, arg] = ['', undefined]] = Object.entries(entry);
  switch (kind) {
    case 'prefix':
      return typeof value === 'string' && typeof arg === 'string' && value.startsWith(arg);
    case 'suffix':
      return typeof value === 'string' && typeof arg === 'string' && value.endsWith(arg);
    case 'equals-ignore-case':
      return (
        typeof value === 'string' && typeof arg === 'string' && value.toLowerCase() === arg.toLowerCase()
      );
    case 'wildcard':
      return typeof value === 'string' && typeof arg === 'string' && wildcard(arg).test(value);
    case 'anything-but':
      return !anythingButMatches(arg, value);
    case 'numeric':
      return typeof value === 'number' && Array.isArray(arg) && numeric(arg, value);
    default:
      return false;
  }
}

function anythingButMatches(arg: unknown, value: unknown): boolean {
  if (Array.isArray(arg)) return arg.includes(value);
  if (isObject(arg) && typeof arg.prefix === 'string')
    return typeof value === 'string' && value.startsWith(arg.prefix);
  return arg === value;
}

function numeric(conditions: unknown[], value: number): boolean {
  for (let i = 0; i + 1 < conditions.length; i += 2) {
    const op = conditions[i];
    const bound = Number(conditions[i + 1]);
    const ok =
      (op === '=' && value === bound) ||
      (op === '<' && value < bound) ||
      (op === '<=' && value <= bound) ||
      (op === '>' && value > bound) ||
      (op === '>=' && value >= bound);
    if (!ok) return false;
  }
  return true;
}

function wildcard(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .split('*')
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
