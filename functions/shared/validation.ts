/**
 * A small declarative checker for configuration objects. Every problem names the field,
 * what it must be (which says how to fix it) and the value received.
 */
interface Problem {
  path: string;
  message: string;
}
export type Check = (value: unknown, path: string) => Problem[];

/** A check from a function whose messages already name the value received (and its fix). */
export function checkWith(problems: (value: unknown) => readonly (string | undefined)[]): Check {
  return (value, path) => problems(value).flatMap((message) => (message ? [{ path, message }] : []));
}

export interface FieldSpec {
  required?: boolean;
  /** Completes "must be ..." and doubles as the fix; defaults from the other options. */
  expect?: string;
  pattern?: RegExp;
  oneOf?: readonly string[];
  integer?: { min: number; max: number };
  boolean?: true;
  list?: { pattern: RegExp; min: number; max?: number };
  stringListMap?: true;
  check?: Check;
  /** Returns "must ..." phrases; empty when the value is fine. */
  custom?: (value: unknown) => string[];
}

export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const join = (path: string, key: string) => (path === '' ? key : `${path}.${key}`);

export function checkObject(
  fields: Record<string, FieldSpec>,
  options: { exactlyOne?: readonly string[] | undefined } = {},
): Check {
  return (value, path) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return [
        {
          path,
          message: `must be an object with the fields ${Object.keys(fields).join(', ')}, got ${show(value)}`,
        },
      ];
    }
    const record = value as Record<string, unknown>;
    const problems: Problem[] = [];
    for (const key of Object.keys(record)) {
      if (!Object.hasOwn(fields, key)) {
        problems.push({
          path: join(path, key),
          message: `is not a known field, got ${show(record[key])}: remove it or use one of ${Object.keys(fields).join(', ')}`,
        });
      }
    }
    if (options.exactlyOne) {
      const present = options.exactlyOne.filter((k) => record[k] !== undefined);
      if (present.length !== 1) {
        problems.push({
          path,
          message: `must set exactly one of ${options.exactlyOne.join(' or ')}, got ${present.length === 0 ? 'neither' : present.join(' and ')}`,
        });
      }
    }
    for (const [key, spec] of Object.entries(fields)) {
      problems.push(...checkField(record[key], join(path, key), spec));
    }
    return problems;
  };
}

function checkField(value: unknown, path: string, spec: FieldSpec): Problem[] {
  if (value === undefined) {
    return spec.required ? [{ path, message: `is required: set it to ${expectation(spec)}` }] : [];
  }
  const fail = (extra = '') => [
    { path, message: `must be ${expectation(spec)}${extra}, got ${show(value)}` },
  ];
  if (spec.pattern && (typeof value !== 'string' || !spec.pattern.test(value))) return fail();
  if (spec.oneOf && (typeof value !== 'string' || !spec.oneOf.includes(value))) return fail();
  if (spec.boolean && typeof value !== 'boolean') return fail();
  if (spec.integer) {
    const { min, max } = spec.integer;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) return fail();
  }
  if (spec.list && !isStringList(value, spec.list)) return fail();
  if (spec.stringListMap && !isStringListMap(value)) return fail();
  if (spec.custom) {
    return spec.custom(value).map((message) => ({ path, message: `${message}, got ${show(value)}` }));
  }
  return spec.check ? spec.check(value, path) : [];
}

function expectation(spec: FieldSpec): string {
  if (spec.expect) return spec.expect;
  if (spec.oneOf) return `one of ${spec.oneOf.map((v) => `"${v}"`).join(', ')}`;
  if (spec.boolean) return 'true or false';
  if (spec.integer) return `a whole number from ${spec.integer.min} to ${spec.integer.max}`;
  return 'set correctly';
}

function isStringList(value: unknown, rule: { pattern: RegExp; min: number; max?: number }): boolean {
  return (
    Array.isArray(value) &&
    value.length >= rule.min &&
    value.length <= (rule.max ?? Number.POSITIVE_INFINITY) &&
    value.every((v) => typeof v === 'string' && rule.pattern.test(v))
  );
}

function isStringListMap(value: unknown): boolean {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.entries(value).every(
      ([k, v]) =>
        k !== '' && Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string' && s !== ''),
    )
  );
}

/** Runs a check and renders its problems as full sentences about `subject`. */
export function problemsFor(subject: string, value: unknown, check: Check): string[] {
  return check(value, '').map((p) => `${subject}: ${p.path === '' ? 'the value' : p.path} ${p.message}`);
}
