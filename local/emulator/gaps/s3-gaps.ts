import { emptyAnswer, errorAnswer } from '../answers';
import { s3Location } from '../aws-request';
import type { Layer } from '../gateway';

/**
 * Bucket policies, held by the emulator layer rather than by moto. moto evaluates a bucket
 * policy's Deny statements without their conditions, so the stack's TLS-only policy
 * (`Deny s3:* when aws:SecureTransport is false`) would deny every object request. The layer
 * keeps the documents, answers Terraform's Put/Get/DeleteBucketPolicy with them, and the IAM
 * layer evaluates them with their conditions, as AWS does (see ../iam/authorizer.ts).
 */
export class BucketPolicies {
  private readonly documents = new Map<string, string>();

  constructor(private readonly bucketExists: (bucket: string) => Promise<boolean>) {}

  policyOf(bucket: string): object | undefined {
    const text = this.documents.get(bucket);
    return text === undefined ? undefined : (JSON.parse(text) as object);
  }

  clear(): void {
    this.documents.clear();
  }

  readonly layer: Layer = async ({ request }, next) => {
    if (request.protocol !== 's3') return next();
    const { bucket } = s3Location(request.url);
    switch (request.operation) {
      case 'PutBucketPolicy': {
        const text = request.body.toString('utf-8');
        try {
          JSON.parse(text);
        } catch {
          return errorAnswer(request, 400, 'MalformedPolicy', 'Policies must be valid JSON');
        }
        if (!(await this.bucketExists(bucket)))
          return errorAnswer(request, 404, 'NoSuchBucket', 'The specified bucket does not exist');
        this.documents.set(bucket, text);
        return emptyAnswer(204);
      }
      case 'GetBucketPolicy': {
        const text = this.documents.get(bucket);
        if (text === undefined)
          return errorAnswer(request, 404, 'NoSuchBucketPolicy', 'The bucket policy does not exist');
        return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(text) };
      }
      case 'DeleteBucketPolicy':
        this.documents.delete(bucket);
        return emptyAnswer(204);
      case 'DeleteBucket': {
        const answer = await next();
        if (answer.status < 300) this.documents.delete(bucket);
        return answer;
      }
      default:
        return next();
    }
  };
}

/**
 * GetBucketLifecycleConfiguration without the `x-amz-transition-default-minimum-object-size`
 * header that S3 sends: the AWS provider waits for it for a minute after every lifecycle change.
 * S3's default for buckets since September 2024 is `all_storage_classes_128K`.
 */
export const lifecycleDefaultHeader: Layer = async ({ request }, next) => {
  const answer = await next();
  if (request.operation !== 'GetBucketLifecycle' || answer.status !== 200) return answer;
  if (answer.headers['x-amz-transition-default-minimum-object-size']) return answer;
  return {
    ...answer,
    headers: {
      ...answer.headers,
      'x-amz-transition-default-minimum-object-size': 'all_storage_classes_128K',
    },
  };
};
