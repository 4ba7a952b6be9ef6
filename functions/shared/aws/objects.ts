import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { AmiBakeError } from '../errors';

/** S3 objects: recipes documents, customisation scripts, and the reports of build instances. */
export const OBJECTS_ACTIONS = {
  getText: ['s3:GetObject', 's3:ListBucket'],
  readObject: ['s3:GetObject', 's3:ListBucket'],
  readObjectVersion: ['s3:GetObjectVersion', 's3:ListBucket'],
  streamObject: ['s3:GetObject', 's3:ListBucket'],
  putText: ['s3:PutObject'],
  /** Signing makes no call; the instance's PUT/GET is authorised by the signer's permissions. */
  presignPut: ['s3:PutObject'],
  presignGet: ['s3:GetObject'],
} as const;

export interface ObjectRef {
  bucket: string;
  key: string;
}

export const s3Uri = (ref: ObjectRef) => `s3://${ref.bucket}/${ref.key}`;

/**
 * S3 answers a read of a missing key with 404 only to a caller allowed s3:ListBucket on the
 * whole bucket, and with 403 to everyone else. amibake's roles may list only the prefixes they
 * read, so a 404 or 403 is settled by listing exactly that key: absent, or a real refusal.
 */
async function absent(s3: S3Client, ref: ObjectRef, error: unknown): Promise<boolean> {
  const name = (error as Error).name;
  if (!['NoSuchKey', 'NotFound', 'AccessDenied', 'Forbidden'].includes(name)) return false;
  try {
    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: ref.bucket, Prefix: ref.key, MaxKeys: 1 }),
    );
    return !(listed.Contents ?? []).some((o) => o.Key === ref.key);
  } catch (listing) {
    throw new AmiBakeError(`${s3Uri(ref)} cannot be read (${name}), and listing it was refused too`, {
      code: (listing as Error).name,
      cause: listing,
    });
  }
}

/**
 * The object's text, or undefined when it does not exist. With `maxBytes`, only that much is
 * read (the rest of the body is dropped unread): for objects that others write, such as a build
 * instance's report.
 */
export async function getText(
  s3: S3Client,
  ref: ObjectRef,
  options: { maxBytes?: number } = {},
): Promise<string | undefined> {
  return (await readObject(s3, ref, undefined, options.maxBytes))?.text;
}

export interface ObjectContent {
  text: string;
  /** The version read, when the bucket keeps versions. */
  versionId?: string;
  /** A string that changes whenever the content changes: the version id, else the ETag. */
  identity: string;
}

/**
 * One version of an object (the current one when `versionId` is not given), or undefined when
 * the object or that version does not exist.
 */
export async function readObject(
  s3: S3Client,
  ref: ObjectRef,
  versionId?: string,
  maxBytes?: number,
): Promise<ObjectContent | undefined> {
  try {
    const result = await s3.send(
      new GetObjectCommand({
        Bucket: ref.bucket,
        Key: ref.key,
        ...(versionId ? { VersionId: versionId } : {}),
      }),
    );
    const text =
      maxBytes === undefined
        ? ((await result.Body?.transformToString('utf-8')) ?? '')
        : await readAtMost(result.Body as AsyncIterable<Uint8Array> | undefined, maxBytes);
    const version = result.VersionId && result.VersionId !== 'null' ? result.VersionId : undefined;
    return {
      text,
      ...(version ? { versionId: version } : {}),
      identity: version ? `version:${version}` : `etag:${result.ETag ?? ''}`,
    };
  } catch (error) {
    if ((error as Error).name === 'NoSuchVersion') return undefined;
    if (await absent(s3, ref, error)) return undefined;
    throw error;
  }
}

export async function putText(
  s3: S3Client,
  ref: ObjectRef,
  body: string,
  contentType = 'text/plain',
): Promise<void> {
  await s3.send(
    new PutObjectCommand({ Bucket: ref.bucket, Key: ref.key, Body: body, ContentType: contentType }),
  );
}

/**
 * Pre-signed URLs for the build instance. `presigner` must be made by `createPresigner()`: a
 * client that computes checksums only when required, so that no `x-amz-checksum-*` of an empty
 * body is signed into an upload URL (S3 would refuse every real body with BadDigest).
 */
export function presignPut(presigner: S3Client, ref: ObjectRef, expiresInSeconds: number): Promise<string> {
  return getSignedUrl(presigner, new PutObjectCommand({ Bucket: ref.bucket, Key: ref.key }), {
    expiresIn: expiresInSeconds,
  });
}

export function presignGet(presigner: S3Client, ref: ObjectRef, expiresInSeconds: number): Promise<string> {
  return getSignedUrl(presigner, new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }), {
    expiresIn: expiresInSeconds,
  });
}

/** The first `maxBytes` of a body, as text; the stream is then closed without reading the rest. */
async function readAtMost(body: AsyncIterable<Uint8Array> | undefined, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of atMost(body, maxBytes)) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf-8');
}

/** The chunks of a body up to `maxBytes` in all; the body is closed without reading the rest. */
async function* atMost(body: AsyncIterable<Uint8Array> | undefined, maxBytes: number) {
  if (!body) return;
  let size = 0;
  try {
    for await (const chunk of body) {
      const left = maxBytes - size;
      size += chunk.length;
      yield chunk.length > left ? chunk.subarray(0, left) : chunk;
      if (size >= maxBytes) break;
    }
  } finally {
    (body as { destroy?: () => void }).destroy?.();
  }
}

/**
 * Passes an object's bytes to `onChunk` as S3 sends them, `maxBytes` at most (the rest is not
 * read). Undefined when the object does not exist; otherwise its size and whether it was cut.
 */
export async function streamObject(
  s3: S3Client,
  ref: ObjectRef,
  maxBytes: number,
  onChunk: (bytes: Uint8Array) => void,
): Promise<{ size: number; truncated: boolean } | undefined> {
  let result: GetObjectCommandOutput;
  try {
    result = await s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
  } catch (error) {
    if (await absent(s3, ref, error)) return undefined;
    throw error;
  }
  for await (const chunk of atMost(result.Body as AsyncIterable<Uint8Array> | undefined, maxBytes)) {
    onChunk(chunk);
  }
  const size = result.ContentLength ?? 0;
  return { size, truncated: size > maxBytes };
}
