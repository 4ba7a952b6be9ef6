import { GetRoleCommand, type IAMClient } from '@aws-sdk/client-iam';
import { EMULATED_ACCOUNT } from '../emulator/callers';
import type { Authorizer } from '../emulator/iam/authorizer';
import { globalContext } from '../emulator/iam/request-context';
import type { RoleJudge } from './event-bridge';

const EVENTS_SERVICE = 'events.amazonaws.com';

/**
 * How EventBridge uses a target's role: it must trust events.amazonaws.com, and its policies
 * must allow the action on the target (judged by the emulator's IAM evaluator). Returns why
 * not, or undefined.
 */
export function forwardingRoleJudge(iam: IAMClient, authorizer: Authorizer): RoleJudge {
  return async (roleArn, action, resource) => {
    const name = roleArn.split('/').pop() ?? roleArn;
    let trust: { Statement?: { Effect?: string; Principal?: { Service?: string | string[] } }[] };
    try {
      const role = await iam.send(new GetRoleCommand({ RoleName: name }));
      trust = JSON.parse(decodeURIComponent(role.Role?.AssumeRolePolicyDocument ?? '{}'));
    } catch (error) {
      return `the target's role ${roleArn} cannot be read: ${(error as Error).name}`;
    }
    const trusted = (trust.Statement ?? []).some(
      (s) => s.Effect === 'Allow' && [s.Principal?.Service ?? []].flat().includes(EVENTS_SERVICE),
    );
    if (!trusted) return `the target's role ${roleArn} does not trust ${EVENTS_SERVICE}`;
    const session = `arn:aws:sts::${EMULATED_ACCOUNT}:assumed-role/${name}/events`;
    const region = /^arn:aws:[^:]+:([^:]+):/.exec(resource)?.[1] ?? '';
    const denial = await authorizer.decide(
      { arn: session, roleArn },
      [{ action, resource, resourceType: 'event-bus', facts: {} }],
      globalContext(session, EMULATED_ACCOUNT, region),
    );
    return denial?.message;
  };
}
