import {
  type CloudWatchEventsClient,
  ListRulesCommand,
  type ListRulesCommandOutput,
  ListTargetsByRuleCommand,
} from '@aws-sdk/client-cloudwatch-events';
import { matchesPattern } from './event-pattern';
import { targetInput } from './input-transformer';

export interface Delivery {
  ruleName: string;
  targetArn: string;
  input: unknown;
}

/**
 * EventBridge delivery as moto cannot do it for Lambda targets: the event goes to every
 * enabled rule whose EventPattern matches it, through each target's input settings.
 */
export async function deliveriesFor(events: CloudWatchEventsClient, event: object): Promise<Delivery[]> {
  const deliveries: Delivery[] = [];
  let token: string | undefined;
  do {
    const page: ListRulesCommandOutput = await events.send(new ListRulesCommand({ NextToken: token }));
    for (const rule of page.Rules ?? []) {
      if (!rule.Name || !rule.EventPattern || rule.State !== 'ENABLED') continue;
      if (!matchesPattern(JSON.parse(rule.EventPattern), event)) continue;
      const targets = await events.send(new ListTargetsByRuleCommand({ Rule: rule.Name }));
      for (const target of targets.Targets ?? []) {
        if (target.Arn)
          deliveries.push({ ruleName: rule.Name, targetArn: target.Arn, input: targetInput(target, event) });
      }
    }
    token = page.NextToken;
  } while (token);
  return deliveries;
}

/** The EC2 Instance State-change Notification, in the shape AWS documents. */
export function instanceStateChangeEvent(
  instanceId: string,
  state: string,
  context: { account: string; region: string; time: Date; id: string },
): object {
  return {
    version: '0',
    id: context.id,
    'detail-type': 'EC2 Instance State-change Notification',
    source: 'aws.ec2',
    account: context.account,
    time: context.time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: context.region,
    resources: [`arn:aws:ec2:${context.region}:${context.account}:instance/${instanceId}`],
    detail: { 'instance-id': instanceId, state },
  };
}
