import {
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  type KMSClient,
  ListAliasesCommand,
} from '@aws-sdk/client-kms';
import type { Authorization } from './authorization';

/**
 * What EC2 needs of a KMS key it uses for a caller's EBS volumes and snapshots (launching onto
 * an encrypted volume, copying encrypted snapshots): `kms:CreateGrant` (for an AWS resource),
 * `kms:Decrypt`, `kms:DescribeKey`, `kms:GenerateDataKeyWithoutPlaintext` and `kms:ReEncrypt*`
 * (Amazon EBS User Guide, permissions for EBS encryption; EC2 User Guide, sharing an AMI with
 * encrypted snapshots). Each is authorized as the caller's, through EC2 (`kms:ViaService`).
 * Written from those documents and kept apart from policies/ on purpose: the emulator must never
 * model a rule the way the stack's policies were written.
 */
const EBS_KEY_ACTIONS = [
  'kms:CreateGrant',
  'kms:Decrypt',
  'kms:DescribeKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
] as const;

/** The region's EBS default key, as a request that asks for encryption without a key names it. */
export const DEFAULT_EBS_KEY = 'default';

/** A customer managed key as KMS holds it, or an AWS managed one (`aws/ebs`), or none. */
export type EncryptionKey =
  | { kind: 'customer'; arn: string; policy: KeyPolicy }
  | { kind: 'aws-managed'; arn: string }
  | { kind: 'missing'; keyId: string };

interface KeyPolicy {
  Statement?: KeyPolicyStatement | KeyPolicyStatement[];
}

interface KeyPolicyStatement {
  Effect?: string;
  [field: string]: unknown;
}

/** Reads a key by id, ARN, alias name or alias ARN from KMS (moto), with its key policy (its aliases tell an AWS managed key). */
export async function readEncryptionKey(kms: KMSClient, keyId: string): Promise<EncryptionKey> {
  const described = await kms.send(new DescribeKeyCommand({ KeyId: keyId })).catch((error: Error) => {
    if (error.name === 'NotFoundException') return undefined;
    throw error;
  });
  const metadata = described?.KeyMetadata;
  if (!metadata?.Arn || !metadata.KeyId) return { kind: 'missing', keyId };
  const aliases =
    (await kms.send(new ListAliasesCommand({ KeyId: metadata.KeyId }))).Aliases?.flatMap((a) =>
      a.AliasName ? [a.AliasName] : [],
    ) ?? [];
  // An AWS managed key's policy lets every principal of the account use it through EC2.
  if (metadata.KeyManager === 'AWS' || aliases.some((a) => a.startsWith('alias/aws/'))) {
    return { kind: 'aws-managed', arn: metadata.Arn };
  }
  const policy = await kms.send(new GetKeyPolicyCommand({ KeyId: metadata.KeyId, PolicyName: 'default' }));
  return { kind: 'customer', arn: metadata.Arn, policy: JSON.parse(policy.Policy ?? '{}') };
}

/** An authorization of a key's use, judged against the key policy as well as IAM (see Authorizer). */
export interface KeyUse extends Authorization {
  /** Undefined for a key KMS does not have. */
  keyPolicy: KeyPolicy | undefined;
}

export function isKeyUse(authorization: Authorization): authorization is KeyUse {
  return 'keyPolicy' in authorization;
}

/**
 * The authorizations of EC2's use of `key` in `region` for a caller of `account`: none for an AWS
 * managed key, every EBS action for a customer key, and one that cannot pass for a key KMS does
 * not have.
 */
export function ebsKeyUses(key: EncryptionKey, region: string, account: string): KeyUse[] {
  if (key.kind === 'aws-managed') return [];
  if (key.kind === 'missing') {
    return [
      {
        action: 'kms:DescribeKey',
        resource: `arn:aws:kms:${region}:${account}:key/${key.keyId}`,
        resourceType: 'key',
        facts: {},
        keyPolicy: undefined,
      },
    ];
  }
  return EBS_KEY_ACTIONS.map((action) => ({
    action,
    resource: key.arn,
    resourceType: 'key',
    facts: {
      'kms:ViaService': `ec2.${region}.amazonaws.com`,
      'kms:CallerAccount': account,
      ...(action === 'kms:CreateGrant' ? { 'kms:GrantIsForAWSResource': 'true' } : {}),
    },
    keyPolicy: key.policy,
  }));
}

/**
 * The key a launch encrypts its root volume with: the first encrypted block device's `KmsKeyId`,
 * else the region's default key when it asks for encryption.
 */
export function launchKey(form: URLSearchParams): string | undefined {
  for (let i = 1; form.has(`BlockDeviceMapping.${i}.DeviceName`); i++) {
    if (form.get(`BlockDeviceMapping.${i}.Ebs.Encrypted`) !== 'true') continue;
    return form.get(`BlockDeviceMapping.${i}.Ebs.KmsKeyId`) ?? DEFAULT_EBS_KEY;
  }
  return undefined;
}
