import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsIamSessionContext } from '@cdktf/provider-aws/lib/data-aws-iam-session-context';
import { DataAwsLaunchTemplate } from '@cdktf/provider-aws/lib/data-aws-launch-template';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { TerraformElement, TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct, Node } from 'constructs';
import type { AmiBakeConfig } from '../deployment/config';
import {
  FUNCTION_SETTINGS,
  type FunctionRole,
  INSTANCE_CREATE_ASYNC,
  LAMBDA_RUNTIME,
} from '../deployment/functions';
import { functionEnvironments, imageCreateEnvironment, resolveDeployment } from '../deployment/model';
import { artifactsBucketName } from '../deployment/names';
import { BUILDS_TABLE_SCHEMA, RECIPES_TABLE_SCHEMA } from '../deployment/tables';
import { SWEEP_ALIAS } from '../functions/ami-image-create/sweep-event';
import { isLaunchTemplateId } from '../functions/shared/recipe-model';
import { triggerPolicy } from '../policies/ami-build-trigger';
import { instanceCreatePolicy } from '../policies/ami-ec2-instance-create';
import { imageCreatePolicy } from '../policies/ami-image-create';
import { buildRulesArn, policyRefs } from '../policies/refs';
import type { Bundle } from '../scripts/bundle-functions';
import { movedBlocks, readableName } from './addresses';
import { ArtifactsBucket } from './artifacts-bucket';
import { configureBackend } from './backend';
import { BakeFunction } from './bake-function';
import { BuildInstanceRole } from './build-instance';
import { ImageStates } from './image-states';
import { LaunchFailures } from './launch-failures';
import { RecipeData } from './recipe-data';
import { RegionalProviders } from './regional-providers';
import { ReleaseTopics } from './release-topics';
import { Schedule } from './schedule';
import { declareTable } from './table';

export interface AmiBakeStackProps {
  config: AmiBakeConfig;
  /** Where recipes' `user_data/` paths are read from. */
  projectRoot: string;
  /** The functions' bundles, each with its deterministic zip. */
  bundles: readonly Bundle[];
}

/** How often the sweep reconciles builds in flight: the longest a lost event or hung instance waits. */
const SWEEP_SCHEDULE = 'rate(15 minutes)';

/** Days an overwritten recipe document or script stays in the bucket's history. */
const NONCURRENT_VERSION_DAYS = 90;

/** Everything amibake runs on: one stack per configuration. */
export class AmiBakeStack extends TerraformStack {
  /** Each readable Terraform name given, with the construct path it names. */
  private readonly names = new Map<string, readonly string[]>();
  private releaseTopics: ReleaseTopics | undefined;
  /** What synth could not check (ShellCheck missing), for the synth summary. */
  readonly notices: readonly string[];

