import type { CreateImageCommandInput, Tag } from '@aws-sdk/client-ec2';
import { renderAmiName } from '../shared/ami-name';
import { BUILD_STARTED_TAG, type BuildRecord, DEPLOYMENT_TAG } from '../shared/build-record';

/** Lineage tags on the image and its snapshots. */
export function imageTags(build: BuildRecord, name: string, deployment: string): Tag[] {
  return [
    ...Object.entries(build.recipe.tags).map(([Key, Value]) => ({ Key, Value })),
    { Key: 'Name', Value: name },
    { Key: DEPLOYMENT_TAG, Value: deployment },
    { Key: 'amibake:recipe', Value: build.recipeName },
    { Key: 'amibake:recipe-hash', Value: build.recipeHash },
    { Key: 'amibake:build-id', Value: build.buildId },
    { Key: BUILD_STARTED_TAG, Value: build.createdAt },
    { Key: 'amibake:base-image-id', Value: build.baseImageId },
    { Key: 'amibake:base-image-name', Value: (build.baseImageName ?? 'unknown').slice(0, 256) },
    { Key: 'amibake:created-by', Value: 'amibake' },
  ];
}

/**
 * The CreateImage request for a finished build (pure: no SDK call). The name's time is the
 * build's start, so a repeated request asks for the same name, which EC2 refuses to duplicate.
 */
export function createImageInput(
  build: BuildRecord,
  instanceId: string,
  deployment: string,
): CreateImageCommandInput {
  const name = renderAmiName(build.recipe.amiName, {
    recipe: build.recipeName,
    buildId: build.buildId,
    baseImageId: build.baseImageId,
    time: new Date(build.createdAt),
  });
  const tags = imageTags(build, name, deployment);
  const description =
    build.recipe.description ??
    `amibake ${build.recipeName} from ${build.baseImageName ?? build.baseImageId} (build ${build.buildId})`;
  return {
    InstanceId: instanceId,
    Name: name,
    Description: description.slice(0, 255),
    NoReboot: true,
    TagSpecifications: [
      { ResourceType: 'image', Tags: tags },
      { ResourceType: 'snapshot', Tags: tags },
    ],
  };
}
