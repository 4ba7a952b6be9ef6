import type { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { Construct } from 'constructs';
import type { RegionalProviders } from './regional-providers';

export interface ReleaseTopicsProps {
  /** The vendors' release topics the recipes track (`base.releaseTopic`). */
  topics: string[];
  home: string;
  trigger: LambdaFunction;
  providers: RegionalProviders;
}

/**
 * The fast path from a vendor release: ami_build_trigger subscribed to each release topic the
 * recipes track (the subscription is made in the topic's region, us-east-1 for Amazon Linux;
 * SNS delivers to a function in another region), and the permission for that topic alone to
 * invoke it. The daily schedule stays: not every vendor has a topic, and deliveries can fail.
 */
export class ReleaseTopics extends Construct {
  constructor(scope: Construct, id: string, props: ReleaseTopicsProps) {
    super(scope, id);
    props.topics.forEach((topicArn, index) => {
      const region = topicArn.split(':')[3] as string;
      new SnsTopicSubscription(this, `subscription-${index}`, {
        ...(region === props.home ? {} : { provider: props.providers.in(region) }),
        topicArn,
        protocol: 'lambda',
        endpoint: props.trigger.arn,
      });
      new LambdaPermission(this, `permission-${index}`, {
        statementId: `AllowReleaseTopic${index}`,
        action: 'lambda:InvokeFunction',
        functionName: props.trigger.functionName,
        principal: 'sns.amazonaws.com',
        sourceArn: topicArn,
      });
    });
  }
}
