import type { Image } from '@aws-sdk/client-ec2';
import type { BuildRecord } from '../shared/build-record';
import { BUILD_ID_TAG, DEPLOYMENT_TAG } from '../shared/tags';

/** What an image must show to be adopted as a build's own: its source, and when it was made. */
export type Provenance =
  | { kind: 'image'; instanceId: string | undefined }
  | { kind: 'copy'; sourceImageId: string; sourceRegion: string };

/**
 * Why an image found by the build's tag or name is not the build's own, or undefined when it is
 * (pure). Tags prove nothing (anyone with ec2:CreateTags can copy them onto any image of the
 * account): an image is the build's only if EC2 says it was made from the build's instance (a
 * copy: from the build's image), it carries this deployment's tag, and it was created after
 * the build started.
 */
export function notOwnImage(
  image: Image,
  build: Pick<BuildRecord, 'buildId' | 'createdAt'>,
  deployment: string,
  expected: Provenance,
): string | undefined {
  const tags = Object.fromEntries((image.Tags ?? []).map((t) => [t.Key, t.Value]));
  const problems: string[] = [];
  if (expected.kind === 'image' && (!expected.instanceId || image.SourceInstanceId !== expected.instanceId)) {
    problems.push(
      `was made from instance ${image.SourceInstanceId ?? '(none)'}, not the build's ${expected.instanceId ?? '(none)'}`,
    );
  }
  if (
    expected.kind === 'copy' &&
    (image.SourceImageId !== expected.sourceImageId || image.SourceImageRegion !== expected.sourceRegion)
  ) {
    problems.push(
      `was copied from ${image.SourceImageId ?? '(nothing)'} in ${image.SourceImageRegion ?? '(no region)'}, not from the build's ${expected.sourceImageId} in ${expected.sourceRegion}`,
    );
  }
  if (tags[BUILD_ID_TAG] !== build.buildId)
    problems.push(`is tagged ${BUILD_ID_TAG}=${tags[BUILD_ID_TAG] ?? '(none)'}`);
  if (tags[DEPLOYMENT_TAG] !== deployment) {
    problems.push(`is tagged ${DEPLOYMENT_TAG}=${tags[DEPLOYMENT_TAG] ?? '(none)'}, not ${deployment}`);
  }
  const created = Date.parse(image.CreationDate ?? '');
  if (!(created >= Date.parse(build.createdAt))) {
    problems.push(
      `was created ${image.CreationDate ?? '(no date)'}, before the build started (${build.createdAt})`,
    );
  }
  return problems.length > 0 ? `image ${image.ImageId} ${problems.join(', ')}` : undefined;
}

/** The build's own image among those found, and the impostors (each with its reason). */
export function sortImages(
  images: readonly Image[],
  build: Pick<BuildRecord, 'buildId' | 'createdAt'>,
  deployment: string,
  expected: Provenance,
): { own: Image | undefined; impostors: string[] } {
  const impostors: string[] = [];
  let own: Image | undefined;
  for (const image of images) {
    const problem = notOwnImage(image, build, deployment, expected);
    if (problem) impostors.push(problem);
    else own ??= image;
  }
  return { own, impostors };
}
