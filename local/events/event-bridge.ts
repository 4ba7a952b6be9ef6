import { randomUUID } from 'node:crypto';
import {
  DescribeRuleCommand,
  type EventBridgeClient,
  ListRulesCommand,
  type ListRulesCommandOutput,
  ListTargetsByRuleCommand,
  type Target,
} from '@aws-sdk/client-eventbridge';
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
 * May this role put events on this bus? The emulator's IAM evaluator judges the role's trust
 * and its policies (see emulator.ts).
 */
export type RoleJudge = (roleArn: string, action: string, resource: string) => Promise<string | undefined>;

/**
 * EventBridge's default buses as moto cannot play them for Lambda targets: an event goes to every
 * enabled rule of its region's bus whose pattern matches; a schedule fires its rule's targets.
 * - A Lambda target is invoked asynchronously only if it is in the rule's region and the
 *   function's resource policy lets events.amazonaws.com invoke it for that rule's ARN;
 *   otherwise the delivery fails, as EventBridge's does.
 * - A target that is another region's default bus gets the event unchanged (its `region` still
 *   says where it happened) only through the target's role, which must trust
 *   events.amazonaws.com and allow events:PutEvents on that bus, as AWS requires.
 */
export class EventBridge {
  readonly deliveries: Delivery[] = [];

  constructor(
    private readonly eventsIn: (region: string) => EventBridgeClient,
    private readonly lambda: Pick<LambdaService, 'invokeAsync'>,
    private readonly functions: Pick<DeployedFunctions, 'get' | 'policy'>,
    private readonly region: string,
    private readonly roleMay: RoleJudge,
  ) {}

  /**
   * An event as an AWS service emits it, to every enabled rule of the event's region (the home
   * region when it names none) whose pattern matches.
   */
  async publish(
    event: object,
    bus = (event as { region?: string }).region ?? this.region,
  ): Promise<Delivery[]> {
    const sent: Delivery[] = [];
    const events = this.eventsIn(bus);
    let token: string | undefined;
    do {
      const page: ListRulesCommandOutput = await events.send(new ListRulesCommand({ NextToken: token }));
      for (const rule of page.Rules ?? []) {
        if (!rule.Name || !rule.EventPattern || rule.State !== 'ENABLED') continue;
        if (!matchesPattern(JSON.parse(rule.EventPattern), event)) continue;
        sent.push(...(await this.toTargets(rule.Name, event, bus)));
      }
      token = page.NextToken;
    } while (token);
    return sent;
  }

  /** A schedule rule firing at `time`: its Scheduled Event goes to its targets. */
  async fireSchedule(ruleName: string, time: Date): Promise<Delivery[]> {
    const rule = await this.eventsIn(this.region).send(new DescribeRuleCommand({ Name: ruleName }));
    if (!rule.ScheduleExpression) throw new Error(`rule ${ruleName} is not a schedule`);
    if (rule.State !== 'ENABLED') return [];
    return this.toTargets(ruleName, scheduledEvent(this.ruleArn(ruleName), this.region, time), this.region);
  }

  ruleArn(ruleName: string, region = this.region): string {
    return `arn:aws:events:${region}:${EMULATED_ACCOUNT}:rule/${ruleName}`;
  }

  private async toTargets(ruleName: string, event: object, region: string): Promise<Delivery[]> {
    const targets = await this.eventsIn(region).send(new ListTargetsByRuleCommand({ Rule: ruleName }));
    const sent: Delivery[] = [];
    for (const target of targets.Targets ?? []) {
      if (!target.Arn) continue;
      const delivery = await this.deliver(ruleName, target as Target & { Arn: string }, event, region);
      this.deliveries.push(delivery);
      sent.push(delivery, ...(await this.forward(delivery, event)));
    }
    return sent;
  }

  /** What a delivery to another region's bus sets off there. */
  private forward(delivery: Delivery, event: object): Promise<Delivery[]> {
    const bus = /^arn:aws:events:([^:]+):\d+:event-bus\/default$/.exec(delivery.targetArn)?.[1];
    return bus && delivery.delivered ? this.publish(event, bus) : Promise.resolve([]);
  }

  private async deliver(
    ruleName: string,
    target: Target & { Arn: string },
    event: object,
    region: string,
  ): Promise<Delivery> {
    const input = targetInput(target, event);
    const base = { ruleName, targetArn: target.Arn, input };
    const bus = /^arn:aws:events:([^:]+):(\d+):event-bus\/([^/]+)$/.exec(target.Arn);
    if (bus)
      return { ...base, ...(await this.busDelivery(target, bus[1] as string, bus[3] as string, region)) };
    const [, functionRegion, name, qualifier] =
      /^arn:aws:lambda:([^:]+):\d+:function:([^:]+)(?::([^:]+))?$/.exec(target.Arn) ?? [];
    if (!name) return { ...base, delivered: false, reason: 'only Lambda and event bus targets are emulated' };
    if (functionRegion !== region) {
      return {
        ...base,
        delivered: false,
        reason: `a rule in ${region} invokes Lambda functions of ${region} only, not ${functionRegion}: forward the event to that region's bus`,
      };
    }
    const fn = await this.functions.get(name);
    // Lambda judges the permission of what the target names: an alias has its own statements.
    const verdict = await serviceMayInvoke(await this.functions.policy(name), {
      service: 'events.amazonaws.com',
      functionArn: qualifier ? `${fn.arn}:${qualifier}` : fn.arn,
      sourceArn: this.ruleArn(ruleName, region),
      sourceAccount: EMULATED_ACCOUNT,
    });
    if (!verdict.allowed) return { ...base, delivered: false, reason: verdict.reason };
    this.lambda.invokeAsync(qualifier ? `${name}:${qualifier}` : name, input, `rule ${ruleName}`);
    return { ...base, delivered: true, reason: verdict.reason };
  }

  /** A rule's target that is an event bus: another region's default bus, through the target's role. */
  private async busDelivery(
    target: Target,
    busRegion: string,
    busName: string,
    region: string,
  ): Promise<{ delivered: boolean; reason: string }> {
    if (busName !== 'default') return { delivered: false, reason: 'only default buses are emulated' };
    if (busRegion === region) return { delivered: false, reason: 'a rule cannot target its own bus' };
    if (!target.RoleArn) {
      return {
        delivered: false,
        reason: `a target that is an event bus in another region needs a role (RoleArn) that may events:PutEvents on ${target.Arn}`,
      };
    }
    const refused = await this.roleMay(target.RoleArn, 'events:PutEvents', target.Arn as string);
    if (refused) return { delivered: false, reason: refused };
    return { delivered: true, reason: `forwarded to ${busRegion} through ${target.RoleArn}` };
  }
}

/** EC2's `EC2 AMI State Change` event, in the shape AWS documents. */
export function imageStateChangeEvent(
  image: { imageId: string; region: string; state: string; reason?: string | undefined },
  time: Date,
): object {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'EC2 AMI State Change',
    source: 'aws.ec2',
    account: EMULATED_ACCOUNT,
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: image.region,
    resources: [`arn:aws:ec2:${image.region}::image/${image.imageId}`],
    detail: {
      RequestId: randomUUID(),
      ImageId: image.imageId,
      State: image.state,
      ErrorMessage: image.state === 'failed' ? (image.reason ?? '') : '',
    },
  };
}

/** The event a schedule rule sends (`source: aws.events`, `detail-type: Scheduled Event`). */
function scheduledEvent(ruleArn: string, region: string, time: Date): object {
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
