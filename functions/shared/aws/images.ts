import {
  CreateImageCommand,
  type CreateImageCommandInput,
  CreateTagsCommand,
  DescribeImagesCommand,
  type EC2Client,
  type Image,
  paginateDescribeImages,
} from '@aws-sdk/client-ec2';
import type { BaseSelector } from '../recipe';

export const IMAGES_ACTIONS = {
  describeCandidates: ['ec2:DescribeImages'],
  describeImage: ['ec2:DescribeImages'],
  describeImagesById: ['ec2:DescribeImages'],
  findImagesByTag: ['ec2:DescribeImages'],
  findImageByName: ['ec2:DescribeImages'],
  createImage: ['ec2:CreateImage', 'ec2:CreateTags'],
  markImage: ['ec2:CreateTags'],
} as const;

type DescribeSelector = Extract<BaseSelector, { kind: 'describe' }>;

/**
 * Every image matching any of the selectors, in one DescribeImages walk (following NextToken
 * pages): the selectors must differ only in their name glob, since filter values are ORed.
 */
export async function describeCandidates(
  ec2: EC2Client,
  selectors: readonly DescribeSelector[],
): Promise<Image[]> {
  const [first] = selectors;
  if (!first) return [];
  const images: Image[] = [];
  const pages = paginateDescribeImages(
    { client: ec2, pageSize: 1000 },
    {
      Owners: first.owners,
      IncludeDeprecated: first.includeDeprecated,
      Filters: [
        { Name: 'name', Values: [...new Set(selectors.map((s) => s.name))] },
        { Name: 'architecture', Values: [first.architecture] },
        { Name: 'state', Values: ['available'] },
        { Name: 'image-type', Values: ['machine'] },
        ...first.filters.map((f) => ({ Name: f.name, Values: f.values })),
      ],
    },
  );
  for await (const page of pages) images.push(...(page.Images ?? []));
  return images;
}

/** One image by id, or undefined when it does not exist (withdrawn or never existed). */
export async function describeImage(ec2: EC2Client, imageId: string): Promise<Image | undefined> {
  try {
    const result = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
    return result.Images?.[0];
  } catch (error) {
    if (
      (error as Error).name === 'InvalidAMIID.NotFound' ||
      (error as Error).name === 'InvalidAMIID.Unavailable'
    ) {
      return undefined;
    }
    throw error;
  }
}

/**
 * The images of these ids that this account can see (its own, shared with it, public): ids that
 * do not exist are left out instead of failing the call, as an ImageIds request would.
 */
export async function describeImagesById(ec2: EC2Client, imageIds: readonly string[]): Promise<Image[]> {
  const images: Image[] = [];
  for (let i = 0; i < imageIds.length; i += 200) {
    const ids = imageIds.slice(i, i + 200);
    const result = await ec2.send(
      new DescribeImagesCommand({ Filters: [{ Name: 'image-id', Values: ids }], IncludeDeprecated: true }),
    );
    images.push(...(result.Images ?? []));
  }
  return images;
}

/** Images of this account carrying a tag (for example the build id): finds an image already made. */
export async function findImagesByTag(ec2: EC2Client, key: string, value: string): Promise<Image[]> {
  const result = await ec2.send(
    new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: `tag:${key}`, Values: [value] }] }),
  );
  return result.Images ?? [];
}

/** The account's own image of that name, if any (AMI names are unique per account and region). */
export async function findImageByName(ec2: EC2Client, name: string): Promise<Image | undefined> {
  const result = await ec2.send(
    new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [name] }] }),
  );
  return result.Images?.[0];
}

export async function createImage(ec2: EC2Client, input: CreateImageCommandInput): Promise<string> {
  const result = await ec2.send(new CreateImageCommand(input));
  if (!result.ImageId) throw new Error('CreateImage returned no ImageId');
  return result.ImageId;
}

/** Adds one tag to an image (the policy allows only the tags amibake marks images with after creation). */
export async function markImage(ec2: EC2Client, imageId: string, key: string, value: string): Promise<void> {
  await ec2.send(new CreateTagsCommand({ Resources: [imageId], Tags: [{ Key: key, Value: value }] }));
}
