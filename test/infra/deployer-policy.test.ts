import { expect } from 'chai';
import type { AmiBakeConfig } from '../../deployment/config';
import { resolveDeployment } from '../../deployment/model';
import { AWS_REGIONS } from '../../functions/shared/aws-facts';
import { deployerPolicies, deployerPolicy, deployerReadOnlyPolicy } from '../../policies/deployer';
import {
  MANAGED_POLICIES_PER_ROLE,
  MANAGED_POLICY_CHARACTERS,
  packPolicies,
  policyCharacters,
  resourceMatches,
  type Statement,
} from '../../policies/statement';
import { PROJECT_ROOT } from '../../scripts/bundle-functions';
import { stackConfig } from '../support/stack';

const scope = { partition: 'aws', account: '123456789012' };
const deploymentOf = (config: AmiBakeConfig) =>
  resolveDeployment(config, { projectRoot: PROJECT_ROOT, bucket: '' });
const policyOf = (config: AmiBakeConfig): Statement[] => deployerPolicy(deploymentOf(config), scope);
/** Every (action, resource, condition) a list of statements grants. */
const grants = (policy: Statement[]) =>
  policy
    .flatMap((s) =>
      s.actions.flatMap((a) =>
        (s.resources === '*' ? ['*'] : s.resources).map(
          (r) => `${a} ${r} ${JSON.stringify(s.conditions ?? {})}`,
        ),
      ),
    )
    .sort();

/**
 * The largest configuration of its kind the schema accepts in practice: 120 recipes, each with
 * a vendor release topic of its own and copies to 20 regions, DynamoDB recipes, managed
 * policies for the build instance and an S3 backend with a lock table.
 */
function largeConfig(): AmiBakeConfig {
  const sample = stackConfig();
  const [recipe] = sample.recipes;
  if (!recipe) throw new Error('the sample has no recipe');
  const copyRegions = AWS_REGIONS.filter(
    (r) => r !== sample.region && !r.startsWith('us-gov') && !r.startsWith('cn-'),
  ).slice(0, 20);
  const vendors = ['137112412989', '099720109477', '136693071363', '309956199498'];
  return stackConfig(
    {
      recipeStore: 'dynamodb',
      authors: ['arn:aws:iam::123456789012:role/platform-authors'],
      buildInstance: { managedPolicyArns: ['arn:aws:iam::123456789012:policy/build-extras'] },
      backend: {
        kind: 's3',
        bucket: 'tf-state',
        key: 'amibake/terraform.tfstate',
        region: 'us-east-1',
        dynamodbTable: 'tf-locks',
      },
    },
    Array.from({ length: 120 }, (_, i) => ({
      ...recipe,
      name: `golden-${i}`,
      base: {
        ...recipe.base,
        releaseTopic: `arn:aws:sns:us-east-1:${vendors[i % vendors.length]}:vendor-image-updates-${i}`,
      },
      distribution: { copies: copyRegions.map((region) => ({ region })) },
    })),
  );
}
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

  it('fits the sample into one managed policy of at most 6,144 characters', () => {
    const policies = deployerPolicies(policyOf(stackConfig()), 'amibake', 'deployer');
    expect(policies.map((p) => p.name)).to.deep.equal(['amibake-deployer']);
    expect(policyCharacters(policies[0]?.statements ?? [])).to.be.at.most(MANAGED_POLICY_CHARACTERS);
  });

  it("splits a large configuration's policy into managed policies within IAM's limits, granting the same", () => {
    const policy = policyOf(largeConfig());
    expect(policyCharacters(policy)).to.be.greaterThan(3 * MANAGED_POLICY_CHARACTERS);
    const policies = deployerPolicies(policy, 'amibake', 'deployer');
    expect(policies.length).to.be.within(2, MANAGED_POLICIES_PER_ROLE);
    for (const p of policies)
      expect(policyCharacters(p.statements), p.name).to.be.at.most(MANAGED_POLICY_CHARACTERS);
    expect(policies.map((p) => p.name)).to.include('amibake-deployer-2');
    expect(grants(policies.flatMap((p) => p.statements))).to.deep.equal(grants(policy));
    const sids = policies.flatMap((p) => p.statements.map((s) => s.sid));
    expect(sids.filter((sid) => /^[A-Za-z0-9]+$/.test(sid))).to.have.length(sids.length);
    expect(new Set(sids).size).to.equal(sids.length);
  });

  it('cuts a statement too large for one policy by its resources, keeping its actions and conditions', () => {
    const statement: Statement = {
      sid: 'Big',
      reason: 'many resources',
      actions: ['sns:Subscribe'],
      resources: Array.from({ length: 100 }, (_, i) => `arn:aws:sns:us-east-1:123456789012:topic-${i}`),
      conditions: { StringEquals: { 'aws:RequestedRegion': 'us-east-1' } },
    };
    const documents = packPolicies([statement], 2000);
    expect(documents.length).to.be.greaterThan(1);
    const parts = documents.flat();
    expect(parts.map((s) => s.sid).slice(0, 3)).to.deep.equal(['Big', 'Big2', 'Big3']);
    for (const d of documents) expect(policyCharacters(d)).to.be.at.most(2000);
    expect(grants(parts)).to.deep.equal(grants([statement]));
  });

  it('packs statements into the first policy with room, in order', () => {
    const small = (sid: string, n: number): Statement => ({
      sid,
      reason: sid,
      actions: ['s3:GetObject'],
      resources: Array.from({ length: n }, (_, i) => `arn:aws:s3:::bucket-${sid}/${i}`),
    });
    const documents = packPolicies([small('A', 20), small('B', 20), small('C', 2)], 1200);
    expect(documents.map((d) => d.map((s) => s.sid))).to.deep.equal([['A', 'C'], ['B']]);
  });

  it('gives a reviewer reads only, on the same resources as the deployer', () => {
    for (const config of [stackConfig(), largeConfig()]) {
      const deployment = deploymentOf(config);
      const readOnly = deployerReadOnlyPolicy(deployment, scope);
      const deployer = grants(deployerPolicy(deployment, scope));
      const stackReads = readOnly.filter((s) => s.sid !== 'LockState' && s.sid !== 'ReadState');
      expect(
        stackReads.flatMap((s) => s.actions).filter((a) => !/:(?:Get|Describe|List)/.test(a)),
      ).to.deep.equal([]);
      expect(grants(stackReads).filter((g) => !deployer.includes(g))).to.deep.equal([]);
      expect(readOnly.flatMap((s) => s.actions)).to.not.include('iam:PassRole');
      for (const p of deployerPolicies(readOnly, 'amibake', 'reviewer'))
        expect(policyCharacters(p.statements)).to.be.at.most(MANAGED_POLICY_CHARACTERS);
    }
  });

  it("reads an S3 backend's state and takes its lock, writing nothing else", () => {
    const readOnly = deployerReadOnlyPolicy(deploymentOf(largeConfig()), scope);
    const writes = readOnly.filter((s) => s.actions.some((a) => !/:(?:Get|Describe|List)/.test(a)));
    expect(writes.map((s) => [s.sid, s.resources])).to.deep.equal([
      ['LockState', ['arn:aws:dynamodb:us-east-1:123456789012:table/tf-locks']],
    ]);
    expect(readOnly.find((s) => s.sid === 'ReadState')?.resources).to.deep.equal([
      'arn:aws:s3:::tf-state/amibake/terraform.tfstate',
    ]);
  });
});
