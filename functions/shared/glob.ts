/** EC2 filter globs: `*` matches any run of characters, `?` exactly one. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

/**
 * Whether a glob looks written as a regular expression, and the EC2 glob it most likely meant.
 * EC2 name filters know two wildcards, `*` and `?` (EC2 API Reference, "Filtering"); every other
 * character matches itself. AMI names hold only letters, digits, spaces and `( ) [ ] . / - ' @ _`
 * (RegisterImage), so an anchor, `+`, `|`, braces or a backslash can never match, and a bracket
 * or a `.` right before `*` at the start or after a separator (`-.*-`) is a regex idiom: it
 * would match only names that hold that bracket or dot.
 */
export function regexStyleGlob(glob: string): { fixed: string } | undefined {
  const rewritten = glob
    .replace(/^\^/, '')
    .replace(/\$$/, '')
    .replace(/\([^()]*\|[^()]*\)/g, '*')
    .replace(/\\d\+|\\d\*|\[[^\]*]*\]?[*+]/g, '*')
    .replace(/\\d|\[[^\]*]*\]/g, '?')
    .replace(/(^|[-_/ (*])\.\*/g, '$1*')
    .replace(/\.\+/g, '?*')
    .replace(/\\([.\-_/])/g, '$1');
  if (rewritten === glob && !NEVER_IN_A_NAME.test(glob)) return undefined;
  // Written as a regular expression: every ".*" in it meant "anything".
  const fixed = rewritten.replace(/\.\*/g, '*').replace(NEVER_IN_A_NAME_ALL, '').replace(/\*+/g, '*');
  return { fixed };
}

const NEVER_IN_A_NAME = /[\\^$+|{}[\]]/;
const NEVER_IN_A_NAME_ALL = new RegExp(NEVER_IN_A_NAME.source, 'g');
