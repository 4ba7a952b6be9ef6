import { createHash } from 'node:crypto';
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
  /** Earlier construct ids of each subscription and permission (by index), for `moved` blocks. */
  readonly renamed: { from: string; to: string }[] = [];

  constructor(scope: Construct, id: string, props: ReleaseTopicsProps) {
    super(scope, id);
    props.topics.forEach((topicArn, index) => {
      const region = topicArn.split(':')[3] as string;
      const topic = topicId(topicArn);
      new SnsTopicSubscription(this, `subscription-${topic}`, {
        ...(region === props.home ? {} : { provider: props.providers.in(region) }),
        topicArn,
        protocol: 'lambda',
        endpoint: props.trigger.arn,
      });
      new LambdaPermission(this, `permission-${topic}`, {
        statementId: statementId(topic, topicArn),
        action: 'lambda:InvokeFunction',
        functionName: props.trigger.functionName,
        principal: 'sns.amazonaws.com',
        sourceArn: topicArn,
      });
      this.renamed.push(
        { from: `subscription-${index}`, to: `subscription-${topic}` },
        { from: `permission-${index}`, to: `permission-${topic}` },
      );
    });
  }
}

/**
 * A topic's part of its resources' addresses and statement id: region, owner and name
 * (`us-east-1-137112412989-amazon-linux-2023-ami-updates`), so that reordering, adding or
 * removing topics moves no other topic's resources.
 */
function topicId(topicArn: string): string {
  const [, , , region, account, name] = topicArn.split(':');
  return `${region}-${account}-${name}`;
}

/** Lambda's statement ids are at most 100 characters: a long topic keeps a digest of its ARN. */
function statementId(topic: string, topicArn: string): string {
  const id = `AllowReleaseTopic-${topic}`;
  if (id.length <= 100) return id;
  return `${id.slice(0, 90)}-${createHash('sha256').update(topicArn).digest('hex').slice(0, 8)}`;
}
