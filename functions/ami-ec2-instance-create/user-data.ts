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
  /** The hygiene steps the recipe keeps. */
  hygieneKeep: readonly string[];
}

/** Quotes a value for a single-quoted bash string. */
export function shellQuoteInner(value: string): string {
  return value.replace(/'/g, `'\\''`);
}

/**
 * The wrapper for one build. `scriptSha256` is the digest of the file the customisation step
 * writes: the wrapper refuses to run anything else (ScriptDigestMismatch).
 */
function fill(template: string, values: WrapperValues, customisation: string, scriptSha256: string): string {
  const simple: Record<string, string> = {
    BUILD_ID: shellQuoteInner(values.buildId),
    STAGE: values.stage,
    SCRIPT_SHA256: shellQuoteInner(scriptSha256),
    TIMEOUT_SECONDS: String(Math.trunc(values.timeoutSeconds)),
    LOG_URL: shellQuoteInner(values.logUrl),
    STATUS_URL: shellQuoteInner(values.statusUrl),
    HYGIENE_KEEP: shellQuoteInner(values.hygieneKeep.join(' ')),
  };
  const filled = withoutComments(template).replace(/\{\{([A-Z0-9_]+)\}\}/g, (match, name: string) =>
    name === 'CUSTOMISATION' ? match : (simple[name] ?? match),
  );
  return filled.split('{{CUSTOMISATION}}').join(customisation);
}

/**
 * The template without its comment lines (the shebang and the line naming the build stay): user
 * data is limited to 16 KB, and each pre-signed URL with a session token takes up to 2 KB of it.
 */
function withoutComments(template: string): string {
  return template
    .split('\n')
    .filter((line, i) => i === 0 || line.includes('{{BUILD_ID}}') || !/^\s*#/.test(line))
    .join('\n');
}

/** The wrapper with the script embedded as a quoted here-document (nothing in it is expanded). */
export function renderInline(template: string, values: WrapperValues, script: string): string {
  let delimiter = `AMIBAKE_SCRIPT_${sha256Hex(script).slice(0, 12).toUpperCase()}`;
  while (script.split('\n').includes(delimiter)) delimiter += '_';
  const body = script.endsWith('\n') ? script : `${script}\n`;
  return fill(template, values, `  cat >"$1" <<'${delimiter}'\n${body}${delimiter}`, sha256Hex(body));
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
  return fill(template, values, `  amibake_transfer get "$1" '${shellQuoteInner(scriptUrl)}'`, scriptSha256);
}

export function fitsUserData(userData: string): boolean {
  return Buffer.byteLength(userData, 'utf-8') <= USER_DATA_LIMIT_BYTES;
}
