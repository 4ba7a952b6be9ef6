import type { Deployment } from '../deployment/model';
import type { DeploymentNames } from '../deployment/names';
import { isLaunchTemplateId } from '../functions/shared/recipe-model';

/**
 * What the stack creates and the policies name: in the stack they are Terraform references; in
 * tests they are plain strings.
 */
export interface PolicyResources {
  partition: string;
  account: string;
  bucketArn: string;
  buildsTableArn: string;
  instanceCreateFunctionArn: string;
  /** The only target a build rule may have. */
  imageCreateFunctionArn: string;
  buildRoleArn: string;
  failureQueueArn: string;
  logGroupArns: { trigger: string; instanceCreate: string; imageCreate: string };
  /** The topic every finished build is announced on. */
  topicArn: string;
  /** The id of each launch template that recipes name by name (the stack looks them up). */
  launchTemplateIds?: Readonly<Record<string, string>>;
}

/** The ARNs and ids the policy documents are written against: the stack's resources, and what the recipes name. */
export interface PolicyRefs extends PolicyResources {
  region: string;
  names: DeploymentNames;
  recipeStore: { kind: 's3'; objectArn: string } | { kind: 'dynamodb'; tableArn: string };
  /** s3:// scripts that recipes name outside the artifacts bucket. */
  externalScriptArns: string[];
  /** SSM parameters that recipes select their base image with. */
  parameterArns: string[];
  /** Subnets and security groups the builds use; `'*'` when some build uses the VPC's defaults. */
  subnetIds: string[] | '*';
  securityGroupIds: string[] | '*';
  /** KMS keys that recipes encrypt root volumes with. */
  kmsKeyArns: string[];
  /** The parameters that hold each recipe's newest image, in every region it is copied to, and its candidate (home region). */
  imageParameterArns: string[];
  /** Each recipe's candidate parameter (home region), which a failed test takes its image off. */
  candidateParameterArns: string[];
  /** Regions that recipes copy their images to, and the KMS keys of those copies. */
  copyRegions: string[];
  copyKmsKeyArns: string[];
  /** The root volume keys of recipes that copy their images: a copy decrypts the source's snapshots with them. */
  copySourceKeyArns: string[];
  /** The launch templates and Auto Scaling groups that recipes roll to each published image. */
  launchTemplateArns: string[];
  autoScalingGroupArns: string[];
  /** The instance types the recipes build and test on: the only ones a launch may ask for. */
  instanceTypes: string[];
  /** Whether some recipe shares its images, or schedules their deprecation. */
  sharing: boolean;
  deprecating: boolean;
}

/** `arn:<partition>:ec2:<region>:<account>:<type>/<id>`; images and snapshots have no account. */
export function ec2Arn(refs: PolicyRefs, type: string, id = '*', region = refs.region): string {
  const account = type === 'image' || type === 'snapshot' ? '' : refs.account;
  return `arn:${refs.partition}:ec2:${region}:${account}:${type}/${id}`;
}

/** Every EventBridge rule a build creates: `<prefix>.<build id>`. */
export function buildRulesArn(refs: PolicyRefs): string {
  return `arn:${refs.partition}:events:${refs.region}:${refs.account}:rule/${refs.names.rulePrefix}*`;
}

export function bucketObjects(refs: PolicyRefs, prefix: string): string {
  return `${refs.bucketArn}/${prefix}*`;
}

/** The references of a deployment: the resource ARNs come from the stack, the rest from the recipes. */
export function policyRefs(
  deployment: Deployment,
  resources: PolicyResources & { recipesTableArn?: string | undefined },
): PolicyRefs {
  const { recipesTableArn, launchTemplateIds = {}, ...arns } = resources;
  const { config, recipes, names } = deployment;
  const { partition, account } = resources;
  const region = config.region;
  const unique = (values: string[]) => [...new Set(values)].sort();
  const network = config.network;
  const subnets = recipes.map((r) => r.subnetId ?? network.subnetId);
  const groups = recipes.map((r) =>
    r.securityGroupIds.length > 0 ? r.securityGroupIds : (network.securityGroupIds ?? []),
  );
  const rootKeyArn = (r: (typeof recipes)[number]): string[] => {
    const key = r.rootVolume.kmsKeyId;
    if (key === undefined) return [];
    return [key.startsWith('arn:') ? key : `arn:${partition}:kms:${region}:${account}:key/${key}`];
  };
  return {
    ...arns,
    region,
    names,
    recipeStore:
      config.recipeStore === 's3'
        ? { kind: 's3', objectArn: `${resources.bucketArn}/${names.recipesKey}` }
        : { kind: 'dynamodb', tableArn: recipesTableArn ?? '' },
    externalScriptArns: unique(
      recipes.flatMap((r) =>
        [r.script, r.test.script].flatMap((script) =>
          script?.kind === 's3' && script.bucket !== deployment.bucket
            ? [`arn:${partition}:s3:::${script.bucket}/${script.key}`]
            : [],
        ),
      ),
    ),
    parameterArns: unique(
      recipes.flatMap((r) =>
        r.base.kind === 'ssm'
          ? [
              `arn:${partition}:ssm:${region}:${r.base.parameter.startsWith('/aws/service/') ? '' : account}:parameter${r.base.parameter}`,
            ]
          : [],
      ),
    ),
    subnetIds: subnets.some((s) => s === undefined) ? '*' : unique(subnets.filter((s) => s !== undefined)),
    securityGroupIds: groups.some((g) => g.length === 0) ? '*' : unique(groups.flat()),
    imageParameterArns: unique(
      recipes.flatMap((r) => [
        ...[region, ...r.distribution.copies.map((c) => c.region)].map(
          (at) => `arn:${partition}:ssm:${at}:${account}:parameter${r.lifecycle.parameter}`,
        ),
        `arn:${partition}:ssm:${region}:${account}:parameter${r.lifecycle.candidateParameter}`,
      ]),
    ),
    candidateParameterArns: unique(
      recipes.map(
        (r) => `arn:${partition}:ssm:${region}:${account}:parameter${r.lifecycle.candidateParameter}`,
      ),
    ),
    copyRegions: unique(recipes.flatMap((r) => r.distribution.copies.map((c) => c.region))),
    launchTemplateArns: unique(
      recipes.flatMap((r) =>
        r.consumers.launchTemplates.map(
          (t) =>
            `arn:${partition}:ec2:${region}:${account}:launch-template/${isLaunchTemplateId(t) ? t : (launchTemplateIds[t] ?? t)}`,
        ),
      ),
    ),
    autoScalingGroupArns: unique(
      recipes.flatMap((r) =>
        r.consumers.autoScalingGroups.map(
          (g) =>
            `arn:${partition}:autoscaling:${region}:${account}:autoScalingGroup:*:autoScalingGroupName/${g}`,
        ),
      ),
    ),
    instanceTypes: unique(recipes.flatMap((r) => [r.instanceType, r.test.instanceType ?? r.instanceType])),
    sharing: recipes.some((r) => Object.values(r.distribution.share).some((with_) => with_.length > 0)),
    deprecating: recipes.some((r) => r.lifecycle.deprecateAfterDays !== undefined),
    copyKmsKeyArns: unique(
      recipes.flatMap((r) => r.distribution.copies.flatMap((c) => (c.kmsKeyId ? [c.kmsKeyId] : []))),
    ),
    kmsKeyArns: unique(recipes.flatMap(rootKeyArn)),
    copySourceKeyArns: unique(recipes.filter((r) => r.distribution.copies.length > 0).flatMap(rootKeyArn)),
  };
}
