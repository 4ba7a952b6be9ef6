import { DescribeImagesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';

/**
 * The seed project's algorithm, for comparison only: one DescribeImages per recipe, then
 * "was it created today?", then an invoke. (It misses releases on days it failed to run and
 * repeats builds when it runs twice a day.)
 */
export async function originalTrigger(
  clients: { ec2: EC2Client; lambda: LambdaClient },
  recipes: { name: string; glob: string; architecture: string }[],
  today: string,
  functionName: string,
): Promise<number> {
  let invoked = 0;
  for (const recipe of recipes) {
    const result = await clients.ec2.send(
      new DescribeImagesCommand({
        Owners: ['amazon'],
        Filters: [
          { Name: 'name', Values: [recipe.glob] },
          { Name: 'architecture', Values: [recipe.architecture] },
        ],
      }),
    );
    const fresh = (result.Images ?? []).find((image) => image.CreationDate?.startsWith(today));
    if (fresh?.ImageId) {
      await clients.lambda.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'Event',
          Payload: Buffer.from(JSON.stringify({ id: fresh.ImageId })),
        }),
      );
      invoked++;
    }
  }
  return invoked;
}
