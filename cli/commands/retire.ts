import { createEc2 } from '../../functions/shared/aws/clients';
import { type RetireReport, retireImages } from '../../functions/shared/retire-images';
import { table } from '../args';
import type { StackContext } from '../context';
import { loadRecipes } from './recipes';

/** Every recipe's retention, now (or only its list, on a dry run). */
export async function retire(
  ctx: StackContext,
  dryRun: boolean,
): Promise<{ reports: RetireReport[]; text: string }> {
  const reports: RetireReport[] = [];
  for (const recipe of await loadRecipes(ctx)) {
    const kept = { name: recipe.name, keep: recipe.lifecycle.keep };
    reports.push(await retireImages({ ec2: ctx.clients.ec2, log: ctx.log }, ctx.names.prefix, kept, dryRun));
    for (const { region } of recipe.distribution.copies) {
      const ec2 = createEc2({ region });
      const report = await retireImages({ ec2, log: ctx.log }, ctx.names.prefix, kept, dryRun);
      reports.push({ ...report, recipe: `${recipe.name} (${region})` });
    }
  }
  const verb = dryRun ? 'would retire' : 'retired';
  const rows = reports.flatMap((r) => [
    ...r.retired.map((i) => [r.recipe, i.imageId, verb, `snapshots ${i.snapshots.join(', ') || 'none'}`]),
    ...r.skipped.map((i) => [r.recipe, i.imageId, 'kept', i.reason]),
    ...r.kept.map((id) => [r.recipe, id, 'kept', 'among the newest']),
  ]);
  return { reports, text: rows.length === 0 ? 'no images' : table(['RECIPE', 'AMI', 'ACTION', 'WHY'], rows) };
}
