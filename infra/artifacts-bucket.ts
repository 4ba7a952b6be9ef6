import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { Construct } from 'constructs';

export interface ArtifactsBucketProps {
  name: string;
  /** Build logs, status and user-data copies live under this prefix and expire. */
  logPrefix: string;
  logRetentionDays: number;
  /** Days an overwritten recipe or script version is kept, for rollback. */
  noncurrentVersionDays: number;
  retain: boolean;
  /**
   * Who may write the recipes and scripts (the keys under `prefixes`): IAM principal ARN
   * patterns, the deploying principal among them. Anyone else is denied by the bucket policy,
   * whatever IAM allows them. Unset: IAM alone decides.
   */
  authors?: { principals: string[]; prefixes: string[] };
}

/**
 * The bucket of recipes, scripts and build logs: private (owner-enforced, public access blocked,
 * TLS only), encrypted with S3-managed keys so pre-signed uploads need no KMS grant, versioned.
 */
export class ArtifactsBucket extends Construct {
  readonly bucket: S3Bucket;
  readonly versioning: S3BucketVersioningA;

  constructor(scope: Construct, id: string, props: ArtifactsBucketProps) {
    super(scope, id);
    this.bucket = new S3Bucket(this, 'bucket', { bucket: props.name, forceDestroy: !props.retain });
    const bucket = this.bucket.id;
    new S3BucketOwnershipControls(this, 'ownership', {
      bucket,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    new S3BucketPublicAccessBlock(this, 'public-access', {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      bucket,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
    });
    this.versioning = new S3BucketVersioningA(this, 'versioning', {
      bucket,
      versioningConfiguration: { status: 'Enabled' },
    });
    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket,
      rule: [
        {
          id: 'expire-build-logs',
          status: 'Enabled',
          filter: [{ prefix: props.logPrefix }],
          expiration: [{ days: props.logRetentionDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: 1 }],
        },
        {
          id: 'expire-old-versions',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentVersionDays }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
    });
    const statements: object[] = [
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [this.bucket.arn, `${this.bucket.arn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ];
    if (props.authors) {
      // Whoever writes a script runs it as root on every build instance.
      statements.push({
        Sid: 'OnlyAuthorsWriteRecipesAndScripts',
        Effect: 'Deny',
        Principal: '*',
        Action: ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion'],
        Resource: props.authors.prefixes.map((prefix) => `${this.bucket.arn}/${prefix}*`),
        Condition: { ArnNotLike: { 'aws:PrincipalArn': props.authors.principals } },
      });
    }
    new S3BucketPolicy(this, 'tls-only', {
      bucket,
      policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
    });
  }
}
