import type { CreateImageCommandInput, Tag } from '@aws-sdk/client-ec2';
import { renderAmiName } from '../shared/ami-name';
import type { BuildRecord } from '../shared/build-record';
import {
  BASE_IMAGE_ID_TAG,
  BASE_IMAGE_NAME_TAG,
  BUILD_ID_TAG,
  BUILD_STARTED_TAG,
  CREATED_BY_TAG,
  DEPLOYMENT_TAG,
  RECIPE_HASH_TAG,
  RECIPE_TAG,
} from '../shared/tags';

/** Lineage tags on the image and its snapshots. */
function imageTags(build: BuildRecord, name: string, deployment: string): Tag[] {
  return [
    ...Object.entries(build.recipe.tags).map(([Key, Value]) => ({ Key, Value })),
    { Key: 'Name', Value: name },
    { Key: DEPLOYMENT_TAG, Value: deployment },
    { Key: RECIPE_TAG, Value: build.recipeName },
    { Key: RECIPE_HASH_TAG, Value: build.recipeHash },
    { Key: BUILD_ID_TAG, Value: build.buildId },
    { Key: BUILD_STARTED_TAG, Value: build.createdAt },
    { Key: BASE_IMAGE_ID_TAG, Value: build.baseImageId },
    { Key: BASE_IMAGE_NAME_TAG, Value: (build.baseImageName ?? 'unknown').slice(0, 256) },
    { Key: CREATED_BY_TAG, Value: 'amibake' },
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