  constructor(scope: Construct, id: string, props: AmiBakeStackProps) {
    super(scope, id);
    const { config } = props;
    new AwsProvider(this, 'aws', { region: config.region, defaultTags: [{ tags: config.tags }] });
    configureBackend(this, id, config.backend);
    const caller = new DataAwsCallerIdentity(this, 'account');
    const account = caller.accountId;
    const partition = new DataAwsPartition(this, 'partition').partition;
    const bucketName = artifactsBucketName(config.namePrefix, account, config.region);
    const deployment = resolveDeployment(config, { projectRoot: props.projectRoot, bucket: bucketName });
    this.notices = deployment.notices;
    const { names } = deployment;
    const retain = config.retainData ?? true;

    const artifacts = new ArtifactsBucket(this, 'artifacts', {
      name: bucketName,
      logPrefix: names.logPrefix,
      logRetentionDays: config.logRetentionDays,
      noncurrentVersionDays: NONCURRENT_VERSION_DAYS,
      retain,
      ...(config.authors
        ? {
            authors: {
              // The deployer writes them too: the role it runs as, not its session.
              principals: [
                ...config.authors,
                new DataAwsIamSessionContext(this, 'deployer', { arn: caller.arn }).issuerArn,
              ],
              prefixes: [names.recipesPrefix, names.scriptsPrefix],
            },
          }
        : {}),
    });
    const builds = declareTable(this, 'builds', {
      name: names.buildsTable,
      schema: BUILDS_TABLE_SCHEMA,
      retain,
    });
    const recipesTable =
      config.recipeStore === 'dynamodb'
        ? declareTable(this, 'recipes-table', {
            name: names.recipesTable,
            schema: RECIPES_TABLE_SCHEMA,
            retain,
          })
        : undefined;
    new RecipeData(this, 'recipes', {
      deployment,
      bucket: artifacts.bucket.id,
      recipesTable: recipesTable?.name,
      versioning: artifacts.versioning,
    });
    const buildInstance = new BuildInstanceRole(this, 'build-instance', {
      name: names.buildRole,
      managedPolicyArns: config.buildInstance?.managedPolicyArns ?? [],
    });

    const declare = (role: FunctionRole, environment: Record<string, string>) =>
      new BakeFunction(this, FUNCTION_SETTINGS[role].bundle, {
        functionName: names.functions[role],
        roleName: names.functionRoles[role],
        settings: FUNCTION_SETTINGS[role],
        runtime: LAMBDA_RUNTIME,
        architecture: config.architecture,
        zipFile: zipOf(props.bundles, role),
        environment,
        logRetentionDays: config.logRetentionDays,
        logLevel: config.logLevel ?? 'info',
        account,
      });
    const topicArn =
      config.notifications?.topicArn ??
      new SnsTopic(this, 'notifications', {
        name: `${names.prefix}-builds`,
        kmsMasterKeyId: 'alias/aws/sns',
      }).arn;
    const imageCreate = declare('imageCreate', imageCreateEnvironment(deployment, topicArn));
    const environments = functionEnvironments(deployment, {
      imageCreate: imageCreate.fn.arn,
      topic: topicArn,
    });
    const instanceCreate = declare('instanceCreate', environments.instanceCreate);
    const trigger = declare('trigger', environments.trigger);

    const failures = new LaunchFailures(this, 'launch-failures', {
      queueName: `${names.prefix}-failed-launches`,
    });
    // Launch templates that recipes name by name: the policy names their ids, looked up at plan time.
    const templateNames = [
      ...new Set(
        deployment.recipes.flatMap((r) => r.consumers.launchTemplates.filter((t) => !isLaunchTemplateId(t))),
      ),
    ].sort();
    const launchTemplateIds = Object.fromEntries(
      templateNames.map((name) => [
        name,
        new DataAwsLaunchTemplate(this, `consumer-${name.replace(/[^A-Za-z0-9-]/g, '-')}`, { name }).id,
      ]),
    );
    const refs = policyRefs(deployment, {
      launchTemplateIds,
      partition,
      account,
      bucketArn: artifacts.bucket.arn,
      buildsTableArn: builds.arn,
      recipesTableArn: recipesTable?.arn,
      instanceCreateFunctionArn: instanceCreate.fn.arn,
      imageCreateFunctionArn: imageCreate.fn.arn,
      buildRoleArn: buildInstance.role.arn,
      failureQueueArn: failures.queue.arn,
      topicArn,
      logGroupArns: {
        trigger: trigger.logGroup.arn,
        instanceCreate: instanceCreate.logGroup.arn,
        imageCreate: imageCreate.logGroup.arn,
      },
    });
    trigger.grant(triggerPolicy(refs), refs);
    imageCreate.grant(imageCreatePolicy(refs), refs);
    failures.route(
      instanceCreate.fn,
      INSTANCE_CREATE_ASYNC,
      instanceCreate.grant(instanceCreatePolicy(refs), refs),
    );

    const schedule = new Schedule(this, 'schedule', {
      ruleName: names.scheduleRule,
      description: 'Runs ami_build_trigger: bake every recipe whose base or content changed',
      expression: config.schedule,
      target: trigger.fn,
      targetId: 'ami_build_trigger',
      statementId: 'AllowSchedule',
      maximumRetryAttempts: 2,
    });
    const sweep = new Schedule(this, 'sweep', {
      ruleName: names.sweepRule,
      description: 'Runs the ami_image_create sweep: finish, time out or clean up builds in flight',
      expression: SWEEP_SCHEDULE,
      target: imageCreate.fn,
      alias: SWEEP_ALIAS,
      targetId: 'ami_image_create_sweep',
      statementId: 'AllowSweep',
      maximumRetryAttempts: 0,
    });
    const providers = new RegionalProviders(this, 'regions', { home: config.region, tags: config.tags });
    const imageStates = new ImageStates(this, 'image-states', {
      ruleName: names.imageStateRule,
      forwardingRoleName: names.imageStateForwardingRole,
      target: imageCreate.fn,
      refs,
      providers,
    });
    this.releaseTopics = new ReleaseTopics(this, 'release-topics', {
      topics: [
        ...new Set(deployment.recipes.flatMap((r) => (r.releaseTopic ? [r.releaseTopic] : []))),
      ].sort(),
      home: config.region,
      trigger: trigger.fn,
      providers,
    });
    new LambdaPermission(this, 'build-rules-invoke-image-create', {
      statementId: 'AllowBuildRules',
      action: 'lambda:InvokeFunction',
      functionName: imageCreate.fn.functionName,
      principal: 'events.amazonaws.com',
      sourceArn: buildRulesArn(refs),
      sourceAccount: account,
    });

    const output = (id: string, value: string, description: string) =>
      new TerraformOutput(this, id, { value, description });
    output('trigger_function', trigger.fn.functionName, 'ami_build_trigger');
    output('instance_create_function', instanceCreate.fn.functionName, 'ami_ec2_instance_create');
    output('image_create_function', imageCreate.fn.functionName, 'ami_image_create');
    output('builds_table', builds.name, 'Build records');
    output('artifacts_bucket', artifacts.bucket.id, 'Recipes, scripts and build logs');
    output('schedule_rule', schedule.rule.name, 'Runs ami_build_trigger');
    output('sweep_rule', sweep.rule.name, 'Runs the reconciliation sweep');
    output('image_state_rule', imageStates.rule.name, 'Resumes builds when their images settle');
    output('notifications_topic', topicArn, 'One message per finished build');
    output('failed_launches_queue', failures.queue.url, 'Launch requests that failed every retry');
    if (recipesTable) output('recipes_table', recipesTable.name, 'Recipes (DynamoDB store)');
  }

