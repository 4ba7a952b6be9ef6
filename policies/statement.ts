import { globToRegExp } from '../functions/shared/glob';

/**
 * The shape of the policy documents in this folder. Each statement carries the reason it exists;
 * the reason is for reviewers and is left out of the JSON that IAM receives.
 */
export type Conditions = Record<string, Record<string, string | string[]>>;

export interface Statement {
  /** Alphanumeric statement id, shown in the Terraform plan. */
  sid: string;
  reason: string;
  actions: string[];
  /** `'*'` only for actions listed in UNSCOPABLE_ACTIONS. */
  resources: string[] | '*';
  conditions?: Conditions;
}

/**
 * Actions AWS cannot scope to a resource, hence the only ones granted on `Resource: "*"`,
 * each with its reason.
 */
export const UNSCOPABLE_ACTIONS: Readonly<Record<string, string>> = {
  'ec2:DescribeImages':
    'EC2 Describe* actions support no resource-level permissions: the service authorises them on "*" only',
  'ec2:DescribeInstances':
    'EC2 Describe* actions support no resource-level permissions: the service authorises them on "*" only',
  'ec2:DescribeLaunchTemplates':
    'EC2 Describe* actions support no resource-level permissions: the service authorises them on "*" only',
  'ec2:DescribeLaunchTemplateVersions':
    'EC2 Describe* actions support no resource-level permissions: the service authorises them on "*" only',
  'events:ListRules':
    'ListRules supports no resource-level permissions; the sweep lists only names starting with the prefix',
};

/** Whether a policy's resource pattern names an ARN: `*` matches any run of characters, `?` one, as in IAM. */
export function resourceMatches(pattern: string, arn: string): boolean {
  return globToRegExp(pattern).test(arn);
}

/** The IAM JSON of a list of statements (reasons dropped, order kept). */
export function policyJson(statements: readonly Statement[]): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: statements.map((s) => ({
      Sid: s.sid,
      Effect: 'Allow',
      Action: s.actions,
      Resource: s.resources,
      ...(s.conditions ? { Condition: s.conditions } : {}),
    })),
  });
}

/** Who may assume a role: one AWS service, from this account only where the service supports it. */
export function trustPolicyJson(service: string, sourceAccount?: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: service },
        Action: 'sts:AssumeRole',
        ...(sourceAccount ? { Condition: { StringEquals: { 'aws:SourceAccount': sourceAccount } } } : {}),
      },
    ],
  });
}
