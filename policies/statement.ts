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
  'ec2:GetSerialConsoleAccessStatus':
    'an account setting of the region: the Service Authorization Reference lists no resource type for it',
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

/**
 * IAM's quotas for customer managed policies (IAM User Guide, "IAM and AWS STS quotas"): a
 * document of at most 6,144 characters, white space not counted, and 10 managed policies
 * attached to one role by default (a quota increase raises it to 20).
 */
export const MANAGED_POLICY_CHARACTERS = 6144;
export const MANAGED_POLICIES_PER_ROLE = 10;
export const MANAGED_POLICIES_PER_ROLE_MAX = 20;

/** A document's size as IAM counts it: its JSON without white space. */
export function policyCharacters(statements: readonly Statement[]): number {
  return policyJson(statements).replace(/\s/g, '').length;
}

/**
 * Statements packed into as few documents as fit the managed-policy limit, in their order: each
 * statement goes into the first document it fits in; one too large for any document is cut into
 * several by its resources (`Sid`, `Sid2`, `Sid3`…), each with the statement's actions and
 * conditions.
 */
export function packPolicies(
  statements: readonly Statement[],
  limit = MANAGED_POLICY_CHARACTERS,
): Statement[][] {
  const documents: Statement[][] = [];
  for (const part of statements.flatMap((s) => cutToFit(s, limit))) {
    const room = documents.find((d) => policyCharacters([...d, part]) <= limit);
    if (room) room.push(part);
    else documents.push([part]);
  }
  return documents;
}

function cutToFit(statement: Statement, limit: number): Statement[] {
  if (policyCharacters([statement]) <= limit || statement.resources === '*') return [statement];
  const parts: Statement[] = [];
  let resources: string[] = [];
  const part = (list: string[]): Statement => ({
    ...statement,
    sid: parts.length === 0 ? statement.sid : `${statement.sid}${parts.length + 1}`,
    resources: list,
  });
  for (const resource of statement.resources) {
    if (resources.length > 0 && policyCharacters([part([...resources, resource])]) > limit) {
      parts.push(part(resources));
      resources = [];
    }
    resources.push(resource);
  }
  parts.push(part(resources));
  const tooLarge = parts.find((p) => policyCharacters([p]) > limit);
  if (tooLarge) {
    throw new Error(
      `statement ${tooLarge.sid} does not fit a managed policy even with one resource (${policyCharacters([tooLarge])} characters, the limit is ${limit})`,
    );
  }
  return parts;
}
