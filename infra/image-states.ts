import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import type { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { Construct } from 'constructs';
import { imageStatePattern } from '../functions/ami-image-create/image-state-event';
import {
  FORWARDING_TRUSTED_SERVICE,
  homeEventBusArn,
  imageStateForwardingPolicy,
} from '../policies/image-state-forwarding';
import type { PolicyRefs } from '../policies/refs';
import { policyJson, trustPolicyJson } from '../policies/statement';
import type { RegionalProviders } from './regional-providers';

export interface ImageStatesProps {
  ruleName: string;
  /** The role that forwards the copy regions' events (created only when some recipe copies). */
  forwardingRoleName: string;
  target: LambdaFunction;
  refs: PolicyRefs;
  providers: RegionalProviders;
}

/**
 * The rules that resume a build when its image, or a copy, becomes available or fails: in the
 * home region one rule invokes ami_image_create; in each copy region a rule of the same name
 * forwards the events to the home region's default bus, where the first rule picks them up.
 * Static rules, not one per build: they are reviewed in the plan, they exist before CreateImage
 * (no window in which an event finds no rule), and they take nothing from the 300-rule quota
 * that caps builds in flight. Every AMI of the account reaches the function; ones that are not
 * a build's are ignored after one DescribeImages.
 */
export class ImageStates extends Construct {
  readonly rule: CloudwatchEventRule;

  constructor(scope: Construct, id: string, props: ImageStatesProps) {
    super(scope, id);
    const { refs } = props;
    const eventPattern = JSON.stringify(imageStatePattern());
    this.rule = new CloudwatchEventRule(this, 'rule', {
      name: props.ruleName,
      description: 'Resumes a build when its image or a copy becomes available or fails',
      eventPattern,
    });
    new CloudwatchEventTarget(this, 'target', {
      rule: this.rule.name,
      targetId: 'ami_image_create',
      arn: props.target.arn,
      retryPolicy: { maximumRetryAttempts: 8, maximumEventAgeInSeconds: 3600 },
    });
    new LambdaPermission(this, 'permission', {
      statementId: 'AllowImageStates',
      action: 'lambda:InvokeFunction',
      functionName: props.target.functionName,
      principal: 'events.amazonaws.com',
      sourceArn: this.rule.arn,
      sourceAccount: refs.account,
    });
    if (refs.copyRegions.length === 0) return;
    const role = new IamRole(this, 'forwarding-role', {
      name: props.forwardingRoleName,
      description: "Forwards the copy regions' image state events to the home region's bus",
      assumeRolePolicy: trustPolicyJson(FORWARDING_TRUSTED_SERVICE, refs.account),
    });
    new IamRolePolicy(this, 'forwarding-policy', {
      name: props.forwardingRoleName,
      role: role.id,
      policy: policyJson(imageStateForwardingPolicy(refs)),
    });
    for (const region of refs.copyRegions) {
      const provider = props.providers.in(region);
      const rule = new CloudwatchEventRule(this, `rule-${region}`, {
        provider,
        name: props.ruleName,
        description: `Forwards image state changes in ${region} to ${refs.region}, where they resume builds`,
        eventPattern,
      });
      new CloudwatchEventTarget(this, `target-${region}`, {
        provider,
        rule: rule.name,
        targetId: 'home_region_bus',
        arn: homeEventBusArn(refs),
        roleArn: role.arn,
        retryPolicy: { maximumRetryAttempts: 8, maximumEventAgeInSeconds: 3600 },
      });
    }
  }
}
