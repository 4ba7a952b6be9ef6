import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { BuildRecord, BuildStatus, FinalStatus, StartOutcome } from '../build-record';
import { IN_FLIGHT_STATUSES } from '../build-record';

/**
 * Build records in one DynamoDB table (partition key `pk`, sort key `sk`):
 * - `build#<id>` / `build`: the build record; `inFlight` (sparse, GSI "in-flight") while running,
 *   `recipeName` + `createdAt` (GSI "by-recipe") for history;
 * - `lock#<recipe>#<base image>#<hash>` / `lock`: the latest build of that triple, which makes
 *   "is it due?" one lookup and two concurrent trigger runs start one build;
 * - `counter#in-flight` / `counter`: how many builds are in flight, bounded by a condition.
 */
export const BUILDS_TABLE_ACTIONS = {
  latestStatuses: ['dynamodb:BatchGetItem'],
  recordBuildStart: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
  getBuild: ['dynamodb:GetItem'],
  inFlightCount: ['dynamodb:GetItem'],
  updateBuild: ['dynamodb:UpdateItem'],
  finishBuild: ['dynamodb:UpdateItem'],
} as const;

export interface BuildsTable {
  doc: DynamoDBDocumentClient;
  tableName: string;
}

const buildKey = (buildId: string) => ({ pk: `build#${buildId}`, sk: 'build' });
const lockKey = (recipe: string, baseImageId: string, hash: string) => ({
  pk: `lock#${recipe}#${baseImageId}#${hash}`,
  sk: 'lock',
});
const COUNTER_KEY = { pk: 'counter#in-flight', sk: 'counter' };

export interface LockQuery {
  recipeName: string;
  baseImageId: string;
  recipeHash: string;
}

/** The status of the latest build of each (recipe, base, hash); absent when never built. */
export async function latestStatuses(
  table: BuildsTable,
  queries: readonly LockQuery[],
): Promise<Map<string, BuildStatus>> {
  const statuses = new Map<string, BuildStatus>();
  const unique = [
    ...new Map(queries.map((q) => [lockKey(q.recipeName, q.baseImageId, q.recipeHash).pk, q])).values(),
  ];
  for (let i = 0; i < unique.length; i += 100) {
    let keys: Record<string, unknown>[] | undefined = unique
      .slice(i, i + 100)
      .map((q) => lockKey(q.recipeName, q.baseImageId, q.recipeHash));
    for (let attempt = 0; keys && keys.length > 0 && attempt < 5; attempt++) {
      const result: BatchGetCommandOutput = await table.doc.send(
        new BatchGetCommand({ RequestItems: { [table.tableName]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of result.Responses?.[table.tableName] ?? []) {
        statuses.set(item.pk as string, item.status as BuildStatus);
      }
      keys = result.UnprocessedKeys?.[table.tableName]?.Keys;
    }
  }
  return statuses;
}

export function lockId(q: LockQuery): string {
  return lockKey(q.recipeName, q.baseImageId, q.recipeHash).pk;
}

/**
 * Records a new pending build in one transaction: the build, its lock (only when no build of
 * the triple succeeded or is in flight; with `force`, only when none is in flight) and the
 * in-flight counter (only below the limit).
 */
export async function recordBuildStart(
  table: BuildsTable,
  build: BuildRecord,
  maxInFlight: number,
  options: { force?: boolean } = {},
): Promise<StartOutcome> {
  const lockCondition = options.force
    ? {
        ConditionExpression: 'attribute_not_exists(pk) OR NOT (#status IN (:pending, :building, :imaging))',
        ExpressionAttributeValues: { ':pending': 'pending', ':building': 'building', ':imaging': 'imaging' },
      }
    : {
        ConditionExpression: 'attribute_not_exists(pk) OR #status IN (:failed, :timedOut)',
        ExpressionAttributeValues: { ':failed': 'failed', ':timedOut': 'timed_out' },
      };
  try {
    await table.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: table.tableName,
              Item: { ...buildKey(build.buildId), ...build, inFlight: 'yes' },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Put: {
              TableName: table.tableName,
              Item: {
                ...lockKey(build.recipeName, build.baseImageId, build.recipeHash),
                buildId: build.buildId,
                status: build.status,
              },
              ...lockCondition,
              ExpressionAttributeNames: { '#status': 'status' },
            },
          },
          {
            Update: {
              TableName: table.tableName,
              Key: COUNTER_KEY,
              UpdateExpression: 'ADD inFlight :one',
              ConditionExpression: 'attribute_not_exists(inFlight) OR inFlight < :max',
              ExpressionAttributeValues: { ':one': 1, ':max': maxInFlight },
            },
          },
        ],
      }),
    );
    return 'started';
  } catch (error) {
    const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
    if ((error as Error).name !== 'TransactionCanceledException' || !reasons) throw error;
    if (reasons[1]?.Code === 'ConditionalCheckFailed') return 'already-started';
    if (reasons[2]?.Code === 'ConditionalCheckFailed') return 'limit-reached';
    throw error;
  }
}

