/**
 * AMI names: rendered from a recipe's template. AWS allows 3-128 characters of
 * a-z A-Z 0-9 ( ) [ ] space . / - ' @ _ and names are unique per account and region,
 * so a template must contain a part that changes with every build.
 */
export const DEFAULT_AMI_NAME_TEMPLATE = '{buildId}';

export interface AmiNameValues {
  recipe: string;
  buildId: string;
  baseImageId: string;
  time: Date;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const ymd = (t: Date) => `${t.getUTCFullYear()}${pad(t.getUTCMonth() + 1)}${pad(t.getUTCDate())}`;
const hms = (t: Date) => `${pad(t.getUTCHours())}${pad(t.getUTCMinutes())}${pad(t.getUTCSeconds())}`;

const placeholders: Record<string, (v: AmiNameValues) => string> = {
  recipe: (v) => v.recipe,
  buildId: (v) => v.buildId,
  baseImageId: (v) => v.baseImageId,
  yyyyMMdd: (v) => ymd(v.time),
  HHmmss: (v) => hms(v.time),
  'yyyyMMdd-HHmmss': (v) => `${ymd(v.time)}-${hms(v.time)}`,
};
/** Placeholders that change from one build to the next. */
const uniquePlaceholders = ['buildId', 'HHmmss', 'yyyyMMdd-HHmmss'];
/** The longest value each placeholder can take (recipe names: 24, build ids: 46, AMI ids: 21). */
const longest: Record<string, number> = {
  recipe: 24,
  buildId: 46,
  baseImageId: 21,
  yyyyMMdd: 8,
  HHmmss: 6,
  'yyyyMMdd-HHmmss': 15,
};

const TOKEN = /\{([^{}]*)\}/g;
const ALLOWED_LITERAL = /^[a-zA-Z0-9()[\] ./\-'@_]*$/;

export function renderAmiName(template: string, values: AmiNameValues): string {
  return template.replace(TOKEN, (_match, name: string) => {
    const render = placeholders[name];
    return render ? render(values) : `{${name}}`;
  });
}

/** Problems with a template, as "must ..." phrases; empty when the template is usable. */
export function amiNameTemplateProblems(template: string): string[] {
  const problems: string[] = [];
  const names = [...template.matchAll(TOKEN)].map((m) => m[1] ?? '');
  const unknown = names.filter((n) => !(n in placeholders));
  if (unknown.length > 0) {
    problems.push(
      `must use only the placeholders ${Object.keys(placeholders)
        .map((p) => `{${p}}`)
        .join(' ')}; unknown: ${unknown.map((n) => `{${n}}`).join(' ')}`,
    );
  }
  const literal = template.replace(TOKEN, '');
  if (!ALLOWED_LITERAL.test(literal) || /[{}]/.test(literal)) {
    problems.push("must contain only a-z A-Z 0-9 ( ) [ ] space . / - ' @ _ outside placeholders");
  }
  if (!names.some((n) => uniquePlaceholders.includes(n))) {
    problems.push(
      'must contain {yyyyMMdd-HHmmss}, {HHmmss} or {buildId} so that every build gets a unique name',
    );
  }
  const maxLength = literal.length + names.reduce((sum, n) => sum + (longest[n] ?? 0), 0);
  if (maxLength > 128) problems.push(`must render to at most 128 characters (can reach ${maxLength})`);
  if (maxLength < 3) problems.push('must render to at least 3 characters');
  return problems;
}
