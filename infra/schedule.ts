import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import type { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { Construct } from 'constructs';

/** The rule that runs ami_build_trigger on its schedule, its target and the permission to invoke. */
export class TriggerSchedule extends Construct {
  readonly rule: CloudwatchEventRule;

  constructor(
    scope: Construct,
    id: string,
    props: { ruleName: string; expression: string; trigger: LambdaFunction },
  ) {
    super(scope, id);
    this.rule = new CloudwatchEventRule(this, 'rule', {
      name: props.ruleName,
      description: 'Runs ami_build_trigger: bake every recipe whose base or content changed',
      scheduleExpression: props.expression,
    });
    new CloudwatchEventTarget(this, 'target', {
      rule: this.rule.name,
      targetId: 'ami_build_trigger',
      arn: props.trigger.arn,
      retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 },
    });
    new LambdaPermission(this, 'permission', {
      statementId: 'AllowSchedule',
      action: 'lambda:InvokeFunction',
      functionName: props.trigger.functionName,
      principal: 'events.amazonaws.com',
      sourceArn: this.rule.arn,
    });
  }
}