  /** Readable addresses (see addresses.ts) instead of cdktf's hashed ones. */
  protected override allocateLogicalId(element: TerraformElement | Node): string {
    const node = TerraformElement.isTerraformElement(element) ? element.node : element;
    const components = node.scopes.slice(node.scopes.indexOf(this) + 1).map((c) => c.node.id);
    const name = readableName(components);
    // Names need to be unique per kind of block: a resource type, outputs, data sources...
    const kind =
      (element as { terraformResourceType?: string }).terraformResourceType ?? element.constructor.name;
    const key = `${kind}.${name}`;
    const known = this.names.get(key);
    if (known && known.join('/') !== components.join('/')) {
      throw new Error(
        `two constructs would share the Terraform address ${key}: ${known.join('/')} and ${components.join('/')}: give one another id`,
      );
    }
    this.names.set(key, components);
    return name;
  }

  /** The stack's JSON, with `moved` blocks from the hashed addresses of earlier versions. */
  override toTerraform() {
    const tf = super.toTerraform();
    const renamed = new Map(this.releaseTopics?.renamed.map((r) => [`release-topics/${r.to}`, r.from]) ?? []);
    const moved = movedBlocks(
      tf.resource ?? {},
      (type, name) => this.names.get(`${type}.${name}`),
      (path) => {
        const from = renamed.get(path.slice(0, 2).join('/'));
        return from ? ['release-topics', from, ...path.slice(2)] : undefined;
      },
    );
    return moved.length > 0 ? { ...tf, moved } : tf;
  }
}

function zipOf(bundles: readonly Bundle[], role: FunctionRole): string {
  const bundle = bundles.find((b) => b.name === FUNCTION_SETTINGS[role].bundle);
  if (!bundle) throw new Error(`no bundle for ${FUNCTION_SETTINGS[role].bundle}: run npm run build`);
  return bundle.zip;
}
