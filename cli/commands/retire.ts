import { createEc2, createSsm } from '../../functions/shared/aws/clients';
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
  const builds = { doc: ctx.clients.doc, tableName: ctx.names.buildsTable };
  const home = { ec2: ctx.clients.ec2, ssm: ctx.clients.ssm, table: builds, log: ctx.log };
  for (const recipe of await loadRecipes(ctx)) {
    const { keep, parameter, candidateParameter } = recipe.lifecycle;
    const kept = { name: recipe.name, keep, parameter, candidateParameter };
    const homeRegion = ctx.region;
    reports.push(
      await retireImages(home, ctx.names.prefix, kept, { region: homeRegion, homeRegion }, dryRun),
    );
    for (const { region } of recipe.distribution.copies) {
      const clients = { ...home, ec2: createEc2({ region }), ssm: createSsm({ region }) };
      const report = await retireImages(clients, ctx.names.prefix, kept, { region, homeRegion }, dryRun);
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
