import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { AmiBakeError } from '../errors';

export const INVOKE_ACTIONS = { invokeAsync: ['lambda:InvokeFunction'] } as const;

/** Queues an asynchronous invocation (Lambda retries it and sends failures to the destination). */
export async function invokeAsync(
  lambda: LambdaClient,
  functionName: string,
  payload: object,
): Promise<void> {
  const result = await lambda.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'Event',
      Payload: Buffer.from(JSON.stringify(payload)),
    }),
  );
  if (result.StatusCode !== 202) {
    throw new AmiBakeError(
      `asynchronous invoke of ${functionName} answered ${result.StatusCode}, expected 202`,
      {
        code: 'InvokeFailed',
      },
    );
  }
}
