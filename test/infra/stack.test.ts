import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { expect } from 'chai';
import { synthSummary } from '../../infra/synth-summary';
import { synthStack as synthToDir } from '../../local/deploy/stack-synth';
import {
  addressOf,
  onlyResource,
  refTo,
  resourcesBy,
  type Synthesized,
  stackConfig,
  synthStack,
  type TerraformJson,
} from '../support/stack';

const has = (synth: Synthesized, type: string, properties: Record<string, unknown>) =>
  Testing.toHaveResourceWithProperties(synth.json, type, properties);

describe('AmiBakeStack', () => {
  let synth: Synthesized;
  before(() => {
    synth = synthStack(stackConfig());
  });

  describe('functions', () => {
    const functions = [
      { name: 'amibake_ami_build_trigger', memory: 512, timeout: 300 },
      { name: 'amibake_ami_ec2_instance_create', memory: 256, timeout: 120 },
      { name: 'amibake_ami_image_create', memory: 256, timeout: 900 },
    ];
    for (const f of functions) {
      it(`declares ${f.name} on nodejs24.x arm64 with ${f.memory} MiB and ${f.timeout} s`, () => {
        expect(
          has(synth, 'aws_lambda_function', {
            function_name: f.name,
            runtime: 'nodejs24.x',
            architectures: ['arm64'],
            handler: 'index.handler',
            memory_size: f.memory,
            timeout: f.timeout,
          }),
        ).to.equal(true);
      });
    }

    it('deploys each function from its zip asset with the zip as source hash', () => {
      const byName = resourcesBy(synth.tf, 'aws_lambda_function', 'function_name');
      for (const fn of Object.values(byName)) {
        expect(fn.filename).to.match(/^assets\/[\w-]+\/[0-9A-F]{32}\/ami-[a-z0-9-]+\.zip$/);
        expect(fn.source_code_hash).to.match(/^[A-Za-z0-9+/]{43}=$/);
      }
    });

    it("names each function's table, bucket and targets in its environment", () => {
      const byName = resourcesBy(synth.tf, 'aws_lambda_function', 'function_name');
      const env = (name: string) => {
        const environment = byName[name]?.environment as { variables: Record<string, string> } | undefined;
        if (!environment) throw new Error(`${name} has no environment`);
        return environment.variables;
      };
      expect(env('amibake_ami_build_trigger')).to.deep.include({
        BUILDS_TABLE: 'amibake-builds',
        RECIPES_STORE: 's3',
        RECIPES_KEY: 'recipes/recipes.json',
        INSTANCE_CREATE_FUNCTION: 'amibake_ami_ec2_instance_create',
        MAX_IN_FLIGHT: '5',
      });
      expect(env('amibake_ami_build_trigger').RECIPES_BUCKET).to.equal(
        'amibake-artifacts-${data.aws_caller_identity.account.account_id}-us-east-1',
      );
      expect(env('amibake_ami_ec2_instance_create')).to.deep.include({
        DEPLOYMENT: 'amibake',
        BUILD_INSTANCE_PROFILE: 'amibake-build-instance',
        BUILD_LOG_PREFIX: 'builds/',
      });
      expect(env('amibake_ami_ec2_instance_create').IMAGE_CREATE_FUNCTION_ARN).to.match(
        /^\$\{aws_lambda_function\.ami_image_create_function\.arn\}$/,
      );
    });

    it('gives each function a log group with the configured retention, created first', () => {
      for (const name of [
        'amibake_ami_build_trigger',
        'amibake_ami_ec2_instance_create',
        'amibake_ami_image_create',
      ]) {
        expect(
          has(synth, 'aws_cloudwatch_log_group', { name: `/aws/lambda/${name}`, retention_in_days: 30 }),
        ).to.equal(true);
      }
      const trigger = resourcesBy(synth.tf, 'aws_lambda_function', 'function_name').amibake_ami_build_trigger;
      const dependsOn = trigger?.depends_on as string[];
      expect(dependsOn).to.have.length(1);
      expect(dependsOn[0]).to.equal(
        addressOf(synth.tf, 'aws_cloudwatch_log_group', 'name', '/aws/lambda/amibake_ami_build_trigger'),
      );
    });

    it('retries asynchronous launches twice, then sends them to the failed-launches queue', () => {
      expect(
        has(synth, 'aws_lambda_function_event_invoke_config', {
          function_name: refTo(
            synth.tf,
            'aws_lambda_function',
            'function_name',
            'amibake_ami_ec2_instance_create',
            'function_name',
          ),
          maximum_retry_attempts: 2,
          maximum_event_age_in_seconds: 3600,
          destination_config: {
            on_failure: {
              destination: refTo(synth.tf, 'aws_sqs_queue', 'name', 'amibake-failed-launches', 'arn'),
            },
          },
        }),
      ).to.equal(true);
      expect(
        has(synth, 'aws_sqs_queue', { name: 'amibake-failed-launches', sqs_managed_sse_enabled: true }),
      ).to.equal(true);
    });
  });

  describe('roles', () => {
    it('gives each function its own role, assumable by Lambda from this account only', () => {
      const roles = resourcesBy(synth.tf, 'aws_iam_role', 'name');
      for (const name of [
        'amibake-ami-build-trigger',
        'amibake-ami-ec2-instance-create',
        'amibake-ami-image-create',
      ]) {
        const trust = JSON.parse(String(roles[name]?.assume_role_policy));
        expect(trust.Statement).to.deep.equal([
          {
            Effect: 'Allow',
            Principal: { Service: 'lambda.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: {
              StringEquals: { 'aws:SourceAccount': '${data.aws_caller_identity.account.account_id}' },
            },
          },
        ]);
      }
      expect(Object.keys(synth.tf.resource.aws_iam_role_policy ?? {})).to.have.length(3);
    });

    it('declares the build instance role, trusted by EC2, and its instance profile', () => {
      const role = resourcesBy(synth.tf, 'aws_iam_role', 'name')['amibake-build-instance'];
      expect(JSON.parse(String(role?.assume_role_policy)).Statement[0].Principal).to.deep.equal({
        Service: 'ec2.amazonaws.com',
      });
      expect(has(synth, 'aws_iam_instance_profile', { name: 'amibake-build-instance' })).to.equal(true);
      expect(synth.tf.resource.aws_iam_role_policy_attachment).to.equal(undefined);
    });

    it('attaches the managed policies the configuration lists to the build instance role', () => {
      const arn = 'arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess';
      const { tf } = synthStack(stackConfig({ buildInstance: { managedPolicyArns: [arn] } }));
      expect(onlyResource(tf, 'aws_iam_role_policy_attachment').policy_arn).to.equal(arn);
    });
  });

  describe('schedule and events', () => {
    it('runs the trigger on the configured schedule with retries', () => {
      expect(
        has(synth, 'aws_cloudwatch_event_rule', {
          name: 'amibake_schedule',
          schedule_expression: 'rate(1 day)',
        }),
      ).to.equal(true);
      expect(
        has(synth, 'aws_cloudwatch_event_target', {
          target_id: 'ami_build_trigger',
          retry_policy: { maximum_retry_attempts: 2, maximum_event_age_in_seconds: 3600 },
        }),
      ).to.equal(true);
      expect(
        has(synth, 'aws_lambda_permission', {
          statement_id: 'AllowSchedule',
          principal: 'events.amazonaws.com',
          source_arn: refTo(synth.tf, 'aws_cloudwatch_event_rule', 'name', 'amibake_schedule', 'arn'),
        }),
      ).to.equal(true);
    });

    it('runs the sweep of ami_image_create every 15 minutes, without retries, through an alias only it may invoke', () => {
      expect(
        has(synth, 'aws_cloudwatch_event_rule', {
          name: 'amibake_sweep',
          schedule_expression: 'rate(15 minutes)',
        }),
      ).to.equal(true);
      expect(
        has(synth, 'aws_cloudwatch_event_target', {
          target_id: 'ami_image_create_sweep',
          arn: refTo(synth.tf, 'aws_lambda_alias', 'name', 'sweep', 'arn'),
          retry_policy: { maximum_retry_attempts: 0 },
        }),
      ).to.equal(true);
      expect(
        has(synth, 'aws_lambda_alias', {
          name: 'sweep',
          function_name: refTo(
            synth.tf,
            'aws_lambda_function',
            'function_name',
            'amibake_ami_image_create',
            'function_name',
          ),
          function_version: '$LATEST',
        }),
      ).to.equal(true);
      expect(
        has(synth, 'aws_lambda_permission', {
          statement_id: 'AllowSweep',
          principal: 'events.amazonaws.com',
          qualifier: refTo(synth.tf, 'aws_lambda_alias', 'name', 'sweep', 'name'),
          source_arn: refTo(synth.tf, 'aws_cloudwatch_event_rule', 'name', 'amibake_sweep', 'arn'),
        }),
      ).to.equal(true);
    });

    it('logs JSON at the configured application level (info by default), platform lines from WARN', () => {
      const logging = (tf: typeof synth.tf) =>
        Object.values(resourcesBy(tf, 'aws_lambda_function', 'function_name')).map((f) => f.logging_config);
      const expected = (level: string) => ({
        log_format: 'JSON',
        application_log_level: level,
        system_log_level: 'WARN',
      });
      expect(logging(synth.tf)).to.have.length(3);
      for (const config of logging(synth.tf)) expect(config).to.deep.include(expected('INFO'));
      const debug = synthStack(stackConfig({ logLevel: 'debug' }));
      for (const config of logging(debug.tf)) expect(config).to.deep.include(expected('DEBUG'));
    });

    it('takes another schedule from the configuration', () => {
      const other = synthStack(stackConfig({ schedule: 'cron(0 6 * * ? *)' }));
      expect(has(other, 'aws_cloudwatch_event_rule', { schedule_expression: 'cron(0 6 * * ? *)' })).to.equal(
        true,
      );
    });

    it('lets only rules named amibake.* of this account invoke ami_image_create', () => {
      expect(
        has(synth, 'aws_lambda_permission', {
          statement_id: 'AllowBuildRules',
          action: 'lambda:InvokeFunction',
          principal: 'events.amazonaws.com',
          source_arn:
            'arn:${data.aws_partition.partition.partition}:events:us-east-1:${data.aws_caller_identity.account.account_id}:rule/amibake.*',
          source_account: '${data.aws_caller_identity.account.account_id}',
        }),
      ).to.equal(true);
    });
  });

  describe('image state events', () => {
    const pattern = {
      source: ['aws.ec2'],
      'detail-type': ['EC2 AMI State Change'],
      detail: { State: ['available', 'failed'] },
    };

    it("resumes builds from the home region's settled images through one static rule", () => {
      const rule = resourcesBy(synth.tf, 'aws_cloudwatch_event_rule', 'name').amibake_image_states;
      expect(JSON.parse(String(rule?.event_pattern))).to.deep.equal(pattern);
      expect(rule?.provider, 'the home region').to.equal(undefined);
      expect(
        has(synth, 'aws_cloudwatch_event_target', {
          target_id: 'ami_image_create',
          arn: refTo(synth.tf, 'aws_lambda_function', 'function_name', 'amibake_ami_image_create', 'arn'),
        }),
      ).to.equal(true);
      expect(
        has(synth, 'aws_lambda_permission', {
          statement_id: 'AllowImageStates',
          principal: 'events.amazonaws.com',
          source_arn: refTo(synth.tf, 'aws_cloudwatch_event_rule', 'name', 'amibake_image_states', 'arn'),
          source_account: '${data.aws_caller_identity.account.account_id}',
        }),
      ).to.equal(true);
      const forwarding = Object.keys(synth.tf.resource.aws_iam_role ?? {}).filter((k) =>
        k.includes('forwarding'),
      );
      expect(forwarding, 'no forwarding role without copies').to.deep.equal([]);
    });

    it("forwards each copy region's image events to the home bus through a role that may only put them there", () => {
      const copying = synthStack(
        stackConfig({}, [
          {
            name: 'ecs',
            base: { describe: { name: 'al2023-ami-ecs-hvm-*' } },
            script: 'user_data/ecs-node.sh',
            distribution: { copies: [{ region: 'eu-west-1' }, { region: 'ap-southeast-2' }] },
          },
        ]),
      );
      const rules = Object.values(copying.tf.resource.aws_cloudwatch_event_rule ?? {}).filter(
        (r) => r.name === 'amibake_image_states',
      );
      expect(rules.map((r) => r.provider ?? 'home').sort()).to.deep.equal([
        'aws.ap-southeast-2',
        'aws.eu-west-1',
        'home',
      ]);
      for (const rule of rules) expect(JSON.parse(String(rule.event_pattern))).to.deep.equal(pattern);
      const forwards = Object.values(copying.tf.resource.aws_cloudwatch_event_target ?? {}).filter(
        (t) => t.target_id === 'home_region_bus',
      );
      expect(forwards.map((t) => [t.provider, t.arn]).sort()).to.deep.equal([
        [
          'aws.ap-southeast-2',
          'arn:${data.aws_partition.partition.partition}:events:us-east-1:${data.aws_caller_identity.account.account_id}:event-bus/default',
        ],
        [
          'aws.eu-west-1',
          'arn:${data.aws_partition.partition.partition}:events:us-east-1:${data.aws_caller_identity.account.account_id}:event-bus/default',
        ],
      ]);
      const role = resourcesBy(copying.tf, 'aws_iam_role', 'name')['amibake-image-states-forwarding'];
      expect(JSON.parse(String(role?.assume_role_policy)).Statement[0]).to.deep.include({
        Principal: { Service: 'events.amazonaws.com' },
        Condition: {
          StringEquals: { 'aws:SourceAccount': '${data.aws_caller_identity.account.account_id}' },
        },
      });
      const policy = resourcesBy(copying.tf, 'aws_iam_role_policy', 'name')[
        'amibake-image-states-forwarding'
      ];
      expect(JSON.parse(String(policy?.policy)).Statement).to.deep.equal([
        {
          Sid: 'ForwardImageStatesHome',
          Effect: 'Allow',
          Action: ['events:PutEvents'],
          Resource: [forwards[0]?.arn],
        },
      ]);
    });

    it('declares a provider for every other region, so that a region that stops being copied to can be cleaned up', () => {
      const aliases = (synth.tf.provider.aws ?? []).map((p) => p.alias).filter(Boolean);
      expect(aliases).to.include.members(['eu-west-1', 'ap-southeast-2', 'us-west-2']);
      expect(aliases).not.to.include('us-east-1');
    });
  });

  describe('data', () => {
    it('keeps build records in an on-demand, encrypted table with point-in-time recovery', () => {
      expect(
        has(synth, 'aws_dynamodb_table', {
          name: 'amibake-builds',
          billing_mode: 'PAY_PER_REQUEST',
          hash_key: 'pk',
          range_key: 'sk',
          server_side_encryption: { enabled: true },
          point_in_time_recovery: { enabled: true },
          deletion_protection_enabled: true,
        }),
      ).to.equal(true);
      const table = onlyResource(synth.tf, 'aws_dynamodb_table');
      expect((table.global_secondary_index as { name: string }[]).map((i) => i.name)).to.deep.equal([
        'in-flight',
        'by-recipe',
      ]);
    });

    it('keeps the bucket private, encrypted and versioned, and expires build logs', () => {
      expect(has(synth, 'aws_s3_bucket', { force_destroy: false })).to.equal(true);
      expect(
        has(synth, 'aws_s3_bucket_public_access_block', {
          block_public_acls: true,
          block_public_policy: true,
          ignore_public_acls: true,
          restrict_public_buckets: true,
        }),
      ).to.equal(true);
      expect(
        has(synth, 'aws_s3_bucket_server_side_encryption_configuration', {
          rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } }],
        }),
      ).to.equal(true);
      expect(
        has(synth, 'aws_s3_bucket_versioning', { versioning_configuration: { status: 'Enabled' } }),
      ).to.equal(true);
      expect(
        has(synth, 'aws_s3_bucket_ownership_controls', { rule: { object_ownership: 'BucketOwnerEnforced' } }),
      ).to.equal(true);
      expect(
        has(synth, 'aws_s3_bucket_lifecycle_configuration', {
          rule: [
            { id: 'expire-build-logs', filter: [{ prefix: 'builds/' }], expiration: [{ days: 30 }] },
            { id: 'expire-old-versions', noncurrent_version_expiration: [{ noncurrent_days: 90 }] },
          ],
        }),
      ).to.equal(true);
      const policy = JSON.parse(String(onlyResource(synth.tf, 'aws_s3_bucket_policy').policy));
      expect(policy.Statement[0]).to.deep.include({
        Effect: 'Deny',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
    });

    it('denies writing recipes and scripts to all but the authors and the deployer when authors are set', () => {
      const policyOf = (tf: TerraformJson) =>
        JSON.parse(String(onlyResource(tf, 'aws_s3_bucket_policy').policy));
      expect(policyOf(synth.tf).Statement.map((st: { Sid: string }) => st.Sid)).to.deep.equal([
        'DenyInsecureTransport',
      ]);
      const author = 'arn:aws:iam::123456789012:role/platform-*';
      const { tf } = synthStack(stackConfig({ authors: [author] }));
      const deny = policyOf(tf).Statement[1];
      expect(deny).to.deep.include({
        Sid: 'OnlyAuthorsWriteRecipesAndScripts',
        Effect: 'Deny',
        Principal: '*',
        Action: ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion'],
      });
      const bucketArn = `\${aws_s3_bucket.${Object.keys(tf.resource.aws_s3_bucket ?? {})[0]}.arn}`;
      expect(deny.Resource).to.deep.equal([`${bucketArn}/recipes/*`, `${bucketArn}/scripts/*`]);
      // The deployer is named by its role (the issuer of its session), which aws:PrincipalArn carries.
      const [, deployer] = deny.Condition.ArnNotLike['aws:PrincipalArn'];
      expect(deny.Condition.ArnNotLike['aws:PrincipalArn'][0]).to.equal(author);
      expect(deployer).to.match(/^\$\{data\.aws_iam_session_context\.deployer\w*\.issuer_arn\}$/);
      const session = Object.values(tf.data.aws_iam_session_context ?? {})[0] as { arn: string };
      expect(session.arn).to.match(/^\$\{data\.aws_caller_identity\.account\w*\.arn\}$/);
    });

    it("looks up the launch templates recipes name by name, and grants exactly those templates' ids", () => {
      const recipes = [
        {
          name: 'web',
          base: { describe: { name: 'al2023-ami-2023.*-x86_64' } },
          script: 'user_data/ecs-node.sh',
          consumers: { launchTemplates: ['web-fleet', 'lt-0123456789abcdef0'] },
        },
      ];
      const { tf } = synthStack(stackConfig({}, recipes));
      const templates = Object.entries(tf.data.aws_launch_template ?? {});
      expect(templates.map(([, t]) => (t as { name: string }).name)).to.deep.equal(['web-fleet']);
      const [address] = templates[0] ?? [];
      const policies = JSON.stringify(tf.resource.aws_iam_role_policy);
      expect(policies).to.include(`launch-template/\${data.aws_launch_template.${address}.id}`);
      expect(policies).to.include('launch-template/lt-0123456789abcdef0');
    });

    it('lets the bucket and table go with the stack when retainData is false', () => {
      const other = synthStack(stackConfig({ retainData: false }));
      expect(has(other, 'aws_s3_bucket', { force_destroy: true })).to.equal(true);
      expect(has(other, 'aws_dynamodb_table', { deletion_protection_enabled: false })).to.equal(true);
    });

    it('stores each script and the recipes document as S3 objects', () => {
      const objects = resourcesBy(synth.tf, 'aws_s3_object', 'key');
      expect(Object.keys(objects).sort()).to.deep.equal([
        'recipes/recipes.json',
        'scripts/user_data/ecs-node-test.sh',
        'scripts/user_data/ecs-node.sh',
      ]);
      const document = JSON.parse(String(objects['recipes/recipes.json']?.content));
      expect(document.version).to.equal(2);
      expect(Object.keys(document.recipes)).to.deep.equal(['ecs-al2023']);
      expect(document.recipes['ecs-al2023'].script).to.equal(
        's3://amibake-artifacts-${data.aws_caller_identity.account.account_id}-us-east-1/scripts/user_data/ecs-node.sh',
      );
      expect(objects['scripts/user_data/ecs-node.sh']?.content).to.include('#!');
    });

    it('has Terraform read a large recipes document from a file asset, with the bucket filled in', () => {
      const recipes = Array.from({ length: 400 }, (_, i) => ({
        name: `r-${i}`,
        base: { describe: { name: 'al2023-ami-ecs-hvm-*' } },
        script: 'user_data/ecs-node.sh',
      }));
      const outdir = mkdtempSync(join(tmpdir(), 'amibake-large-'));
      const stackDir = synthToDir(stackConfig({}, recipes), outdir);
      const tf = JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf-8')) as TerraformJson;
      const content = String(resourcesBy(tf, 'aws_s3_object', 'key')['recipes/recipes.json']?.content);
      const [, path] =
        /^\$\{replace\(file\("(assets\/[^"]+)"\), "@@amibake-bucket@@", "amibake-artifacts-\$\{data\.aws_caller_identity\.account\.account_id\}-us-east-1"\)\}$/.exec(
          content,
        ) ?? [];
      expect(path, content.slice(0, 200)).to.be.a('string');
      const file = JSON.parse(readFileSync(join(stackDir, path as string), 'utf-8'));
      rmSync(outdir, { recursive: true, force: true });
      expect(Object.keys(file.recipes)).to.have.length(400);
      expect(file.recipes['r-0'].script).to.equal('s3://@@amibake-bucket@@/scripts/user_data/ecs-node.sh');
    });

    it('writes every object after versioning is on, so that each has a version to pin builds to', () => {
      const versioning = Object.keys(synth.tf.resource.aws_s3_bucket_versioning ?? {});
      expect(versioning).to.have.length(1);
      for (const [key, object] of Object.entries(resourcesBy(synth.tf, 'aws_s3_object', 'key'))) {
        expect(object.depends_on, key).to.deep.equal([`aws_s3_bucket_versioning.${versioning[0]}`]);
      }
    });

    it('stores recipes as one DynamoDB item each with the dynamodb store', () => {
      const recipes = [
        {
          name: 'one',
          base: { ssmParameter: '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id' },
          script: 'user_data/ecs-node.sh',
        },
        {
          name: 'two',
          base: { describe: { name: 'al2023-ami-2023.*-x86_64' } },
          script: 'user_data/ecs-node.sh',
        },
      ];
      const other = synthStack(stackConfig({ recipeStore: 'dynamodb' }, recipes));
      const items = Object.values(other.tf.resource.aws_dynamodb_table_item ?? {});
      expect(items.map((i) => JSON.parse(String(i.item)).name)).to.deep.equal([{ S: 'one' }, { S: 'two' }]);
      expect(has(other, 'aws_dynamodb_table', { name: 'amibake-recipes', hash_key: 'name' })).to.equal(true);
      expect(resourcesBy(other.tf, 'aws_s3_object', 'key')['recipes/recipes.json']).to.equal(undefined);
      expect(other.tf.output.recipes_table?.value).to.match(
        /^\$\{aws_dynamodb_table\.recipes_table\.name\}$/,
      );
    });
  });

  describe('notifications', () => {
    it('creates an encrypted topic and names it in every function', () => {
      expect(
        has(synth, 'aws_sns_topic', { name: 'amibake-builds', kms_master_key_id: 'alias/aws/sns' }),
      ).to.equal(true);
      for (const fn of Object.values(resourcesBy(synth.tf, 'aws_lambda_function', 'function_name'))) {
        const { variables } = fn.environment as { variables: Record<string, string> };
        expect(variables.NOTIFY_TOPIC_ARN).to.match(/^\$\{aws_sns_topic\.notifications\.arn\}$/);
      }
    });

    it('uses an existing topic instead when the configuration names one', () => {
      const topicArn = 'arn:aws:sns:us-east-1:123456789012:platform-alerts';
      const other = synthStack(stackConfig({ notifications: { topicArn } }));
      expect(other.tf.resource.aws_sns_topic).to.equal(undefined);
      for (const fn of Object.values(resourcesBy(other.tf, 'aws_lambda_function', 'function_name'))) {
        expect((fn.environment as { variables: Record<string, string> }).variables.NOTIFY_TOPIC_ARN).to.equal(
          topicArn,
        );
      }
    });
  });

  describe('provider, backend and outputs', () => {
    it('tags every resource through the provider default tags', () => {
      expect(
        Testing.toHaveProviderWithProperties(synth.json, 'aws', {
          region: 'us-east-1',
          default_tags: [{ tags: { 'managed-by': 'amibake' } }],
        }),
      ).to.equal(true);
    });

    it('keeps local state at the project root by a relative path', () => {
      expect(synth.tf.terraform.backend).to.deep.equal({
        local: { path: '../../../terraform.amibake.tfstate' },
      });
    });

    it('uses the S3 backend the configuration names', () => {
      const other = synthStack(
        stackConfig({
          backend: {
            kind: 's3',
            bucket: 'tf-state',
            key: 'amibake.tfstate',
            region: 'eu-west-1',
            dynamodbTable: 'tf-locks',
          },
        }),
      );
      expect(other.tf.terraform.backend).to.deep.equal({
        s3: {
          bucket: 'tf-state',
          key: 'amibake.tfstate',
          region: 'eu-west-1',
          encrypt: true,
          dynamodb_table: 'tf-locks',
        },
      });
    });

    it('sums up a synth on one screen: resources by type, recipes, and what to run next', () => {
      const config = stackConfig({}, [
        { name: 'ecs', base: { describe: { name: 'al2023-ami-ecs-*' } }, script: 'user_data/ecs-node.sh' },
        {
          name: 'arm',
          base: { ssmParameter: '/team/arm64/base' },
          script: 's3://team-scripts/arm.sh',
          instanceType: 't4g.small',
        },
      ]);
      const { tf } = synthStack(config);
      const lines = synthSummary(config, tf, 'cdktf.out/stacks/amibake').split('\n');
      const total = Object.values(tf.resource).reduce((n, r) => n + Object.keys(r).length, 0);
      expect(lines[0]).to.equal(
        'amibake: stack "amibake" (us-east-1) synthesized into cdktf.out/stacks/amibake',
      );
      expect(total).to.be.greaterThan(30);
      expect(lines[1]).to.equal(`  ${total} resources:`);
      expect(lines.join('\n')).to.include('3 aws_lambda_function').and.include('1 aws_s3_bucket_policy');
      expect(lines.every((line) => line.length <= 110)).to.equal(true);
      expect(lines.slice(-4)).to.deep.equal([
        `  2 recipe(s), s3 store, schedule ${config.schedule}:`,
        '    ecs: describe al2023-ami-ecs-*, script user_data/ecs-node.sh',
        '    arm: ssm /team/arm64/base, script s3://team-scripts/arm.sh, t4g.small',
        '  next: npx cdktf diff (review the plan), then npx cdktf deploy',
      ]);
    });

    it('gives every resource a readable address without a hash suffix, and moves the hashed ones of earlier versions', () => {
      const copying = synthStack(
        stackConfig({}, [
          {
            name: 'ecs',
            base: {
              describe: { name: 'al2023-ami-ecs-hvm-*' },
              releaseTopic: 'arn:aws:sns:us-east-1:137112412989:amazon-linux-2023-ami-updates',
            },
            script: 'user_data/ecs-node.sh',
            distribution: { copies: [{ region: 'eu-west-1' }] },
          },
        ]),
      );
      for (const tf of [synth.tf, copying.tf]) {
        const addresses = Object.entries(tf.resource).flatMap(([type, byName]) =>
          Object.keys(byName).map((name) => `${type}.${name}`),
        );
        expect(
          addresses.filter((a) => /_[0-9A-F]{8}$/.test(a)),
          'hashed',
        ).to.deep.equal([]);
        expect(
          addresses.filter((a) => !/^[a-z0-9_]+\.[A-Za-z_][A-Za-z0-9_]*$/.test(a)),
          'not plain',
        ).to.deep.equal([]);
      }
      expect(Object.keys(synth.tf.resource.aws_lambda_function ?? {}).sort()).to.deep.equal([
        'ami_build_trigger_function',
        'ami_ec2_instance_create_function',
        'ami_image_create_function',
      ]);
      const moved = (synth.tf as unknown as { moved: { from: string; to: string }[] }).moved;
      expect(moved).to.deep.include({
        from: 'aws_lambda_function.ami-build-trigger_function_2CAF7283',
        to: 'aws_lambda_function.ami_build_trigger_function',
      });
    });

    it("addresses each release topic's resources by the topic, and moves them from their index addresses", () => {
      const AL2023 = 'arn:aws:sns:us-east-1:137112412989:amazon-linux-2023-ami-updates';
      const OTHER = 'arn:aws:sns:eu-west-1:111122223333:golden-base-releases';
      const recipe = (name: string, releaseTopic: string) => ({
        name,
        base: { describe: { name: 'al2023-ami-ecs-hvm-*' }, releaseTopic },
        script: 'user_data/ecs-node.sh',
      });
      const addresses = (topics: string[]) => {
        const { tf } = synthStack(
          stackConfig(
            {},
            topics.map((t, i) => recipe(`r${i}`, t)),
          ),
        );
        return {
          subscriptions: Object.keys(tf.resource.aws_sns_topic_subscription ?? {}).sort(),
          statements: Object.values(tf.resource.aws_lambda_permission ?? {})
            .map((p) => String(p.statement_id))
            .filter((id) => id.startsWith('AllowReleaseTopic'))
            .sort(),
          moved: (tf as unknown as { moved: { from: string; to: string }[] }).moved,
        };
      };
      const both = addresses([AL2023, OTHER]);
      expect(both.subscriptions).to.deep.equal([
        'release_topics_subscription_eu_west_1_111122223333_golden_base_releases',
        'release_topics_subscription_us_east_1_137112412989_amazon_linux_2023_ami_updates',
      ]);
      expect(both.statements).to.deep.equal([
        'AllowReleaseTopic-eu-west-1-111122223333-golden-base-releases',
        'AllowReleaseTopic-us-east-1-137112412989-amazon-linux-2023-ami-updates',
      ]);
      // Dropping the first topic leaves the other's addresses and statement as they were.
      const one = addresses([AL2023]);
      expect(one.subscriptions).to.deep.equal([both.subscriptions[1]]);
      expect(one.statements).to.deep.equal([both.statements[1]]);
      // A stack deployed with index addresses (topics sorted) renames them instead of replacing.
      expect(both.moved).to.deep.include.members([
        {
          from: 'aws_sns_topic_subscription.release_topics_subscription_0',
          to: 'aws_sns_topic_subscription.release_topics_subscription_eu_west_1_111122223333_golden_base_releases',
        },
        {
          from: 'aws_lambda_permission.release_topics_permission_1',
          to: 'aws_lambda_permission.release_topics_permission_us_east_1_137112412989_amazon_linux_2023_ami_updates',
        },
      ]);
    });

    it('outputs the function names, table, bucket and schedule rule', () => {
      expect(Object.keys(synth.tf.output).sort()).to.deep.equal([
        'artifacts_bucket',
        'builds_table',
        'failed_launches_queue',
        'image_create_function',
        'image_state_rule',
        'instance_create_function',
        'notifications_topic',
        'schedule_rule',
        'sweep_rule',
        'trigger_function',
      ]);
      expect(synth.tf.output.schedule_rule?.value).to.match(
        /^\$\{aws_cloudwatch_event_rule\.schedule_rule\.name\}$/,
      );
    });
  });
});
