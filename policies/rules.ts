import { TESTS_TAG } from '../functions/shared/tags';
import type { PolicyRefs } from './refs';
import { buildRulesArn } from './refs';
import { type Statement, UNSCOPABLE_ACTIONS } from './statement';

/** A least-privilege rule: the problems it finds in one statement (none when it complies). */
export type PolicyRule = (statement: Statement, refs: PolicyRefs) => string[];

const MUTATING_EC2_ON_OWN = [
  'ec2:TerminateInstances',
  'ec2:CreateImage',
  'ec2:CreateTags',
  'ec2:DeregisterImage',
  'ec2:DeleteSnapshot',
  'ec2:EnableImageDeprecation',
  'ec2:CopyImage',
  'ec2:ModifyImageAttribute',
];

export const noActionWildcard: PolicyRule = (s) =>
  s.actions
    .filter((a) => a.includes('*'))
    .map((a) => `${s.sid}: action "${a}" is a wildcard; name each action`);

export const wildcardResourceOnlyForUnscopable: PolicyRule = (s) =>
  s.resources === '*'
    ? s.actions
        .filter((a) => UNSCOPABLE_ACTIONS[a] === undefined)
        .map((a) => `${s.sid}: "${a}" is granted on Resource "*" but can be scoped; name its resources`)
    : [];

export const everyStatementHasAReason: PolicyRule = (s) =>
  /^[A-Za-z0-9]+$/.test(s.sid) && s.reason.trim().length > 0
    ? []
    : [`${s.sid}: every statement needs an alphanumeric sid and a reason`];

/** Terminate, image and tag only what carries the build tag or is being created with it. */
export const mutatingEc2ScopedByTag: PolicyRule = (s) =>
  s.actions.some((a) => MUTATING_EC2_ON_OWN.includes(a)) && s.conditions === undefined
    ? [`${s.sid}: ${s.actions.join(', ')} must be conditioned on the amibake:build-id tag`]
    : [];

export const createTagsOnlyOnCreation: PolicyRule = (s) => {
  if (!s.actions.includes('ec2:CreateTags')) return [];
  if (s.conditions?.StringEquals?.['ec2:CreateAction'] !== undefined) return [];
  // The one exception: marking an image whose tests failed, with that tag key alone.
  const keys = s.conditions?.['ForAllValues:StringEquals']?.['aws:TagKeys'];
  const marksTests =
    Array.isArray(keys) && keys.length === 1 && keys[0] === TESTS_TAG && s.conditions?.Null !== undefined;
  return marksTests
    ? []
    : [
        `${s.sid}: ec2:CreateTags must be limited to RunInstances or CreateImage by ec2:CreateAction, or to the ${TESTS_TAG} key on tagged resources`,
      ];
};

export const eventsOnlyOnBuildRules: PolicyRule = (s, refs) =>
  s.actions.some((a) => a.startsWith('events:') && UNSCOPABLE_ACTIONS[a] === undefined) &&
  (s.resources === '*' || s.resources.some((r) => r !== buildRulesArn(refs)))
    ? [`${s.sid}: events actions are allowed on ${buildRulesArn(refs)} only`]
    : [];

export const passRoleOnlyBuildRoleToEc2: PolicyRule = (s, refs) =>
  s.actions.includes('iam:PassRole') &&
  (s.resources === '*' ||
    s.resources.length !== 1 ||
    s.resources[0] !== refs.buildRoleArn ||
    s.conditions?.StringEquals?.['iam:PassedToService'] !== 'ec2.amazonaws.com')
    ? [`${s.sid}: iam:PassRole is allowed for the build instance role only, passed to ec2.amazonaws.com only`]
    : [];

export const invokeOnlyInstanceCreate: PolicyRule = (s, refs) =>
  s.actions.includes('lambda:InvokeFunction') &&
  (s.resources === '*' || s.resources.some((r) => r !== refs.instanceCreateFunctionArn))
    ? [`${s.sid}: lambda:InvokeFunction is allowed on ami_ec2_instance_create only`]
    : [];

const POLICY_RULES: readonly PolicyRule[] = [
  noActionWildcard,
  wildcardResourceOnlyForUnscopable,
  everyStatementHasAReason,
  mutatingEc2ScopedByTag,
  createTagsOnlyOnCreation,
  eventsOnlyOnBuildRules,
  passRoleOnlyBuildRoleToEc2,
  invokeOnlyInstanceCreate,
];

/** Every rule's problems with a role's statements; the stack refuses to synth when there are any. */
export function policyProblems(role: string, statements: readonly Statement[], refs: PolicyRefs): string[] {
  return statements.flatMap((s) => POLICY_RULES.flatMap((rule) => rule(s, refs))).map((p) => `${role}: ${p}`);
}
