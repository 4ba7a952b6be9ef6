import * as v from 'valibot';

/**
 * The builders amibake's schemas are written with (valibot underneath), and the rendering of
 * their issues. Every problem names the field, what it must be (which doubles as the fix) and
 * the value received. The expectation is also the field's description in the JSON Schema.
 */

type Issue = v.BaseIssue<unknown>;

export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const mustBe = (expect: string) => (issue: Issue) => `must be ${expect}, got ${show(issue.input)}`;

/** A string matching `pattern`. */
export function text(pattern: RegExp, expect: string) {
  return v.pipe(v.string(mustBe(expect)), v.regex(pattern, mustBe(expect)), v.description(expect));
}

/** One of a fixed list of strings. */
export function oneOf<const T extends readonly string[]>(options: T) {
  const expect = `one of ${options.map((o) => `"${o}"`).join(', ')}`;
  return v.pipe(v.picklist(options, mustBe(expect)), v.description(expect));
}

/** A whole number in a range. */
export function wholeNumber(range: { min: number; max: number }, expect?: string) {
  const phrase = expect ?? `a whole number from ${range.min} to ${range.max}`;
  const message = mustBe(phrase);
  return v.pipe(
    v.number(message),
    v.integer(message),
    v.minValue(range.min, message),
    v.maxValue(range.max, message),
    v.description(phrase),
  );
}

export function flag() {
  return v.pipe(v.boolean(mustBe('true or false')), v.description('true or false'));
}

/**
 * A list of strings matching `pattern`. Checked as a whole, so a problem shows the list as
 * received; the JSON Schema still gets the item pattern.
 */
export function textList(pattern: RegExp, size: { min: number; max?: number }, expect: string) {
  const max = size.max ?? Number.POSITIVE_INFINITY;
  const isList = (value: unknown): value is string[] =>
    Array.isArray(value) &&
    value.length >= size.min &&
    value.length <= max &&
    value.every((item) => typeof item === 'string' && pattern.test(item));
  return v.pipe(
    v.custom<string[]>(isList, mustBe(expect)),
    v.description(expect),
    v.metadata({
      type: 'array',
      items: { type: 'string', pattern: pattern.source },
      ...(size.min > 0 ? { minItems: size.min } : {}),
      ...(size.max !== undefined ? { maxItems: size.max } : {}),
    }),
  );
}

/**
 * A value checked by a function returning "must ..." phrases, rendered with the value received
 * (`named: true` when the phrases already name it). `expect` and `json` describe the value in the
 * JSON Schema.
 */
export function checked<T>(
  problems: (value: unknown) => readonly (string | undefined)[],
  options: { expect: string; json: Record<string, unknown>; named?: boolean },
) {
  return v.pipe(
    v.custom<T>(() => true),
    v.rawCheck<T>(({ dataset, addIssue }) => {
      for (const problem of problems(dataset.value)) {
        if (problem)
          addIssue({ message: options.named ? problem : `${problem}, got ${show(dataset.value)}` });
      }
    }),
    v.description(options.expect),
    v.metadata(options.json),
  );
}

/**
 * An object of known fields: an unknown field is named with the ones allowed, a missing
 * required one with what to set it to.
 */
export function fields<const E extends v.ObjectEntries>(entries: E) {
  const known = Object.keys(entries).join(', ');
  return v.strictObject(entries, (issue) => {
    const [item] = issue.path ?? [];
    const key = item?.key;
    if (typeof key === 'string' && issue.expected === 'never') {
      const others = Object.keys(item?.input as object).filter(
        (k) => k !== key && !Object.hasOwn(entries, k),
      );
      const also = others.length > 0 ? ` (nor are ${others.join(', ')})` : '';
      return `is not a known field, got ${show(item?.value)}${also}: remove it or use one of ${known}`;
    }
    if (typeof key === 'string' && item?.origin === 'key') {
      const schema = entries[key];
      return `is required: set it to ${(schema && v.getDescription(schema)) ?? 'a value'}`;
    }
    return `must be an object with the fields ${known}, got ${show(issue.input)}`;
  });
}

/**
 * Checks `input` against `schema`, rendering each problem as a sentence about `subject`.
 * Only the first problem of each field is reported.
 */
export function validate<S extends v.GenericSchema>(
  subject: string,
  schema: S,
  input: unknown,
): { ok: true; value: v.InferOutput<S> } | { ok: false; problems: string[] } {
  const result = v.safeParse(schema, withoutUndefined(input), { abortPipeEarly: true });
  if (result.success) return { ok: true, value: result.output };
  const problems = result.issues.map((issue) => {
    const path = (issue.path ?? []).map((p) => String(p.key)).join('.');
    return `${subject}: ${path === '' ? 'the value' : path} ${issue.message}`;
  });
  return { ok: false, problems: [...new Set(problems)] };
}

/** A field set to undefined is absent, as it would be in JSON. */
function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUndefined);
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype)
    return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, field]) => field !== undefined)
      .map(([key, field]) => [key, withoutUndefined(field)]),
  );
}
