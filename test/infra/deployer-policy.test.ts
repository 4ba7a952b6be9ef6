import { expect } from 'chai';
import type { AmiBakeConfig } from '../../deployment/config';
import { resolveDeployment } from '../../deployment/model';
import { deployerPolicy } from '../../policies/deployer';
import { resourceMatches, type Statement } from '../../policies/statement';
import { PROJECT_ROOT } from '../../scripts/bundle-functions';
import { stackConfig } from '../support/stack';

const policyOf = (config: AmiBakeConfig): Statement[] =>
  deployerPolicy(resolveDeployment(config, { projectRoot: PROJECT_ROOT, bucket: '' }), {
    partition: 'aws',
    account: '123456789012',
  });
const resources = (policy: Statement[]) => policy.flatMap((s) => (s.resources === '*' ? ['*'] : s.resources));

describe("the deployer's policy", () => {
  it('names every action and scopes every statement to resources', () => {
    const policy = policyOf(stackConfig());
    expect(policy.flatMap((s) => s.actions).filter((a) => a.includes('*'))).to.deep.equal([]);
    expect(resources(policy)).to.not.include('*');
  });

  it("changes none of another deployment's resources, even one whose prefix starts with this one", () => {
    // Reads AWS authorizes only account-wide (DescribeLogGroups, the managed keys' DescribeKey) aside.
    const writes = policyOf(stackConfig({ namePrefix: 'amibake' })).filter((s) =>
      s.actions.some((a) => !/:(?:Describe|Get|List)/.test(a)),
    );
    const mine = resources(writes);
    const theirs = resources(policyOf(stackConfig({ namePrefix: 'amibake-dev' }))).filter(
      (arn) => !arn.includes('*') && !arn.includes('${'),
    );
    expect(theirs.length).to.be.greaterThan(10);
    expect(theirs.filter((arn) => mine.some((pattern) => resourceMatches(pattern, arn)))).to.deep.equal([]);
  });

  it('matches resource patterns as IAM does: a star for any run, nothing else', () => {
    expect(resourceMatches('arn:aws:s3:::bucket/*', 'arn:aws:s3:::bucket/recipes/recipes.json')).to.equal(
      true,
    );
    expect(resourceMatches('arn:aws:s3:::bucket/*', 'arn:aws:s3:::bucket-2/x')).to.equal(false);
    expect(
      resourceMatches('arn:aws:lambda:r:1:function:amibake_f', 'arn:aws:lambda:r:1:function:amibake_f2'),
    ).to.equal(false);
    expect(resourceMatches('arn:aws:sns:r:1:t.x', 'arn:aws:sns:r:1:tax')).to.equal(false);
  });

  it('passes the function roles to Lambda only', () => {
    const pass = policyOf(stackConfig()).filter((s) => s.actions.includes('iam:PassRole'));
    expect(pass.map((s) => [s.sid, s.conditions])).to.deep.equal([
      ['PassFunctionRoles', { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } }],
    ]);
  });

  it('adds the state bucket and lock table of an S3 backend', () => {
    const backend = {
      kind: 's3',
      bucket: 'tf-state',
      key: 'amibake/terraform.tfstate',
      region: 'us-east-1',
      dynamodbTable: 'tf-locks',
    } as const;
    const policy = policyOf(stackConfig({ backend }));
    expect(policy.find((s) => s.sid === 'WriteState')?.resources).to.deep.equal([
      'arn:aws:s3:::tf-state/amibake/terraform.tfstate',
      'arn:aws:s3:::tf-state/amibake/terraform.tfstate.tflock',
    ]);
    expect(policy.find((s) => s.sid === 'LockState')?.resources).to.deep.equal([
      'arn:aws:dynamodb:us-east-1:123456789012:table/tf-locks',
    ]);
    expect(policyOf(stackConfig()).map((s) => s.sid)).to.not.include('WriteState');
  });
});
