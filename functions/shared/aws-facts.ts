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

/** EC2 instance families, current and previous generations (the families EC2 listed in 2026). */
const INSTANCE_FAMILIES = new Set(
  [
    // general purpose
    'a1 m1 m2 m3 m4 m5 m5a m5ad m5d m5dn m5n m5zn m6a m6g m6gd m6i m6id m6idn m6in m7a m7g m7gd',
    'm7i m7i-flex m8a m8g m8gd m8i m8i-flex m8id t1 t2 t3 t3a t4g',
    'mac1 mac2 mac2-m1ultra mac2-m2 mac2-m2pro mac-m4 mac-m4pro',
    // compute optimized
    'c1 c3 c4 c5 c5a c5ad c5d c5n c6a c6g c6gd c6gn c6i c6id c6in c7a c7g c7gd c7gn c7i c7i-flex',
    'c8a c8g c8gd c8gn c8i c8i-flex cc1 cc2',
    // memory optimized
    'cr1 r3 r4 r5 r5a r5ad r5b r5d r5dn r5n r6a r6g r6gd r6i r6id r6idn r6in r7a r7g r7gd r7i r7iz',
    'r8a r8g r8gd r8i r8i-flex x1 x1e x2gd x2idn x2iedn x2iezn x8g z1d',
    'u-3tb1 u-6tb1 u-9tb1 u-12tb1 u-18tb1 u-24tb1 u7i-6tb u7i-8tb u7i-12tb u7in-16tb u7in-24tb',
    'u7in-32tb u7inh-32tb',
    // storage optimized
    'd2 d3 d3en h1 hi1 hs1 i2 i3 i3en i4g i4i i7i i7ie i8g i8ge im4gn is4gen',
    // accelerated computing and HPC
    'cg1 dl1 dl2q f1 f2 g2 g3 g3s g4ad g4dn g5 g5g g6 g6e g6f gr6 gr6f inf1 inf2 p2 p3 p3dn p4d',
    'p4de p5 p5e p5en p6-b200 p6e-gb200 trn1 trn1n trn2 trn2u vt1 hpc6a hpc6id hpc7a hpc7g hpc8a',
  ]
    .join(' ')
    .split(' '),
);
const INSTANCE_SIZE = /^(?:nano|micro|small|medium|large|\d*xlarge|metal(?:-\d+xl)?)$/;

/** Why a string is not an EC2 instance type amibake knows, or undefined when it is one. */
export function instanceTypeProblem(value: unknown): string | undefined {
  const [family = '', size = '', ...rest] = typeof value === 'string' ? value.split('.') : [];
  if (INSTANCE_FAMILIES.has(family) && INSTANCE_SIZE.test(size) && rest.length === 0) return undefined;
  const why = INSTANCE_FAMILIES.has(family)
    ? `"${size}" is not an instance size`
    : `"${family}" is not an EC2 instance family amibake knows (functions/shared/aws-facts.ts lists them: add one EC2 launched since)`;
  return `must be an EC2 instance type such as "t3.small" or "m7g.large", got ${JSON.stringify(value)}: ${why}`;
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

/** The families that run on the Xen hypervisor: every other one is built on the Nitro System. */
const XEN_FAMILIES = new Set([
  ...['t1', 't2', 'm1', 'm2', 'm3', 'm4', 'c1', 'c3', 'c4', 'r3', 'r4', 'i2', 'i3'],
  ...['x1', 'x1e', 'd2', 'g2', 'g3', 'g3s', 'p2', 'p3', 'f1', 'h1', 'cc2', 'cr1', 'hs1'],
]);

/**
 * Whether an instance type is built on the Nitro System, which alone serves the latest console
 * output (GetConsoleOutput's `Latest`); bare metal sizes are, whatever their family.
 */
export function runsOnNitro(instanceType: string): boolean {
  const [family = '', size] = instanceType.split('.');
  return size === 'metal' || !XEN_FAMILIES.has(family);
}

/**
 * The architecture an SSM parameter's path names, as AWS's public ones do
 * (`.../al2023-ami-kernel-default-x86_64`, `.../amazon-linux-2023/arm64/recommended/image_id`,
 * Canonical's `.../amd64/hvm/...`), or undefined when it names none.
 */
export function parameterArchitecture(parameter: string): 'x86_64' | 'arm64' | undefined {
  const named = (word: string) => new RegExp(`(?:^|[/_-])${word}(?:[/_-]|$)`).test(parameter);
  if (named('arm64') || named('aarch64')) return 'arm64';
  if (named('x86_64') || named('amd64')) return 'x86_64';
  return undefined;
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

/**
 * Why a base cannot be baked through user data, from its name, SSM parameter or platform, or
 * undefined: Bottlerocket reads its user data as TOML settings and runs no script, and Windows
 * runs PowerShell through EC2Launch, not the shell wrapper.
 */
export function unsupportedBase(base: {
  name?: string | undefined;
  platform?: string | undefined;
}): string | undefined {
  if (/bottlerocket/i.test(base.name ?? '')) {
    return 'Bottlerocket cannot be baked through user data: it reads user data as TOML settings and runs no script, so the customisation would never run; build a Bottlerocket variant with its SDK instead';
  }
  if (base.platform?.toLowerCase() === 'windows' || /windows/i.test(base.name ?? '')) {
    return 'Windows bases are not supported: the customisation runs as a shell script from user data, which Windows (EC2Launch) does not run';
  }
  return undefined;
}
