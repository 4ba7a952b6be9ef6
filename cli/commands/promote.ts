import { recipeHistory } from '../../functions/shared/aws/build-queries';
import { createEc2, createSsm } from '../../functions/shared/aws/clients';
import { describeImagesById } from '../../functions/shared/aws/images';
import { getParameterValues, putImageParameter } from '../../functions/shared/aws/parameters';
import type { BuildRecord } from '../../functions/shared/build-record';
import { AmiBakeError } from '../../functions/shared/errors';
import { type PromotionRequest, planPromotion } from '../../functions/shared/plan-promotion';
import { BUILD_ID_TAG, DEPLOYMENT_TAG } from '../../functions/shared/tags';
import { type ConsumerUpdate, updateConsumers } from '../../functions/shared/update-consumers';
import { UsageError } from '../args';
import type { StackContext } from '../context';
import { findRecipe } from './recipes';

export interface PromotionResult {
  recipe: string;
  parameter: string;
  buildId: string;
  /** The image the channel now holds, per region, and what it held before in the home region. */
  images: Record<string, string>;
  previous: string | undefined;
  /** The recipe's launch templates and Auto Scaling groups, pointed at the image. */
  consumers: ConsumerUpdate[];
  text: string;
}

/**
 * `promote <recipe> <build-id>` and `rollback <recipe>`: point the recipe's published parameter,
 * in every region the build's images reached, at a tested image of an earlier build (see
 * plan-promotion.ts). Every region's image is checked before any parameter changes.
 */
export async function promote(
  ctx: StackContext,
  recipeName: string | undefined,
  request: PromotionRequest | { kind: 'promote'; buildId: undefined },
): Promise<PromotionResult> {
  const recipe = await findRecipe(ctx, recipeName);
  if (request.kind === 'promote' && request.buildId === undefined) {
    throw new UsageError(
      `promote needs a build id: npx amibake promote ${recipe.name} <build-id> (see npx amibake history ${recipe.name})`,
    );
  }
  const { parameter } = recipe.lifecycle;
  const builds = await recipeHistory(
    { doc: ctx.clients.doc, tableName: ctx.names.buildsTable },
    recipe.name,
    100,
  );
  const published = (await getParameterValues(ctx.clients.ssm, [parameter])).get(parameter);
  const own = (
    await describeImagesById(
      ctx.clients.ec2,
      builds.flatMap((b) => (b.imageId ? [b.imageId] : [])),
    )
  )
    .filter((i) => i.Tags?.some((t) => t.Key === DEPLOYMENT_TAG && t.Value === ctx.names.prefix))
    .flatMap((i) => (i.ImageId ? [i.ImageId] : []));
  const plan = planPromotion(
    { recipe: recipe.name, builds, published, existing: new Set(own) },
    request as PromotionRequest,
  );
  if ('refused' in plan) throw new AmiBakeError(plan.refused, { code: 'PromotionRefused' });
  const images = await regionalImages(ctx, plan.build);
  for (const [region, imageId] of Object.entries(images)) {
    const ssm = region === ctx.region ? ctx.clients.ssm : createSsm({ region });
    await putImageParameter(ssm, parameter, imageId);
  }
  const consumers = await updateConsumers(
    { ec2: ctx.clients.ec2, autoscaling: ctx.clients.autoscaling, log: ctx.log },
    recipe.consumers,
    plan.imageId,
    `amibake ${recipe.name} ${plan.build.buildId} (${request.kind})`,
  );
  const regions = Object.entries(images)
    .filter(([region]) => region !== ctx.region)
    .map(([region, id]) => `; ${region}: ${id}`)
    .join('');
  const tests = plan.build.test?.outcome ?? 'built before the test stage';
  return {
    recipe: recipe.name,
    parameter,
    buildId: plan.build.buildId,
    images,
    previous: plan.from,
    consumers,
    text: [
      `${parameter} = ${plan.imageId} (build ${plan.build.buildId}, tests ${tests}), was ${plan.from ?? 'unset'}${regions}`,
      ...consumers.map((c) => `${c.kind} ${c.name}: ${c.ok ? c.detail : `not updated: ${c.detail}`}`),
    ].join('\n'),
  };
}

/** The build's image in every region it was distributed to, each checked to exist and be the build's. */
async function regionalImages(ctx: StackContext, build: BuildRecord): Promise<Record<string, string>> {
  const images = build.copies ?? { [ctx.region]: build.imageId as string };
  for (const [region, imageId] of Object.entries(images)) {
    const ec2 = region === ctx.region ? ctx.clients.ec2 : createEc2({ region });
    const [image] = await describeImagesById(ec2, [imageId]);
    const tag = (key: string) => image?.Tags?.find((t) => t.Key === key)?.Value;
    if (image?.State !== 'available' || tag(BUILD_ID_TAG) !== build.buildId) {
      throw new AmiBakeError(
        `the image of build ${build.buildId} in ${region}, ${imageId}, is ${image ? (image.State === 'available' ? 'not tagged as its own' : image.State) : 'gone (retired)'}: nothing was changed; promote another build`,
        { code: 'PromotionRefused' },
      );
    }
  }
  return images;
}
