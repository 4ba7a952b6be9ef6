import { expect } from 'chai';
import type { AmiBakeConfig } from '../../deployment/config';
import { resolveDeployment } from '../../deployment/model';
import { triggerActions } from '../../functions/ami-build-trigger/permissions';
import { INSTANCE_CREATE_ACTIONS } from '../../functions/ami-ec2-instance-create/permissions';
import { IMAGE_CREATE_ACTIONS } from '../../functions/ami-image-create/permissions';
import { triggerPolicy } from '../../policies/ami-build-trigger';
import { instanceCreatePolicy, VOLUME_KEY_ACTIONS } from '../../policies/ami-ec2-instance-create';
import { COPY_KEY_ACTIONS, imageCreatePolicy } from '../../policies/ami-image-create';
import { type PolicyRefs, policyRefs } from '../../policies/refs';
import { policyProblems } from '../../policies/rules';
import { type Statement, UNSCOPABLE_ACTIONS } from '../../policies/statement';
import { PROJECT_ROOT } from '../../scripts/bundle-functions';
import { resourcesBy, stackConfig, synthStack } from '../support/stack';

const ACCOUNT = '123456789012';
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];

/** Recipes that use every feature a policy depends on: SSM base, external script, KMS key, network. */
const FULL_RECIPES = [
  {
    name: 'ssm-based',
    base: { ssmParameter: '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id' },
    script: 's3://team-scripts/hardening.sh',
    rootVolume: { kmsKeyId: KEY },
    subnetId: 'subnet-0123456789abcdef0',
    securityGroupIds: ['sg-0123456789abcdef0'],
    distribution: {
      copies: [
        {
          region: 'eu-west-1',
          kmsKeyId: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/abcd1234-12ab-34cd-56ef-1234567890ab`,
        },
      ],
      share: { accounts: ['111122223333'] },
    },
    lifecycle: { deprecateAfterDays: 30 },
    consumers: { launchTemplates: ['lt-0123456789abcdef0', 'web-fleet'], autoScalingGroups: ['web'] },
  },
  {
    name: 'describe-based',
    base: { describe: { name: 'al2023-ami-2023.*-x86_64' } },
    script: 'user_data/ecs-node.sh',
  },
];

function refsFor(config: AmiBakeConfig): PolicyRefs {
  const bucket = `amibake-artifacts-${ACCOUNT}-us-east-1`;
  const deployment = resolveDeployment(config, { projectRoot: PROJECT_ROOT, bucket });
  return policyRefs(deployment, {
    partition: 'aws',
    account: ACCOUNT,
    bucketArn: `arn:aws:s3:::${bucket}`,
    buildsTableArn: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/amibake-builds`,
    recipesTableArn: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/amibake-recipes`,
    instanceCreateFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:amibake_ami_ec2_instance_create`,
    imageCreateFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:amibake_ami_image_create`,
    buildRoleArn: `arn:aws:iam::${ACCOUNT}:role/amibake-build-instance`,
    failureQueueArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:amibake-failed-launches`,
    topicArn: `arn:aws:sns:us-east-1:${ACCOUNT}:amibake-builds`,
    launchTemplateIds: { 'web-fleet': 'lt-0fedcba9876543210' },
    logGroupArns: {
      trigger: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/amibake_ami_build_trigger`,
      instanceCreate: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/amibake_ami_ec2_instance_create`,
      imageCreate: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/amibake_ami_image_create`,
    },
  });
}

const granted = (statements: readonly Statement[]) =>
  [...new Set(statements.flatMap((s) => s.actions))].sort();
const sorted = (actions: readonly string[]) => [...new Set(actions)].sort();

describe('role policies', () => {
  const network = { subnetId: 'subnet-0fedcba987654321f', securityGroupIds: ['sg-0fedcba987654321f'] };
  const full = refsFor(stackConfig({ network }, FULL_RECIPES));
  const fullDynamo = refsFor(stackConfig({ network, recipeStore: 'dynamodb' }, FULL_RECIPES));
  const minimal = refsFor(stackConfig());

  describe('grant exactly what each function declares', () => {
    it('ami_build_trigger: its code actions and its logs', () => {
      expect(granted(triggerPolicy(full))).to.deep.equal(sorted([...triggerActions('s3'), ...LOGS]));
      expect(granted(triggerPolicy(fullDynamo))).to.deep.equal(
        sorted([...triggerActions('dynamodb'), ...LOGS]),
      );
    });

    it("ami_ec2_instance_create: its code actions, its logs, the failure queue and the recipes' KMS keys", () => {
      expect(granted(instanceCreatePolicy(full))).to.deep.equal(
        sorted([...INSTANCE_CREATE_ACTIONS, ...LOGS, 'sqs:SendMessage', ...VOLUME_KEY_ACTIONS]),
      );
    });

    it("ami_image_create: its code actions, its logs and the copies' KMS keys", () => {
      expect(granted(imageCreatePolicy(full))).to.deep.equal(
        sorted([...IMAGE_CREATE_ACTIONS, ...LOGS, ...COPY_KEY_ACTIONS]),
      );
    });

    it("lets copies decrypt their source with a copying recipe's root volume key, through EC2 in the home region", () => {
      const source = imageCreatePolicy(full).find((s) => s.sid === 'DecryptCopySources');
      expect(source?.resources).to.deep.equal([KEY]);
      expect(source?.actions).to.deep.equal(VOLUME_KEY_ACTIONS);
      expect(source?.conditions).to.deep.equal({
        StringEquals: { 'kms:ViaService': 'ec2.us-east-1.amazonaws.com' },
      });
      // A recipe with a key that copies nothing grants ami_image_create no use of it.
      const noCopies = refsFor(
        stackConfig({}, [
          {
            name: 'keyed',
            base: { describe: { name: 'al2023-ami-2023.*-x86_64' } },
            script: 'user_data/ecs-node.sh',
            rootVolume: { kmsKeyId: KEY },
          },
        ]),
      );
      expect(imageCreatePolicy(noCopies).map((s) => s.sid)).to.not.include('DecryptCopySources');
    });

    it('rolls exactly the launch templates and groups recipes name, and none when none is named', () => {
      const statements = imageCreatePolicy(full).filter((s) =>
        ['RollLaunchTemplates', 'RefreshFleets'].includes(s.sid),
      );
      expect(statements.map((s) => [s.actions, s.resources])).to.deep.equal([
        [
          ['ec2:CreateLaunchTemplateVersion', 'ec2:ModifyLaunchTemplate'],
          [
            `arn:aws:ec2:us-east-1:${ACCOUNT}:launch-template/lt-0123456789abcdef0`,
            `arn:aws:ec2:us-east-1:${ACCOUNT}:launch-template/lt-0fedcba9876543210`,
          ],
        ],
        [
          ['autoscaling:StartInstanceRefresh'],
          [`arn:aws:autoscaling:us-east-1:${ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/web`],
        ],
      ]);
      expect(granted(imageCreatePolicy(minimal))).to.not.include.members([
        'ec2:CreateLaunchTemplateVersion',
        'autoscaling:StartInstanceRefresh',
      ]);
    });

    it('grants IMDSv2 on every image, launch permissions only when a recipe shares, deprecation only when asked', () => {
      const attributeStatements = (refs: PolicyRefs) =>
        imageCreatePolicy(refs)
          .filter((s) =>
            s.actions.some((a) => ['ec2:ModifyImageAttribute', 'ec2:EnableImageDeprecation'].includes(a)),
          )
          .map((s) => [s.sid, s.actions, s.conditions]);
      const own = { 'aws:ResourceTag/amibake:deployment': 'amibake' };
      expect(attributeStatements(minimal)).to.deep.equal([
        [
          'RequireImdsV2',
          ['ec2:ModifyImageAttribute'],
          { StringEquals: { ...own, 'ec2:Attribute': 'imdsSupport' } },
        ],
      ]);
      const sharesOnly = refsFor(
        stackConfig({}, [
          {
            name: 'shared',
            base: { describe: { name: 'al2023-ami-2023.*-x86_64' } },
            script: 'user_data/ecs-node.sh',
            distribution: { share: { accounts: ['111122223333'] } },
          },
        ]),
      );
      expect(attributeStatements(sharesOnly).map(([sid, , conditions]) => [sid, conditions])).to.deep.equal([
        ['RequireImdsV2', { StringEquals: { ...own, 'ec2:Attribute': 'imdsSupport' } }],
        ['ShareImages', { StringEquals: { ...own, 'ec2:Attribute': 'launchPermission' } }],
      ]);
      expect(granted(imageCreatePolicy(sharesOnly))).to.not.include('ec2:EnableImageDeprecation');
      expect(attributeStatements(full).map(([sid]) => sid)).to.deep.equal([
        'RequireImdsV2',
        'ShareImages',
        'DeprecateImages',
      ]);
    });

    it('leaves out SSM and KMS when no recipe uses them', () => {
      expect(granted(triggerPolicy(minimal))).to.deep.equal(
        sorted([...triggerActions('s3'), ...LOGS]).filter((a) => a !== 'ssm:GetParameters'),
      );
      expect(granted(instanceCreatePolicy(minimal))).to.deep.equal(
        sorted([...INSTANCE_CREATE_ACTIONS, ...LOGS, 'sqs:SendMessage']),
      );
    });

    it('grants in the synthesized stack what the documents say, role by role', () => {
      const { tf } = synthStack(stackConfig());
      const roles = Object.values(tf.resource.aws_iam_role_policy ?? {}).map((p) => ({
        role: String(p.role),
        actions: sorted(
          (JSON.parse(String(p.policy)).Statement as { Action: string[] }[]).flatMap((s) => s.Action),
        ),
      }));
      const of = (fragment: string) => roles.find((r) => r.role.includes(fragment))?.actions;
      expect(of('ami_build_trigger_role')).to.deep.equal(granted(triggerPolicy(minimal)));
      expect(of('ami_ec2_instance_create_role')).to.deep.equal(granted(instanceCreatePolicy(minimal)));
      expect(of('ami_image_create_role')).to.deep.equal(granted(imageCreatePolicy(minimal)));
      const names = Object.keys(resourcesBy(tf, 'aws_iam_role', 'name'));
      expect(names).to.have.length(4);
    });
  });

  describe('least privilege', () => {
    const documents = {
      trigger: triggerPolicy(full),
      instanceCreate: instanceCreatePolicy(full),
      imageCreate: imageCreatePolicy(full),
    };

    for (const [role, statements] of Object.entries(documents)) {
      it(`${role}: passes every least-privilege rule`, () => {
        expect(policyProblems(role, statements, full)).to.deep.equal([]);
      });

      it(`${role}: grants Resource "*" only for the documented actions AWS cannot scope`, () => {
        const wildcard = statements.filter((s) => s.resources === '*').flatMap((s) => s.actions);
        expect(wildcard.every((a) => a in UNSCOPABLE_ACTIONS)).to.equal(true);
        expect(Object.keys(UNSCOPABLE_ACTIONS)).to.deep.equal([
          'ec2:DescribeImages',
          'ec2:DescribeInstances',
          'ec2:DescribeLaunchTemplates',
          'ec2:DescribeLaunchTemplateVersions',
          'ec2:GetSerialConsoleAccessStatus',
          'events:ListRules',
        ]);
      });
    }

    it('scopes events actions to rules named amibake.*', () => {
      const resources = [...documents.instanceCreate, ...documents.imageCreate]
        .filter((s) => s.actions.some((a) => a.startsWith('events:') && a !== 'events:ListRules'))
        .flatMap((s) => s.resources);
      expect(sorted(resources as string[])).to.deep.equal([
        `arn:aws:events:us-east-1:${ACCOUNT}:rule/amibake.*`,
      ]);
    });

    it('passes only the build instance role, and only to EC2', () => {
      const passRole = documents.instanceCreate.filter((s) => s.actions.includes('iam:PassRole'));
      expect(passRole).to.have.length(1);
      expect(passRole[0]?.resources).to.deep.equal([`arn:aws:iam::${ACCOUNT}:role/amibake-build-instance`]);
      expect(passRole[0]?.conditions).to.deep.equal({
        StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' },
      });
    });

    it('tags only as part of RunInstances or CreateImage, but for marking an image whose tests failed', () => {
      const createTags = [...documents.instanceCreate, ...documents.imageCreate].filter((s) =>
        s.actions.includes('ec2:CreateTags'),
      );
      expect(createTags.map((s) => s.conditions?.StringEquals?.['ec2:CreateAction'])).to.deep.equal([
        'RunInstances',
        'CreateImage',
        undefined,
        'CopyImage',
      ]);
      const mark = createTags.find((s) => s.sid === 'MarkFailedTestImages');
      expect(mark?.conditions).to.deep.equal({
        Null: { 'aws:ResourceTag/amibake:build-id': 'false' },
        StringEquals: {
          'aws:ResourceTag/amibake:deployment': 'amibake',
          'aws:RequestTag/amibake:tests': 'failed',
        },
        'ForAllValues:StringEquals': { 'aws:TagKeys': ['amibake:tests'] },
      });
    });

    it("launches, terminates and images only what carries a build id and this deployment's tag", () => {
      const own = [...documents.instanceCreate, ...documents.imageCreate].filter((s) =>
        s.actions.some((a) => ['ec2:RunInstances', 'ec2:TerminateInstances', 'ec2:CreateImage'].includes(a)),
      );
      const tagged = own.filter((s) => s.sid !== 'LaunchFromBaseImages');
      expect(tagged.map((s) => s.sid)).to.deep.equal([
        'LaunchTaggedInstances',
        'LaunchTaggedVolumes',
        'TerminateBuildInstances',
        'ImageBuildInstances',
        'CreateTaggedImages',
        'TerminateBuildInstances',
      ]);
      for (const s of tagged) {
        const kind = /^(LaunchTagged|CreateTagged)/.test(s.sid) ? 'Request' : 'Resource';
        // The instance also of a type the recipes build or test on.
        const types = s.sid === 'LaunchTaggedInstances' ? { 'ec2:InstanceType': full.instanceTypes } : {};
        expect(s.conditions).to.deep.equal({
          Null: { [`aws:${kind}Tag/amibake:build-id`]: 'false' },
          StringEquals: { [`aws:${kind}Tag/amibake:deployment`]: 'amibake', ...types },
        });
      }
    });

    it('launches only the instance types the recipes build and test on', () => {
      const config = stackConfig({}, [
        {
          name: 'a',
          base: { describe: { name: 'x-*' } },
          script: 'user_data/ecs-node.sh',
          instanceType: 'm7i.large',
        },
        {
          name: 'b',
          base: { describe: { name: 'y-*' } },
          script: 'user_data/ecs-node.sh',
          test: { instanceType: 'c7i.xlarge' },
        },
      ]);
      const launch = instanceCreatePolicy(refsFor(config)).find((s) => s.sid === 'LaunchTaggedInstances');
      expect(launch?.resources).to.deep.equal([`arn:aws:ec2:us-east-1:${ACCOUNT}:instance/*`]);
      expect(launch?.conditions?.StringEquals?.['ec2:InstanceType']).to.deep.equal([
        'c7i.xlarge',
        'm7i.large',
        't3.small',
      ]);
    });

    it("copies only this account's own images, and only into the copy regions", () => {
      const config = stackConfig({}, [
        {
          name: 'a',
          base: { describe: { name: 'x-*' } },
          script: 'user_data/ecs-node.sh',
          distribution: { copies: [{ region: 'eu-west-1' }] },
        },
      ]);
      const copy = imageCreatePolicy(refsFor(config)).filter((s) => s.actions.includes('ec2:CopyImage'));
      expect(copy.map((s) => [s.sid, s.resources])).to.deep.equal([
        ['CopyOwnImages', ['arn:aws:ec2:us-east-1::image/*']],
        ['CreateTaggedCopies', ['arn:aws:ec2:eu-west-1::image/*', 'arn:aws:ec2:eu-west-1::snapshot/*']],
      ]);
      expect(copy[0]?.conditions).to.deep.equal({
        StringEquals: { 'ec2:Owner': ACCOUNT },
      });
    });

    it('launches only into the subnets and security groups the configuration names', () => {
      const launch = documents.instanceCreate.find((s) => s.sid === 'LaunchFromBaseImages');
      const network = ((launch?.resources ?? []) as string[]).filter((r) =>
        /:(subnet|security-group)\//.test(r),
      );
      expect(network).to.deep.equal([
        `arn:aws:ec2:us-east-1:${ACCOUNT}:subnet/subnet-0123456789abcdef0`,
        `arn:aws:ec2:us-east-1:${ACCOUNT}:subnet/subnet-0fedcba987654321f`,
        `arn:aws:ec2:us-east-1:${ACCOUNT}:security-group/sg-0123456789abcdef0`,
        `arn:aws:ec2:us-east-1:${ACCOUNT}:security-group/sg-0fedcba987654321f`,
      ]);
    });

    it("allows the VPC's default subnet and group only when a build uses them", () => {
      const launch = instanceCreatePolicy(minimal).find((s) => s.sid === 'LaunchFromBaseImages');
      expect(launch?.resources).to.include.members([
        `arn:aws:ec2:us-east-1:${ACCOUNT}:subnet/*`,
        `arn:aws:ec2:us-east-1:${ACCOUNT}:security-group/*`,
      ]);
    });

    it('reads only the SSM parameters and external scripts that recipes name', () => {
      expect(full.parameterArns).to.deep.equal([
        'arn:aws:ssm:us-east-1::parameter/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id',
      ]);
      expect(full.externalScriptArns).to.deep.equal(['arn:aws:s3:::team-scripts/hardening.sh']);
    });

    it('invokes only ami_ec2_instance_create', () => {
      const invoke = documents.trigger.filter((s) => s.actions.includes('lambda:InvokeFunction'));
      expect(invoke.flatMap((s) => s.resources)).to.deep.equal([full.instanceCreateFunctionArn]);
    });
  });
});
