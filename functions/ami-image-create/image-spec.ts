import type { CreateImageCommandInput, Tag } from '@aws-sdk/client-ec2';
import { renderAmiName } from '../shared/ami-name';
import type { BuildRecord } from '../shared/build-record';

/** Lineage tags on the image and its snapshots. */
export function imageTags(build: BuildRecord, name: string): Tag[] {
  return [
    ...Object.entries(build.recipe.tags).map(([Key, Value]) => ({ Key, Value })),
    { Key: 'Name', Value: name },
    { Key: 'amibake:recipe', Value: build.recipeName },
    { Key: 'amibake:recipe-hash', Value: build.recipeHash },
    { Key: 'amibake:build-id', Value: build.buildId },
    { Key: 'amibake:base-image-id', Value: build.baseImageId },
    { Key: 'amibake:base-image-name', Value: (build.baseImageName ?? 'unknown').slice(0, 256) },
    { Key: 'amibake:created-by', Value: 'amibake' },
  ];
}

/** The CreateImage request for a finished build (pure: no SDK call). */
export function createImageInput(build: BuildRecord, instanceId: string, now: Date): CreateImageCommandInput {
  const name = renderAmiName(build.recipe.amiName, {
    recipe: build.recipeName,
    buildId: build.buildId,
    baseImageId: build.baseImageId,
    time: now,
  });
  const tags = imageTags(build, name);
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
