/**
 * What the fault layer proved, per process: the classes it ran and recovered, and the (function,
 * action, region) pairs of the clean cycle's whole trace that a recovered class covers. A process
 * prints its share as one line (`fault-coverage <json>`); `npm test` runs the layer in shards and
 * combines their lines into the layer's closing line.
 */
export interface FaultCoverage {
  /** Every class of the clean cycles, in all shards. */
  classes: number;
  /** The classes this process ran and recovered. */
  recovered: number;
  /** Every (function, action, region) pair of the clean cycles' whole traces. */
  pairs: string[];
  /** The pairs this process covered: at least one recovered class injected at a call of the pair. */
  covered: string[];
}

const PREFIX = 'fault-coverage ';

export const coverageLine = (coverage: FaultCoverage) => `${PREFIX}${JSON.stringify(coverage)}`;

/** The coverage a line of the layer's output carries, if it is one. */
export function parseCoverageLine(line: string): FaultCoverage | undefined {
  const at = line.indexOf(PREFIX);
  if (at < 0) return undefined;
  return JSON.parse(line.slice(at + PREFIX.length)) as FaultCoverage;
}

/**
 * The layer's closing line from its processes' coverage, and whether it proved everything: every
 * class recovered and every pair covered. `expected` processes must each have reported once (a
 * shard that crashed before its last line proved nothing).
 */
export function combineCoverage(
  reports: readonly FaultCoverage[],
  expected = 1,
): { line: string; complete: boolean } {
  const classes = Math.max(0, ...reports.map((r) => r.classes));
  const recovered = reports.reduce((sum, r) => sum + r.recovered, 0);
  const pairs = new Set(reports.flatMap((r) => r.pairs));
  const covered = new Set(reports.flatMap((r) => r.covered.filter((p) => pairs.has(p))));
  const missing = [...pairs].filter((p) => !covered.has(p));
  const reported = reports.length === expected ? '' : `; ${reports.length} of ${expected} processes reported`;
  const line =
    `fault injection: ${recovered}/${classes} classes recovered; ` +
    `${covered.size}/${pairs.size} (function, action, region) pairs of the full trace covered${reported}` +
    (missing.length > 0 ? ` (not covered: ${missing.join(', ')})` : '');
  return {
    line,
    complete: reports.length === expected && classes > 0 && recovered === classes && missing.length === 0,
  };
}
