import { expect } from 'chai';
import { deploymentNames } from '../../deployment/names';
import type { PolicyRefs } from '../../policies/refs';
import {
  createTagsOnlyOnCreation,
  eventsOnlyOnBuildRules,
  everyStatementHasAReason,
  invokeOnlyInstanceCreate,
  mutatingEc2ScopedByTag,
  noActionWildcard,
  type PolicyRule,
  passRoleOnlyBuildRoleToEc2,
  wildcardResourceOnlyForUnscopable,
} from '../../policies/rules';
import type { Statement } from '../../policies/statement';

const refs = {
  partition: 'aws',
  region: 'eu-west-1',
  account: '111122223333',
  names: deploymentNames('amibake'),
  buildRoleArn: 'arn:aws:iam::111122223333:role/amibake-build-instance',
  instanceCreateFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:amibake_ami_ec2_instance_create',
} as PolicyRefs;

const statement = (fields: Partial<Statement>): Statement => ({
  sid: 'Example',
  reason: 'an example',
  actions: ['s3:GetObject'],
  resources: ['arn:aws:s3:::bucket/key'],
  ...fields,
});

const cases: {
  rule: PolicyRule;
  name: string;
  compliant: Statement;
  violating: Statement;
  message: RegExp;
}[] = [
  {
    rule: noActionWildcard,
    name: 'noActionWildcard',
    compliant: statement({}),
    violating: statement({ actions: ['ec2:*'] }),
    message: /action "ec2:\*" is a wildcard/,
  },
  {
    rule: wildcardResourceOnlyForUnscopable,
    name: 'wildcardResourceOnlyForUnscopable',
    compliant: statement({ actions: ['ec2:DescribeImages'], resources: '*' }),
    violating: statement({ actions: ['ec2:TerminateInstances'], resources: '*' }),
    message: /"ec2:TerminateInstances" is granted on Resource "\*" but can be scoped/,
  },
  {
    rule: everyStatementHasAReason,
    name: 'everyStatementHasAReason',
    compliant: statement({}),
    violating: statement({ reason: ' ' }),
    message: /needs an alphanumeric sid and a reason/,
  },
  {
    rule: mutatingEc2ScopedByTag,
    name: 'mutatingEc2ScopedByTag',
    compliant: statement({
      actions: ['ec2:TerminateInstances'],
      conditions: { Null: { 'aws:ResourceTag/amibake:build-id': 'false' } },
    }),
    violating: statement({
      actions: ['ec2:TerminateInstances'],
      resources: ['arn:aws:ec2:eu-west-1:1:instance/*'],
    }),
    message: /must be conditioned on the amibake:build-id tag/,
  },
  {
    rule: createTagsOnlyOnCreation,
    name: 'createTagsOnlyOnCreation',
    compliant: statement({
      actions: ['ec2:CreateTags'],
      conditions: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
    }),
    violating: statement({
      actions: ['ec2:CreateTags'],
      conditions: { Null: { 'aws:RequestTag/x': 'false' } },
    }),
    message: /limited to RunInstances or CreateImage/,
  },
  {
    rule: eventsOnlyOnBuildRules,
    name: 'eventsOnlyOnBuildRules',
    compliant: statement({
      actions: ['events:DeleteRule'],
      resources: ['arn:aws:events:eu-west-1:111122223333:rule/amibake.*'],
    }),
    violating: statement({
      actions: ['events:DeleteRule'],
      resources: ['arn:aws:events:eu-west-1:111122223333:rule/*'],
    }),
    message: /allowed on arn:aws:events:eu-west-1:111122223333:rule\/amibake\.\* only/,
  },
  {
    rule: passRoleOnlyBuildRoleToEc2,
    name: 'passRoleOnlyBuildRoleToEc2',
    compliant: statement({
      actions: ['iam:PassRole'],
      resources: [refs.buildRoleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    }),
    violating: statement({ actions: ['iam:PassRole'], resources: [refs.buildRoleArn] }),
    message: /passed to ec2.amazonaws.com only/,
  },
  {
    rule: invokeOnlyInstanceCreate,
    name: 'invokeOnlyInstanceCreate',
    compliant: statement({ actions: ['lambda:InvokeFunction'], resources: [refs.instanceCreateFunctionArn] }),
    violating: statement({
      actions: ['lambda:InvokeFunction'],
      resources: ['arn:aws:lambda:eu-west-1:111122223333:function:*'],
    }),
    message: /allowed on ami_ec2_instance_create only/,
  },
];

describe('policy rules', () => {
  for (const c of cases) {
    describe(c.name, () => {
      it('accepts a compliant statement', () => {
        expect(c.rule(c.compliant, refs)).to.deep.equal([]);
      });

      it('reports a violating statement', () => {
        const problems = c.rule(c.violating, refs);
        expect(problems).to.have.length(1);
        expect(problems[0]).to.match(c.message);
      });
    });
  }
});
