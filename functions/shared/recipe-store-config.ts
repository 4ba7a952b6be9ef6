import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RecipeStore } from './aws/recipe-store';
import { AmiBakeError } from './errors';

/** Builds the recipe store from the values the stack puts in the function's environment. */
export function recipeStoreFrom(
  settings: { kind: string; bucket?: string; key?: string; table?: string },
  clients: { s3: S3Client; doc: DynamoDBDocumentClient },
): RecipeStore {
  if (settings.kind === 's3' && settings.bucket && settings.key) {
    return { kind: 's3', s3: clients.s3, bucket: settings.bucket, key: settings.key };
  }
  if (settings.kind === 'dynamodb' && settings.table) {
    return { kind: 'dynamodb', doc: clients.doc, tableName: settings.table };
  }
  throw new AmiBakeError(
    `RECIPES_STORE must be "s3" (with RECIPES_BUCKET and RECIPES_KEY) or "dynamodb" (with RECIPES_TABLE), got "${settings.kind}": fix the function configuration`,
    { code: 'InvalidEnvironment' },
  );
}
