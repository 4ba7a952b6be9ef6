/**
 * Facts AWS documents that validation holds configurations to, so that a mistake is refused
 * with its fix before anything is deployed or launched.
 */

/** Public AWS regions (commercial, GovCloud, China), as the EC2 documentation lists them. */
export const AWS_REGIONS: readonly string[] = [
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ca-central-1',
  'ca-west-1',
  'cn-north-1',
  'cn-northwest-1',
  'eu-central-1',
  'eu-central-2',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'mx-central-1',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-gov-east-1',
  'us-gov-west-1',
  'us-west-1',
  'us-west-2',
];

export function regionProblem(value: unknown): string | undefined {
  if (typeof value === 'string' && AWS_REGIONS.includes(value)) return undefined;
  return `must be an AWS region name such as "us-east-1" or "eu-west-1", got ${JSON.stringify(value)}`;
}

/**
 * The architecture an instance type runs, from its family: Graviton families carry a "g" after
 * their generation (t4g, m7g, c7gn, x2gd, im4gn, is4gen), and a1 is the first Graviton; mac
 * families run the Mac architectures. Undefined for a name that is not an instance type.
 */
export function instanceArchitecture(instanceType: string): 'x86_64' | 'arm64' | 'mac' | undefined {
  const family = /^([a-z]+)(\d+)([a-z-]*)\.[a-z0-9]+$/.exec(instanceType);
  if (!family) return undefined;
  const [, series, generation, options] = family as unknown as [string, string, string, string];
  if (series === 'mac') return 'mac';
  if (series === 'a' && generation === '1') return 'arm64';
  return options.includes('g') ? 'arm64' : 'x86_64';
}

/** Problems of an instance type for a base of `architecture` (none when they match). */
export function instanceTypeProblems(instanceType: string, architecture: string): string[] {
  const runs = instanceArchitecture(instanceType);
  if (runs === undefined || runs === 'mac') return [];
  const base = architecture === 'i386' ? 'x86_64' : architecture;
  if (base !== 'x86_64' && base !== 'arm64') return [];
  if (runs === base) return [];
  const example = base === 'arm64' ? 't4g.small, m7g.large' : 't3.small, m7i.large';
  return [
    `instanceType "${instanceType}" runs ${runs} but the base is ${base}: choose an ${base} type such as ${example}, or a base of the other architecture`,
  ];
}

/**
 * Problems of an EventBridge schedule expression: `rate(<n> <unit>)` with the unit singular for
 * 1 and plural otherwise, or `cron(...)` with its six fields.
 */
export function scheduleProblems(expression: unknown): string[] {
  const fix = 'such as "rate(1 day)", "rate(12 hours)" or "cron(0 6 * * ? *)"';
  if (typeof expression !== 'string')
    return [`must be an EventBridge schedule ${fix}, got ${JSON.stringify(expression)}`];
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const [, count, unit] = rate as unknown as [string, string, string];
    const value = Number(count);
    if (value < 1) return [`must have a rate of at least 1, got "${expression}"`];
    const singular = unit.endsWith('s') ? unit.slice(0, -1) : unit;
    const expected = value === 1 ? singular : `${singular}s`;
    return unit === expected ? [] : [`must say "rate(${value} ${expected})", got "${expression}"`];
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (cron) {
    const fields = (cron[1] ?? '').trim().split(/\s+/);
    if (fields.length !== 6)
      return [
        `must have six cron fields (minutes hours day-of-month month day-of-week year), got "${expression}", which has ${fields.length}`,
      ];
    const [, , dayOfMonth, , dayOfWeek] = fields;
    if ((dayOfMonth === '?') === (dayOfWeek === '?'))
      return [`must set "?" in exactly one of day-of-month and day-of-week, got "${expression}"`];
    return [];
  }
  return [`must be an EventBridge schedule ${fix}, got "${expression}"`];
}

/** Whether text holds a control character (C0, DEL or C1): refused in descriptions and tags. */
export function hasControlCharacter(text: string): boolean {
  for (const character of text) {
    const code = character.codePointAt(0) ?? 0;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}
