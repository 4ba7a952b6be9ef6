import { paginateQuery, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { BuildRecord } from '../build-record';
import type { BuildsTable } from './builds-table';

/** Reads of the builds table through its indexes: builds in flight, and a recipe's history. */
export const BUILD_QUERIES_ACTIONS = {
  inFlightBuilds: ['dynamodb:Query'],
  recipeHistory: ['dynamodb:Query'],
  succeededBuilds: ['dynamodb:Query'],
  testFailedBuilds: ['dynamodb:Query'],
} as const;

/** Every build in flight, through the sparse "in-flight" index (oldest first). */
export function inFlightBuilds(table: BuildsTable): Promise<BuildRecord[]> {
  return queryAll(table, {
    IndexName: 'in-flight',
    KeyConditionExpression: 'inFlight = :yes',
    ExpressionAttributeValues: { ':yes': 'yes' },
  });
}

/** A recipe's builds, newest first, through the "by-recipe" index. */
export async function recipeHistory(
  table: BuildsTable,
  recipeName: string,
  limit: number,
): Promise<BuildRecord[]> {
  const result = await table.doc.send(
    new QueryCommand({
      TableName: table.tableName,
      IndexName: 'by-recipe',
      KeyConditionExpression: 'recipeName = :recipe',
      ExpressionAttributeValues: { ':recipe': recipeName },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  return (result.Items ?? []).map((item) => {
    const { pk: _pk, sk: _sk, inFlight: _inFlight, ...record } = item;
    return record as BuildRecord;
  });
}

/** Every succeeded build of a recipe, through the "by-recipe" index. */
export function succeededBuilds(table: BuildsTable, recipeName: string): Promise<BuildRecord[]> {
  return queryAll(table, {
    IndexName: 'by-recipe',
    KeyConditionExpression: 'recipeName = :recipe',
    FilterExpression: '#status = :succeeded',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':recipe': recipeName, ':succeeded': 'succeeded' },
  });
}

/** A recipe's builds whose tests failed or timed out, with an examination deadline: their images are kept until then. */
export function testFailedBuilds(table: BuildsTable, recipeName: string): Promise<BuildRecord[]> {
  return queryAll(table, {
    IndexName: 'by-recipe',
    KeyConditionExpression: 'recipeName = :recipe',
    FilterExpression: '#status IN (:failed, :timedOut) AND attribute_exists(#test.#until)',
    ExpressionAttributeNames: { '#status': 'status', '#test': 'test', '#until': 'examineUntil' },
    ExpressionAttributeValues: { ':recipe': recipeName, ':failed': 'failed', ':timedOut': 'timed_out' },
  });
}

/** The records of every page of a query on one of the table's indexes. */
async function queryAll(
  table: BuildsTable,
  query: Omit<QueryCommandInput, 'TableName'>,
): Promise<BuildRecord[]> {
  const builds: BuildRecord[] = [];
  for await (const page of paginateQuery({ client: table.doc }, { TableName: table.tableName, ...query })) {
    for (const item of page.Items ?? []) {
      const { pk: _pk, sk: _sk, inFlight: _inFlight, ...record } = item;
      builds.push(record as BuildRecord);
    }
  }
  return builds;
}
