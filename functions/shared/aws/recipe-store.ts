import type { S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { InvalidInputError } from '../errors';
import { getText } from './objects';

/**
 * The recipes document (the "hash" of recipes) lives in one of two stores: an S3 object
 * `{"version": 2, "recipes": {"<name>": {...}}}`, or one DynamoDB item per recipe. Recipes are
 * keyed by name so that a Terraform plan shows an edit as that recipe's changed fields alone
 * (a plan shows every element of a changed list in full); either store yields them in name order.
 * Version 1 (`"recipes": [...]`, in document order) is still read.
 */
export const RECIPE_STORE_ACTIONS = {
  s3: ['s3:GetObject'],
  dynamodb: ['dynamodb:Scan'],
} as const;

export type RecipeStore =
  | { kind: 's3'; s3: S3Client; bucket: string; key: string }
  | { kind: 'dynamodb'; doc: DynamoDBDocumentClient; tableName: string };

export const RECIPES_DOCUMENT_VERSION = 2;

/** The document the stack stores for recipes as their entries (each with its `name`), keys sorted. */
export function recipesDocument(entries: readonly Record<string, unknown>[]): {
  version: number;
  recipes: Record<string, unknown>;
} {
  const recipes: Record<string, unknown> = {};
  for (const { name, ...recipe } of [...entries].sort(byName)) recipes[String(name)] = recipe;
  return { version: RECIPES_DOCUMENT_VERSION, recipes };
}

function byName(a: unknown, b: unknown): number {
  return String((a as { name?: unknown }).name).localeCompare(String((b as { name?: unknown }).name));
}

/** The raw recipe entries, unvalidated: each is checked on its own so one bad recipe stops nothing else. */
export async function loadRecipeEntries(store: RecipeStore): Promise<unknown[]> {
  if (store.kind === 'dynamodb') {
    const items: unknown[] = [];
    for await (const page of paginateScan(
      { client: store.doc },
      { TableName: store.tableName, ConsistentRead: true },
    )) {
      items.push(...(page.Items ?? []));
    }
    return items.sort(byName);
  }
  const text = await getText(store.s3, { bucket: store.bucket, key: store.key });
  const where = `s3://${store.bucket}/${store.key}`;
  if (text === undefined) {
    throw new InvalidInputError([
      `recipes document ${where} does not exist: deploy the stack or upload the document`,
    ]);
  }
  return parseRecipesDocument(text, where);
}

export function parseRecipesDocument(text: string, where: string): unknown[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError([
      `recipes document ${where} is not valid JSON (${(error as Error).message}), got ${JSON.stringify(text.slice(0, 40))}: fix the JSON`,
    ]);
  }
  const { version, recipes } = (document ?? {}) as { version?: unknown; recipes?: unknown };
  if (version === 1 && Array.isArray(recipes)) return recipes;
  if (version === RECIPES_DOCUMENT_VERSION && isObject(recipes)) {
    // The key names the recipe; a value is whatever it holds (each is checked on its own).
    return Object.entries(recipes)
      .map(([name, recipe]) => (isObject(recipe) ? { ...recipe, name } : recipe))
      .sort(byName);
  }
  throw new InvalidInputError([
    `recipes document ${where} must be {"version": ${RECIPES_DOCUMENT_VERSION}, "recipes": {"<name>": {...}}}, got ${JSON.stringify(document)?.slice(0, 80)}: regenerate it with the stack`,
  ]);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
