/** The DynamoDB tables, as plain data: the stack declares them and the local run creates them. */
export interface TableSchema {
  hashKey: string;
  rangeKey?: string;
  attributes: { name: string; type: 'S' | 'N' }[];
  globalSecondaryIndexes: { name: string; hashKey: string; rangeKey: string }[];
}

export const BUILDS_TABLE_SCHEMA: TableSchema = {
  hashKey: 'pk',
  rangeKey: 'sk',
  attributes: [
    { name: 'pk', type: 'S' },
    { name: 'sk', type: 'S' },
    { name: 'inFlight', type: 'S' },
    { name: 'recipeName', type: 'S' },
    { name: 'createdAt', type: 'S' },
  ],
  globalSecondaryIndexes: [
    { name: 'in-flight', hashKey: 'inFlight', rangeKey: 'createdAt' },
    { name: 'by-recipe', hashKey: 'recipeName', rangeKey: 'createdAt' },
  ],
};

export const RECIPES_TABLE_SCHEMA: TableSchema = {
  hashKey: 'name',
  attributes: [{ name: 'name', type: 'S' }],
  globalSecondaryIndexes: [],
};