export async function getBuild(table: BuildsTable, buildId: string): Promise<BuildRecord | undefined> {
  const result = await table.doc.send(
    new GetCommand({ TableName: table.tableName, Key: buildKey(buildId), ConsistentRead: true }),
  );
  if (!result.Item) return undefined;
  const { pk: _pk, sk: _sk, inFlight: _inFlight, ...record } = result.Item;
  return record as BuildRecord;
}

type Changes = Partial<
  Omit<BuildRecord, 'buildId' | 'recipe' | 'recipeName' | 'recipeHash' | 'baseImageId' | 'createdAt'>
>;

function updateParts(changes: Changes, now: string) {
  const entries = Object.entries({ ...changes, updatedAt: now }).filter(([, v]) => v !== undefined);
  return {
    UpdateExpression: `SET ${entries.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
    names: Object.fromEntries(entries.map(([k], i) => [`#f${i}`, k])),
    values: Object.fromEntries(entries.map(([, v], i) => [`:v${i}`, v])),
  };
}

/** Updates an in-flight build only while it has the expected status; false when it has moved on. */
export async function updateBuild(
  table: BuildsTable,
  buildId: string,
  expected: BuildStatus,
  changes: Changes,
  now: Date,
): Promise<boolean> {
  const parts = updateParts(changes, now.toISOString());
  try {
    await table.doc.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: buildKey(buildId),
        UpdateExpression: parts.UpdateExpression,
        ConditionExpression: '#expectedStatus = :expectedStatus',
        ExpressionAttributeNames: { ...parts.names, '#expectedStatus': 'status' },
        ExpressionAttributeValues: { ...parts.values, ':expectedStatus': expected },
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}

/**
 * Ends an in-flight build in one transaction: final status on the build and its lock, and one
 * slot back to the in-flight counter. False when the build was already final.
 */
export async function finishBuild(
  table: BuildsTable,
  build: BuildRecord,
  status: FinalStatus,
  changes: Changes,
  now: Date,
): Promise<boolean> {
  const stamp = now.toISOString();
  const parts = updateParts({ ...changes, status, finishedAt: stamp }, stamp);
  try {
    await table.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: table.tableName,
              Key: buildKey(build.buildId),
              UpdateExpression: `${parts.UpdateExpression} REMOVE inFlight`,
              ConditionExpression: `#current IN (${IN_FLIGHT_STATUSES.map((_, i) => `:s${i}`).join(', ')})`,
              ExpressionAttributeNames: { ...parts.names, '#current': 'status' },
              ExpressionAttributeValues: {
                ...parts.values,
                ...Object.fromEntries(IN_FLIGHT_STATUSES.map((s, i) => [`:s${i}`, s])),
              },
            },
          },
          {
            Update: {
              TableName: table.tableName,
              Key: lockKey(build.recipeName, build.baseImageId, build.recipeHash),
              UpdateExpression: 'SET #status = :status',
              ConditionExpression: 'buildId = :buildId',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':status': status, ':buildId': build.buildId },
            },
          },
          {
            Update: {
              TableName: table.tableName,
              Key: COUNTER_KEY,
              UpdateExpression: 'ADD inFlight :minusOne',
              ConditionExpression: 'inFlight > :zero',
              ExpressionAttributeValues: { ':minusOne': -1, ':zero': 0 },
            },
          },
        ],
      }),
    );
    return true;
  } catch (error) {
    const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
    if (
      (error as Error).name === 'TransactionCanceledException' &&
      reasons?.[0]?.Code === 'ConditionalCheckFailed'
    ) {
      return false;
    }
    throw error;
  }
}
