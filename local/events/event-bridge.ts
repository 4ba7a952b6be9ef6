import { randomUUID } from 'node:crypto';
import {
  type CloudWatchEventsClient,
  DescribeRuleCommand,
  ListRulesCommand,
  type ListRulesCommandOutput,
  ListTargetsByRuleCommand,
  type Target,
} from '@aws-sdk/client-cloudwatch-events';
import { EMULATED_ACCOUNT } from '../emulator/callers';
import type { DeployedFunctions } from '../lambda/deployed-functions';
import type { LambdaService } from '../lambda/lambda-service';
import { serviceMayInvoke } from '../lambda/resource-policy';
import { matchesPattern } from './event-pattern';
import { targetInput } from './input-transformer';

/** One target an event was sent to, and whether Lambda accepted it. */
export interface Delivery {
  ruleName: string;
  targetArn: string;
  input: unknown;
  delivered: boolean;
  reason: string;
}

/**
 * EventBridge's default bus as moto cannot play it for Lambda targets: an event goes to every
 * enabled rule whose pattern matches; a schedule fires its rule's targets. A Lambda target is
 * invoked asynchronously only if the function's resource policy lets events.amazonaws.com
 * invoke it for that rule's ARN; otherwise the delivery fails, as EventBridge's does.
 */
export class EventBridge {
  readonly deliveries: Delivery[] = [];

  constructor(
    private readonly events: CloudWatchEventsClient,
    private readonly lambda: Pick<LambdaService, 'invokeAsync'>,
    private readonly functions: Pick<DeployedFunctions, 'get' | 'policy'>,
    private readonly region: string,
  ) {}

  /** An event as an AWS service emits it, to every enabled rule whose pattern matches. */
  async publish(event: object): Promise<Delivery[]> {
    const sent: Delivery[] = [];
    let token: string | undefined;
    do {
      const page: ListRulesCommandOutput = await this.events.send(new ListRulesCommand({ NextToken: token }));
      for (const rule of page.Rules ?? []) {
        if (!rule.Name || !rule.EventPattern || rule.State !== 'ENABLED') continue;
        if (!matchesPattern(JSON.parse(rule.EventPattern), event)) continue;
        sent.push(...(await this.toTargets(rule.Name, event)));
      }
      token = page.NextToken;
    } while (token);
    return sent;
  }

  /** A schedule rule firing at `time`: its Scheduled Event goes to its targets. */
  async fireSchedule(ruleName: string, time: Date): Promise<Delivery[]> {
    const rule = await this.events.send(new DescribeRuleCommand({ Name: ruleName }));
    if (!rule.ScheduleExpression) throw new Error(`rule ${ruleName} is not a schedule`);
    if (rule.State !== 'ENABLED') return [];
    return this.toTargets(ruleName, scheduledEvent(this.ruleArn(ruleName), this.region, time));
  }

  ruleArn(ruleName: string): string {
    return `arn:aws:events:${this.region}:${EMULATED_ACCOUNT}:rule/${ruleName}`;
  }

  private async toTargets(ruleName: string, event: object): Promise<Delivery[]> {
    const targets = await this.events.send(new ListTargetsByRuleCommand({ Rule: ruleName }));
    const sent: Delivery[] = [];
    for (const target of targets.Targets ?? []) {
      if (target.Arn) sent.push(await this.deliver(ruleName, target as Target & { Arn: string }, event));
    }
    this.deliveries.push(...sent);
    return sent;
  }

  private async deliver(
    ruleName: string,
    target: Target & { Arn: string },
    event: object,
  ): Promise<Delivery> {
    const input = targetInput(target, event);
    const base = { ruleName, targetArn: target.Arn, input };
    const [, name, qualifier] =
      /^arn:aws:lambda:[^:]+:\d+:function:([^:]+)(?::([^:]+))?$/.exec(target.Arn) ?? [];
    if (!name) return { ...base, delivered: false, reason: 'only Lambda targets are emulated' };
    const fn = await this.functions.get(name);
    // Lambda judges the permission of what the target names: an alias has its own statements.
    const verdict = await serviceMayInvoke(await this.functions.policy(name), {
      service: 'events.amazonaws.com',
      functionArn: qualifier ? `${fn.arn}:${qualifier}` : fn.arn,
      sourceArn: this.ruleArn(ruleName),
      sourceAccount: EMULATED_ACCOUNT,
    });
    if (!verdict.allowed) return { ...base, delivered: false, reason: verdict.reason };
    this.lambda.invokeAsync(qualifier ? `${name}:${qualifier}` : name, input, `rule ${ruleName}`);
    return { ...base, delivered: true, reason: verdict.reason };
  }
}

/** The event a schedule rule sends (`source: aws.events`, `detail-type: Scheduled Event`). */
export function scheduledEvent(ruleArn: string, region: string, time: Date): object {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: EMULATED_ACCOUNT,
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [ruleArn],
    detail: {},
  };
}

/** The EC2 Instance State-change Notification, in the shape AWS documents. */
export function instanceStateChangeEvent(
  instanceId: string,
  state: string,
  region: string,
  time: Date,
): object {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'EC2 Instance State-change Notification',
    source: 'aws.ec2',
    account: EMULATED_ACCOUNT,
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:ec2:${region}:${EMULATED_ACCOUNT}:instance/${instanceId}`],
    detail: { 'instance-id': instanceId, state },
  };
}
