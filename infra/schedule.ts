import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { LambdaAlias } from '@cdktf/provider-aws/lib/lambda-alias';
import type { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { Construct } from 'constructs';

export interface ScheduleProps {
  ruleName: string;
  description: string;
  expression: string;
  target: LambdaFunction;
  /**
   * Invoke the function through an alias of this name, which only this rule may invoke: the
   * handler can then tell this schedule's events from any other rule's (see sweep-event.ts).
   */
  alias?: string;
  targetId: string;
  /** Lambda permission statement id. */
  statementId: string;
  /** Retries of a failed delivery: a schedule that runs again soon needs none. */
  maximumRetryAttempts: number;
}

/** A rule that invokes a function on a schedule, its target and the permission to invoke. */
export class Schedule extends Construct {
  readonly rule: CloudwatchEventRule;

  constructor(scope: Construct, id: string, props: ScheduleProps) {
    super(scope, id);
    this.rule = new CloudwatchEventRule(this, 'rule', {
      name: props.ruleName,
      description: props.description,
      scheduleExpression: props.expression,
    });
    const alias = props.alias
      ? new LambdaAlias(this, 'alias', {
          name: props.alias,
          description: `Invoked by ${props.ruleName} only`,
          functionName: props.target.functionName,
          functionVersion: '$LATEST',
        })
      : undefined;
    new CloudwatchEventTarget(this, 'target', {
      rule: this.rule.name,
      targetId: props.targetId,
      arn: alias ? alias.arn : props.target.arn,
      retryPolicy: { maximumRetryAttempts: props.maximumRetryAttempts, maximumEventAgeInSeconds: 3600 },
    });
    new LambdaPermission(this, 'permission', {
      statementId: props.statementId,
      action: 'lambda:InvokeFunction',
      functionName: props.target.functionName,
      ...(alias ? { qualifier: alias.name } : {}),
      principal: 'events.amazonaws.com',
      sourceArn: this.rule.arn,
    });
  }
}
