import type { AmiBakeConfig } from '../deployment/config';

/** The parts of a synthesized stack's Terraform JSON the summary reads. */
export interface StackJson {
  resource?: Record<string, Record<string, unknown>>;
}

/** One screen after `npm run synth`: what was written where, what it declares, and what to run next (pure). */
export function synthSummary(config: AmiBakeConfig, tf: StackJson, stackDir: string): string {
  const byType = Object.entries(tf.resource ?? {})
    .map(([type, resources]) => [type, Object.keys(resources).length] as const)
    .sort(([a, m], [b, n]) => n - m || a.localeCompare(b));
  const total = byType.reduce((sum, [, n]) => sum + n, 0);
  const recipes = config.recipes.map((r) => {
    const base = r.base.describe ? `describe ${r.base.describe.name}` : `ssm ${r.base.ssmParameter ?? '?'}`;
    return `    ${r.name}: ${base}, script ${r.script}${r.instanceType ? `, ${r.instanceType}` : ''}`;
  });
  return [
    `amibake: stack "${config.namePrefix}" (${config.region}) synthesized into ${stackDir}`,
    `  ${total} resources:`,
    ...wrap(
      byType.map(([type, n]) => `${n} ${type}`),
      96,
    ).map((line) => `    ${line}`),
    `  ${config.recipes.length} recipe(s), ${config.recipeStore} store, schedule ${config.schedule}:`,
    ...recipes,
    '  next: npx cdktf diff (review the plan), then npx cdktf deploy',
  ].join('\n');
}

/** Items joined with ", " into lines of at most `width` characters (a longer item has a line of its own). */
function wrap(items: readonly string[], width: number): string[] {
  const lines: string[] = [];
  for (const item of items) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + 2 + item.length <= width)
      lines[lines.length - 1] = `${last}, ${item}`;
    else lines.push(item);
  }
  return lines;
}
