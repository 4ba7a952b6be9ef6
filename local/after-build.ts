import { SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Deployment } from '../deployment/model';
import { getParameterValues } from '../functions/shared/aws/parameters';
import type { Recipe } from '../functions/shared/recipe';
import { type LocalAws, localTopicArn } from './local-aws';

/** A queue subscribed to the notifications topic, as a team's alerting would be. */
export async function subscribeQueue(aws: LocalAws, deployment: Deployment): Promise<string> {
  const queue = await aws.clients.sqs.send(
    new CreateQueueCommand({ QueueName: `${deployment.names.prefix}-inbox` }),
  );
  const attributes = await aws.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await aws.clients.sns.send(
    new SubscribeCommand({
      TopicArn: localTopicArn(deployment),
      Protocol: 'sqs',
      Endpoint: attributes.Attributes?.QueueArn,
    }),
  );
  return queue.QueueUrl ?? '';
}

/** The subjects of the notifications received so far. */
export async function receivedSubjects(aws: LocalAws, queueUrl: string): Promise<string[]> {
  const subjects: string[] = [];
  for (;;) {
    const batch = await aws.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }),
    );
    if (!batch.Messages?.length) return subjects;
    subjects.push(
      ...batch.Messages.map((m) => (JSON.parse(m.Body ?? '{}') as { Subject?: string }).Subject ?? ''),
    );
  }
}

/** Each recipe's published parameter and the value it holds. */
export async function publishedImages(
  aws: LocalAws,
  recipes: readonly Recipe[],
): Promise<[string, string][]> {
  const values = await getParameterValues(
    aws.clients.ssm,
    recipes.map((r) => r.lifecycle.parameter),
  );
  return recipes.map((r) => [r.lifecycle.parameter, values.get(r.lifecycle.parameter) ?? '(none)']);
}
