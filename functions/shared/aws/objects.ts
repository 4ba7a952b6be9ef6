import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

/** S3 objects: recipes documents, customisation scripts, and the reports of build instances. */
export const OBJECTS_ACTIONS = {
  getText: ['s3:GetObject'],
  objectIdentity: ['s3:GetObject'],
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

/** The object's text, or undefined when it does not exist. */
export async function getText(s3: S3Client, ref: ObjectRef): Promise<string | undefined> {
  try {
    const result = await s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
    return (await result.Body?.transformToString('utf-8')) ?? '';
  } catch (error) {
    if ((error as Error).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

/** A string that changes whenever the object's content changes (version id, else ETag). */
export async function objectIdentity(s3: S3Client, ref: ObjectRef): Promise<string> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
  return head.VersionId && head.VersionId !== 'null'
    ? `version:${head.VersionId}`
    : `etag:${head.ETag ?? ''}`;
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

export function presignPut(s3: S3Client, ref: ObjectRef, expiresInSeconds: number): Promise<string> {
  return getSignedUrl(s3, new PutObjectCommand({ Bucket: ref.bucket, Key: ref.key }), {
    expiresIn: expiresInSeconds,
  });
}

export function presignGet(s3: S3Client, ref: ObjectRef, expiresInSeconds: number): Promise<string> {
  return getSignedUrl(s3, new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }), {
    expiresIn: expiresInSeconds,
  });
}
