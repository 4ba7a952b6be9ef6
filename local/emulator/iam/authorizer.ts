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
      const resourcePolicy = this.resourcePolicyOf(authorization.resource);
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
          principal: principal.arn,
          action: authorization.action,
          resource: { resource: authorization.resource, accountId: account },
          contextVariables: context,
        },
      };
      const answer = await runSimulation(simulation, {});
      let result: string;
      if (answer.resultType !== 'error') {
        result = answer.overallResult;
      } else if (isAwsPublicParameter(authorization.resource)) {
        // AWS's public parameters have an ARN without an account, which the evaluator's resource
        // check does not accept; the action and resource type were checked in requestContext.
        result = runUnsafeSimulation(simulation, {});
      } else {
        throw new AmiBakeError(
          `the IAM evaluator cannot judge ${authorization.action} on ${authorization.resource}: ${JSON.stringify(answer.errors)}`,
          { code: 'EmulatorIamMapping' },
        );
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
          result === 'ExplicitlyDenied'
            ? 'with an explicit deny in a policy'
            : `because no identity-based policy allows the ${authorization.action} action`;
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
