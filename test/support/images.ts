import type { Image } from '@aws-sdk/client-ec2';

/** An image as EC2 describes it after a build of `buildId` in deployment `amibake` made it. */
export function builtImage(buildId: string, fields: Partial<Image>): Image {
  return {
    CreationDate: '2026-11-24T10:30:00.000Z',
    Tags: [
      { Key: 'amibake:build-id', Value: buildId },
      { Key: 'amibake:deployment', Value: 'amibake' },
    ],
    ...fields,
  };
}
