import { buildRulePrefix } from '../functions/shared/build-rule-name';

/** Names of everything a deployment holds, derived from the prefix alone. */
export interface DeploymentNames {
  prefix: string;
  buildsTable: string;
  recipesTable: string;
  /** Where the recipes document and the scripts live: who may write there gets root on build instances. */
  recipesPrefix: string;
  recipesKey: string;
  scriptsPrefix: string;
  logPrefix: string;
  rulePrefix: string;
  scheduleRule: string;
  sweepRule: string;
  imageStateRule: string;
  imageStateForwardingRole: string;
  buildRole: string;
  buildInstanceProfile: string;
  functions: { trigger: string; instanceCreate: string; imageCreate: string };
  functionRoles: { trigger: string; instanceCreate: string; imageCreate: string };
}

export function deploymentNames(prefix: string): DeploymentNames {
  return {
    prefix,
    buildsTable: `${prefix}-builds`,
    recipesTable: `${prefix}-recipes`,
    recipesPrefix: 'recipes/',
    recipesKey: 'recipes/recipes.json',
    scriptsPrefix: 'scripts/',
    logPrefix: 'builds/',
    rulePrefix: buildRulePrefix(prefix),
    // Not `<prefix>.…`: the functions may manage only the build rules, `<prefix>.<build id>`.
    scheduleRule: `${prefix}_schedule`,
    sweepRule: `${prefix}_sweep`,
    imageStateRule: `${prefix}_image_states`,
    imageStateForwardingRole: `${prefix}-image-states-forwarding`,
    buildRole: `${prefix}-build-instance`,
    buildInstanceProfile: `${prefix}-build-instance`,
    functions: {
      trigger: `${prefix}_ami_build_trigger`,
      instanceCreate: `${prefix}_ami_ec2_instance_create`,
      imageCreate: `${prefix}_ami_image_create`,
    },
    functionRoles: {
      trigger: `${prefix}-ami-build-trigger`,
      instanceCreate: `${prefix}-ami-ec2-instance-create`,
      imageCreate: `${prefix}-ami-image-create`,
    },
  };
}

/** The artifacts bucket: globally unique through the account id and region. */
export function artifactsBucketName(prefix: string, accountId: string, region: string): string {
  return `${prefix}-artifacts-${accountId}-${region}`;
}
