import { SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { getParameterValues } from '../functions/shared/aws/parameters';
import type { Recipe } from '../functions/shared/recipe';
import type { AwsClients } from './emulator/aws-clients';
import type { LocalStack } from './local-account';

/** A queue subscribed to the stack's notifications topic, as a team's alerting would be. */
export async function subscribeQueue(clients: AwsClients, stack: LocalStack): Promise<string> {
  const queue = await clients.sqs.send(
    new CreateQueueCommand({ QueueName: `${stack.deployment.names.prefix}-inbox` }),
  );
  const attributes = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await clients.sns.send(
    new SubscribeCommand({
      TopicArn: stack.outputs.notifications_topic,
      Protocol: 'sqs',
      Endpoint: attributes.Attributes?.QueueArn,
    }),
  );
  return queue.QueueUrl ?? '';
}

/** The subjects of the notifications received so far. */
export async function receivedSubjects(clients: AwsClients, queueUrl: string): Promise<string[]> {
  const subjects: string[] = [];
  for (;;) {
    const batch = await clients.sqs.send(
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
  clients: AwsClients,
  recipes: readonly Recipe[],
): Promise<{ recipe: string; published: [string, string]; candidate: [string, string] }[]> {
  const values = await getParameterValues(
    clients.ssm,
    recipes.flatMap((r) => [r.lifecycle.parameter, r.lifecycle.candidateParameter]),
  );
  const channel = (name: string): [string, string] => [name, values.get(name) ?? '(none)'];
  return recipes.map((r) => ({
    recipe: r.name,
    published: channel(r.lifecycle.parameter),
    candidate: channel(r.lifecycle.candidateParameter),
  }));
}
