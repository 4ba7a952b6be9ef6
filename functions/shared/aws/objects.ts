import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { AmiBakeError } from '../errors';

/** S3 objects: recipes documents, customisation scripts, and the reports of build instances. */
export const OBJECTS_ACTIONS = {
  getText: ['s3:GetObject', 's3:ListBucket'],
  objectIdentity: ['s3:GetObject', 's3:ListBucket'],
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

/** The object's text, or undefined when it does not exist. */
export async function getText(s3: S3Client, ref: ObjectRef): Promise<string | undefined> {
  try {
    const result = await s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
    return (await result.Body?.transformToString('utf-8')) ?? '';
  } catch (error) {
    if (await absent(s3, ref, error)) return undefined;
    throw error;
  }
}

/** A string that changes whenever the object's content changes (version id, else ETag); undefined when absent. */
export async function objectIdentity(s3: S3Client, ref: ObjectRef): Promise<string | undefined> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
    return head.VersionId && head.VersionId !== 'null'
      ? `version:${head.VersionId}`
      : `etag:${head.ETag ?? ''}`;
  } catch (error) {
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
