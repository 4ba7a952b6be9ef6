import type { Stage } from '../shared/build-record';
import { sha256Hex } from '../shared/recipe-hash';

/** EC2 accepts at most 16 KB of user data before base64 encoding. */
export const USER_DATA_LIMIT_BYTES = 16 * 1024;

export interface WrapperValues {
  buildId: string;
  /** Which instance of the build runs the wrapper. */
  stage: Stage;
  timeoutSeconds: number;
  logUrl: string;
  statusUrl: string;
  /** Where the build instance uploads its package manifest (empty for the test instance). */
  packagesUrl: string;
  /** The hygiene steps the recipe keeps. */
  hygieneKeep: readonly string[];
}

/** Quotes a value for a single-quoted bash string. */
function shellQuoteInner(value: string): string {
  return value.replace(/'/g, `'\\''`);
}

/** The `X-Amz-Security-Token` of a pre-signed URL, as it is written in the URL. */
const tokenOf = (url: string) => /[?&]X-Amz-Security-Token=([^&#]+)/.exec(url)?.[1];

/**
 * The session token every pre-signed URL of the user data carries, when they all carry the same
 * one (URLs signed with a role's session credentials): written once, it saves about 1 KB of the
 * 16 KB per URL after the first.
 */
export function sharedToken(urls: readonly string[]): string | undefined {
  const signed = urls.filter((u) => u !== '');
  const [first] = signed;
  const token = first === undefined ? undefined : tokenOf(first);
  return token && signed.every((u) => tokenOf(u) === token) ? token : undefined;
}

/**
 * A URL for a single-quoted bash string, with the shared token spliced in from $AMIBAKE_TOKEN
 * (`'...'"$AMIBAKE_TOKEN"'...'` is one word to bash).
 */
function quoteUrl(url: string, token: string | undefined): string {
  const quoted = shellQuoteInner(url);
  return token
    ? quoted.split(`X-Amz-Security-Token=${token}`).join(`X-Amz-Security-Token='"$AMIBAKE_TOKEN"'`)
    : quoted;
}

/**
 * The wrapper for one build. `scriptSha256` is the digest of the file the customisation step
 * writes: the wrapper refuses to run anything else (ScriptDigestMismatch). `customisation`
 * receives the quoting of a URL (for the fetching wrapper's script URL).
 */
function fill(
  template: string,
  values: WrapperValues,
  customisation: (url: (u: string) => string) => string,
  scriptSha256: string,
  scriptUrl = '',
): string {
  const token = sharedToken([values.logUrl, values.statusUrl, values.packagesUrl, scriptUrl]);
  const url = (u: string) => quoteUrl(u, token);
  const simple: Record<string, string> = {
    BUILD_ID: shellQuoteInner(values.buildId),
    STAGE: values.stage,
    SCRIPT_SHA256: shellQuoteInner(scriptSha256),
    TIMEOUT_SECONDS: String(Math.trunc(values.timeoutSeconds)),
    TOKEN: shellQuoteInner(token ?? ''),
    LOG_URL: url(values.logUrl),
    STATUS_URL: url(values.statusUrl),
    PACKAGES_URL: url(values.packagesUrl),
    HYGIENE_KEEP: shellQuoteInner(values.hygieneKeep.join(' ')),
  };
  const filled = withoutComments(template).replace(/\{\{([A-Z0-9_]+)\}\}/g, (match, name: string) =>
    name === 'CUSTOMISATION' ? match : (simple[name] ?? match),
  );
  return filled.split('{{CUSTOMISATION}}').join(customisation(url));
}

/**
 * The template without its comment lines (the shebang and the line naming the build stay) and
 * without indentation (the template has no here-document; the script's is added after): user
 * data is limited to 16 KB, and each pre-signed URL with a session token takes up to 2 KB of it.
 */
function withoutComments(template: string): string {
  return template
    .split('\n')
    .filter((line, i) => i === 0 || line.includes('{{BUILD_ID}}') || !/^\s*#/.test(line))
    .map((line) => line.trimStart())
    .join('\n');
}

/** The wrapper with the script embedded as a quoted here-document (nothing in it is expanded). */
export function renderInline(template: string, values: WrapperValues, script: string): string {
  let delimiter = `AMIBAKE_SCRIPT_${sha256Hex(script).slice(0, 12).toUpperCase()}`;
  while (script.split('\n').includes(delimiter)) delimiter += '_';
  const body = script.endsWith('\n') ? script : `${script}\n`;
  return fill(template, values, () => `  cat >"$1" <<'${delimiter}'\n${body}${delimiter}`, sha256Hex(body));
}

/**
 * The wrapper that downloads the script from a pre-signed URL: a small bootstrap of fixed size,
 * which runs the download only if its SHA-256 is `scriptSha256`.
 */
export function renderFetching(
  template: string,
  values: WrapperValues,
  scriptUrl: string,
  scriptSha256: string,
): string {
  return fill(
    template,
    values,
    (url) => `  amibake_transfer get "$1" '${url(scriptUrl)}'`,
    scriptSha256,
    scriptUrl,
  );
}

export function fitsUserData(userData: string): boolean {
  return Buffer.byteLength(userData, 'utf-8') <= USER_DATA_LIMIT_BYTES;
}
