import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRolePolicyCommand,
  type IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import {
  runSimulation,
  runUnsafeSimulation,
  type SimulationIdentityPolicy,
} from '@cloud-copilot/iam-simulate';
import { AmiBakeError } from '../../../functions/shared/errors';
import type { Authorization } from './authorization';
import { isKeyUse } from './key-use';
import { requestContext } from './request-context';

/** Why IAM refused a request: the first authorization that failed. */
export interface Denial {
  principal: string;
  action: string;
  resource: string;
  /** `ExplicitlyDenied` or `ImplicitlyDenied`, as the evaluator decided. */
  result: string;
  /** AWS's sentence: "User: ... is not authorized to perform: ... on resource: ... because ...". */
  message: string;
}

/**
 * Judges authorizations with a real IAM policy evaluator (@cloud-copilot/iam-simulate) against
 * what the emulated account holds: the role's inline and attached policies, and a resource
 * policy (a bucket's) where the resource has one. Every decision is kept for the tests.
 */
export class Authorizer {
  readonly decisions: { principal: string; action: string; resource: string; allowed: boolean }[] = [];
  private readonly policies = new Map<string, Promise<SimulationIdentityPolicy[]>>();

  constructor(
    private readonly iam: IAMClient,
    private readonly resourcePolicyOf: (resource: string) => object | undefined,
  ) {}

  /** Forgets the roles' policies (after an apply changed them). */
  forget(): void {
    this.policies.clear();
  }

  async decide(
    principal: { arn: string; roleArn: string },
    authorizations: readonly Authorization[],
    global: Record<string, string>,
  ): Promise<Denial | undefined> {
    const identityPolicies = await this.policiesOf(principal.roleArn);
    for (const authorization of authorizations) {
      const context = await requestContext(authorization, global);
      // A key's use is judged with its key policy as the resource policy: KMS lets the principal
      // use the key only when the key policy allows it, itself or by letting the account's IAM
      // policies decide, which must then allow it too (AWS KMS Developer Guide, "Determining
      // access to a KMS key"), and the evaluator holds KMS to that. Grants are not modelled.
      const keyUse = isKeyUse(authorization);
      const result =
        keyUse && authorization.keyPolicy === undefined
          ? 'ImplicitlyDenied'
          : await this.simulate(
              principal.arn,
              authorization,
              context,
              global,
              identityPolicies,
              keyUse ? authorization.keyPolicy : this.resourcePolicyOf(authorization.resource),
            );
      let why: string | undefined;
      if (keyUse) {
        why =
          authorization.keyPolicy === undefined
            ? 'because KMS has no such key'
            : `because the key policy of ${authorization.resource} does not allow it, itself or through the role's IAM policies`;
      }
      const allowed = result === 'Allowed';
      this.decisions.push({
        principal: principal.arn,
        action: authorization.action,
        resource: authorization.resource,
        allowed,
      });
      if (!allowed) {
        const because =
          why ??
          (result === 'ExplicitlyDenied'
            ? 'with an explicit deny in a policy'
            : `because no identity-based policy allows the ${authorization.action} action`);
        return {
          principal: principal.arn,
          action: authorization.action,
          resource: authorization.resource,
          result,
          message: `User: ${principal.arn} is not authorized to perform: ${authorization.action} on resource: ${authorization.resource} ${because}`,
        };
      }
    }
    return undefined;
  }

  /** The evaluator's overall result for one authorization under the given policies. */
  private async simulate(
    principal: string,
    authorization: Authorization,
    context: Record<string, string | string[]>,
    global: Record<string, string>,
    identityPolicies: SimulationIdentityPolicy[],
    resourcePolicy: object | undefined,
  ): Promise<string> {
    const account =
      /^arn:[^:]+:[^:]*:[^:]*:(\d{12}):/.exec(authorization.resource)?.[1] ??
      global['aws:PrincipalAccount'] ??
      '';
    const simulation = {
      identityPolicies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy ? { resourcePolicy } : {}),
      request: {
        principal,
        action: authorization.action,
        resource: { resource: authorization.resource, accountId: account },
        contextVariables: context,
      },
    };
    const answer = await runSimulation(simulation, {});
    if (answer.resultType !== 'error') return answer.overallResult;
    if (isAwsPublicParameter(authorization.resource)) {
      // AWS's public parameters have an ARN without an account, which the evaluator's resource
      // check does not accept; the action and resource type were checked in requestContext.
      return runUnsafeSimulation(simulation, {});
    }
    throw new AmiBakeError(
      `the IAM evaluator cannot judge ${authorization.action} on ${authorization.resource}: ${JSON.stringify(answer.errors)}`,
      { code: 'EmulatorIamMapping' },
    );
  }

  private policiesOf(roleArn: string): Promise<SimulationIdentityPolicy[]> {
    let entry = this.policies.get(roleArn);
    if (!entry) {
      entry = this.readPolicies(roleArn);
      this.policies.set(roleArn, entry);
      entry.catch(() => this.policies.delete(roleArn));
    }
    return entry;
  }

  private async readPolicies(roleArn: string): Promise<SimulationIdentityPolicy[]> {
    const role = roleArn.split('/').pop() ?? roleArn;
    const inline = await this.iam.send(new ListRolePoliciesCommand({ RoleName: role }));
    const policies: SimulationIdentityPolicy[] = [];
    for (const name of inline.PolicyNames ?? []) {
      const doc = await this.iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: name }));
      policies.push({ name, policy: JSON.parse(decodeURIComponent(doc.PolicyDocument ?? '{}')) });
    }
    const attached = await this.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role }));
    for (const { PolicyArn } of attached.AttachedPolicies ?? []) {
      if (!PolicyArn) continue;
      const policy = await this.iam.send(new GetPolicyCommand({ PolicyArn }));
      const version = await this.iam.send(
        new GetPolicyVersionCommand({ PolicyArn, VersionId: policy.Policy?.DefaultVersionId }),
      );
      policies.push({
        name: PolicyArn,
        policy: JSON.parse(decodeURIComponent(version.PolicyVersion?.Document ?? '{}')),
      });
    }
    return policies;
  }
}

/** `arn:aws:ssm:<region>::parameter/aws/...`: a parameter AWS publishes to every account. */
const isAwsPublicParameter = (arn: string) => /^arn:[^:]+:ssm:[^:]+::parameter\/aws\//.test(arn);
