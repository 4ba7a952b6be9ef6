/**
 * What is in an image: the package manifest the wrapper uploads beside the build log (the
 * installed packages before and after the customisation, as `name<TAB>version` lines under
 * `[before]` and `[after]`), and the differences between two of them (pure).
 */

export interface PackageManifest {
  before: Map<string, string>;
  after: Map<string, string>;
}

interface PackageChange {
  name: string;
  from: string;
  to: string;
}

export interface PackageDiff {
  added: { name: string; version: string }[];
  removed: { name: string; version: string }[];
  changed: PackageChange[];
  /** The kernel package's change, when it changed. */
  kernel?: PackageChange | undefined;
}

/** Reads a manifest; lines outside the two sections, and malformed ones, are ignored. */
export function parseManifest(text: string): PackageManifest {
  const manifest: PackageManifest = { before: new Map(), after: new Map() };
  let section: Map<string, string> | undefined;
  for (const line of text.split('\n')) {
    if (line === '[before]') section = manifest.before;
    else if (line === '[after]') section = manifest.after;
    else if (section) {
      const [name, version, ...rest] = line.split('\t');
      if (name && version !== undefined && rest.length === 0) section.set(name, version);
    }
  }
  return manifest;
}

/** The packages that a later image adds, removes and changes against an earlier one. */
export function diffPackages(
  earlier: ReadonlyMap<string, string>,
  later: ReadonlyMap<string, string>,
): PackageDiff {
  const diff: PackageDiff = { added: [], removed: [], changed: [] };
  const names = [...new Set([...earlier.keys(), ...later.keys()])].sort();
  for (const name of names) {
    const from = earlier.get(name);
    const to = later.get(name);
    if (from === undefined && to !== undefined) diff.added.push({ name, version: to });
    else if (to === undefined && from !== undefined) diff.removed.push({ name, version: from });
    else if (from !== undefined && to !== undefined && from !== to) diff.changed.push({ name, from, to });
  }
  diff.kernel = kernelChange(earlier, later);
  return diff;
}

/**
 * The running kernel's package: `kernel` (or `kernel6.x` on Amazon Linux) for rpm, the newest
 * `linux-image-<version>` for dpkg (a new kernel is a new package name there).
 */
function kernelOf(packages: ReadonlyMap<string, string>): { name: string; version: string } | undefined {
  const names = [...packages.keys()];
  const rpm = names.filter((n) => /^kernel(?:\d[\d.]*)?(?:\.[a-z0-9_]+)?$/.test(n)).sort();
  const deb = names.filter((n) => /^linux-image-\d[^\s:]*(?::[a-z0-9]+)?$/.test(n)).sort(compareVersions);
  const name = rpm.at(-1) ?? deb.at(-1);
  return name ? { name, version: packages.get(name) as string } : undefined;
}

function kernelChange(
  earlier: ReadonlyMap<string, string>,
  later: ReadonlyMap<string, string>,
): PackageChange | undefined {
  const from = kernelOf(earlier);
  const to = kernelOf(later);
  if (!from || !to) return undefined;
  const a = `${from.name} ${from.version}`;
  const b = `${to.name} ${to.version}`;
  return a === b ? undefined : { name: to.name, from: a, to: b };
}

/** Orders names with embedded versions numerically (linux-image-6.1.10 after linux-image-6.1.9). */
function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** "3 added, 1 removed, 12 changed; kernel 6.1.90 -> 6.1.94" for notifications and the CLI. */
export function summarizeDiff(diff: PackageDiff): string {
  const counts = `${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed`;
  return diff.kernel ? `${counts}; kernel ${diff.kernel.from} -> ${diff.kernel.to}` : counts;
}
