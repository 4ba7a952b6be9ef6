import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import type { Construct } from 'constructs';
import type { TableSchema } from '../deployment/tables';

/** An on-demand table, encrypted, with point-in-time recovery, from the schema the local run shares. */
export function declareTable(
  scope: Construct,
  id: string,
  props: { name: string; schema: TableSchema; retain: boolean },
): DynamodbTable {
  const { schema } = props;
  return new DynamodbTable(scope, id, {
    name: props.name,
    billingMode: 'PAY_PER_REQUEST',
    hashKey: schema.hashKey,
    ...(schema.rangeKey ? { rangeKey: schema.rangeKey } : {}),
    attribute: schema.attributes.map((a) => ({ name: a.name, type: a.type })),
    globalSecondaryIndex: schema.globalSecondaryIndexes.map((index) => ({
      name: index.name,
      hashKey: index.hashKey,
      rangeKey: index.rangeKey,
      projectionType: 'ALL',
    })),
    serverSideEncryption: { enabled: true },
    pointInTimeRecovery: { enabled: true },
    deletionProtectionEnabled: props.retain,
  });
}
