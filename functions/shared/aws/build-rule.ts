import {
  DeleteRuleCommand,
  type EventBridgeClient,
  type InputTransformer,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { buildRulePrefix } from '../build-rule-name';
import { AmiBakeError } from '../errors';

/** The per-build EventBridge rule that turns "instance stopped" into a call to ami_image_create. */
export const BUILD_RULE_ACTIONS = {
  putBuildRule: ['events:PutRule', 'events:PutTargets'],
  removeBuildRule: ['events:RemoveTargets', 'events:DeleteRule'],
  listBuildRules: ['events:ListRules'],
  buildRuleTargets: ['events:ListTargetsByRule'],
} as const;

const BUILD_RULE_TARGET_ID = 'ami_image_create';

export interface BuildRule {
  ruleName: string;
  description: string;
  pattern: object;
  targetArn: string;
  input: InputTransformer;
}

export async function putBuildRule(events: EventBridgeClient, rule: BuildRule): Promise<void> {
  await events.send(
    new PutRuleCommand({
      Name: rule.ruleName,
      Description: rule.description,
      EventPattern: JSON.stringify(rule.pattern),
      State: 'ENABLED',
    }),
  );
  const result = await events.send(
    new PutTargetsCommand({
      Rule: rule.ruleName,
      Targets: [{ Id: BUILD_RULE_TARGET_ID, Arn: rule.targetArn, InputTransformer: rule.input }],
    }),
  );
  const failed = result.FailedEntries?.[0];
  if ((result.FailedEntryCount ?? 0) > 0) {
    throw new AmiBakeError(
      `rule ${rule.ruleName}: PutTargets failed: ${failed?.ErrorCode} ${failed?.ErrorMessage}`,
      {
        code: failed?.ErrorCode ?? 'PutTargetsFailed',
      },
    );
  }
}

/** Removes the rule and its target; a rule that is already gone is not an error. */
export async function removeBuildRule(events: EventBridgeClient, ruleName: string): Promise<void> {
  try {
    await events.send(new RemoveTargetsCommand({ Rule: ruleName, Ids: [BUILD_RULE_TARGET_ID] }));
    await events.send(new DeleteRuleCommand({ Name: ruleName }));
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
  }
}

/** The ARNs a rule delivers to (an empty list for a rule that is gone). */
export async function buildRuleTargets(events: EventBridgeClient, ruleName: string): Promise<string[]> {
  const arns: string[] = [];
  let token: string | undefined;
  try {
    do {
      const page = await events.send(new ListTargetsByRuleCommand({ Rule: ruleName, NextToken: token }));
      arns.push(...(page.Targets ?? []).flatMap((t) => (t.Arn ? [t.Arn] : [])));
      token = page.NextToken;
    } while (token);
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
  }
  return arns;
}

/** The names of every rule named `<deployment>.…` (the build rules of the deployment). */
export async function listBuildRules(events: EventBridgeClient, deployment: string): Promise<string[]> {
  const names: string[] = [];
  let token: string | undefined;
  do {
    const page = await events.send(
      new ListRulesCommand({ NamePrefix: buildRulePrefix(deployment), NextToken: token }),
    );
    names.push(...(page.Rules ?? []).flatMap((r) => (r.Name ? [r.Name] : [])));
    token = page.NextToken;
  } while (token);
  return names;
}
