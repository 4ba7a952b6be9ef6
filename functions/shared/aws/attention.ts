import { DeleteCommand, PutCommand, QueryCommand, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { RecipeAttention } from '../attention';
import type { BuildsTable } from './builds-table';

/**
 * The recipes that need attention, in the builds table: one item each under the partition
 * `attention` (sort key `recipe#<name>`), so that one Query lists them all.
 */
export const ATTENTION_ACTIONS = {
  listAttention: ['dynamodb:Query'],
  recordAttention: ['dynamodb:PutItem'],
  clearAttention: ['dynamodb:DeleteItem'],
} as const;

const PARTITION = 'attention';
const sortKey = (recipe: string) => `recipe#${recipe}`;

export async function listAttention(table: BuildsTable): Promise<RecipeAttention[]> {
  const items: RecipeAttention[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page: QueryCommandOutput = await table.doc.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': PARTITION },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      items.push({
        recipe: String(item.recipe),
        decision: item.decision === 'invalid' ? 'invalid' : 'skipped',
        reason: String(item.reason),
        digest: String(item.digest),
        since: String(item.since),
      });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/**
 * Records a recipe's attention unless another run recorded this reason first (the item's digest
 * is still the one this run read): true when this run should announce it.
 */
export async function recordAttention(
  table: BuildsTable,
  attention: RecipeAttention,
  previousDigest: string | undefined,
): Promise<boolean> {
  try {
    await table.doc.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { pk: PARTITION, sk: sortKey(attention.recipe), ...attention },
        ConditionExpression:
          previousDigest === undefined
            ? 'attribute_not_exists(pk)'
            : 'attribute_not_exists(pk) OR digest = :previous',
        ...(previousDigest === undefined
          ? {}
          : { ExpressionAttributeValues: { ':previous': previousDigest } }),
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}

export async function clearAttention(table: BuildsTable, recipe: string): Promise<void> {
  await table.doc.send(
    new DeleteCommand({ TableName: table.tableName, Key: { pk: PARTITION, sk: sortKey(recipe) } }),
  );
}
