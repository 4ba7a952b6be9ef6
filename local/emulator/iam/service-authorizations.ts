import type { AwsRequest } from '../aws-request';
import { s3Location } from '../aws-request';
import { functionNameOf } from '../gaps/lambda-gaps';
import { type Authorization, type Authorizations, type RequestScope, requestTagFacts } from './authorization';
import { ec2Authorizations } from './ec2-authorizations';

/**
 * What IAM authorizes for a request of any service the functions call. A request the emulator
 * has no mapping for is refused rather than let through: add its mapping here first.
 */
export async function authorizationsFor(request: AwsRequest, scope: RequestScope): Promise<Authorizations> {
  const { region, account, partition } = scope;
  const arn = (service: string, resource: string) =>
    `arn:${partition}:${service}:${region}:${account}:${resource}`;
  const op = request.operation;
  const one = (action: string, resource: string, resourceType?: string, facts = {}): Authorization[] => [
    { action, resource, ...(resourceType ? { resourceType } : {}), facts },
  ];
  switch (request.service) {
    case 'ec2':
      return request.form ? ec2Authorizations(op, request.form, scope) : { unmapped: `ec2:${op}` };
    case 's3':
      return s3Authorizations(request, partition);
    case 'dynamodb':
      return dynamodbAuthorizations(op, request.json ?? {}, (table) => arn('dynamodb', `table/${table}`));
    case 'ssm': {
      const json = request.json ?? {};
      const names = op === 'GetParameters' ? ((json.Names as string[]) ?? []) : [String(json.Name ?? '')];
      return names.map((name) => ({
        action: `ssm:${op}`,
        resource: parameterArn(name, partition, region, account),
        resourceType: 'parameter',
        facts: {},
      }));
    }
    case 'events':
      return eventsAuthorizations(op, request.json ?? {}, (rule) => arn('events', `rule/${rule}`));
    case 'sns': {
      const topic = request.form?.get('TopicArn') ?? request.form?.get('TargetArn') ?? '';
      return op === 'Publish' ? one('sns:Publish', topic, 'topic') : { unmapped: `sns:${op}` };
    }
    case 'lambda': {
      const name = functionNameOf(request) ?? '';
      return op === 'Invoke'
        ? one('lambda:InvokeFunction', arn('lambda', `function:${name}`), 'function')
        : { unmapped: `lambda:${op}` };
    }
    case 'sqs': {
      const url = String(request.json?.QueueUrl ?? request.form?.get('QueueUrl') ?? '');
      const [queueAccount, queue] = new URL(url, 'http://x').pathname.split('/').slice(1);
      const queueArn = `arn:${partition}:sqs:${region}:${queueAccount}:${queue}`;
      return one(`sqs:${op}`, queueArn, 'queue');
    }
    case 'autoscaling': {
      const group = request.form?.get('AutoScalingGroupName') ?? '';
      if (op !== 'StartInstanceRefresh') return { unmapped: `autoscaling:${op}` };
      // The group's ARN carries its id; a group that does not exist is named with none.
      const groupArn =
        (await scope.facts.autoScalingGroupArn(region, group)) ??
        arn(
          'autoscaling',
          `autoScalingGroup:00000000-0000-0000-0000-000000000000:autoScalingGroupName/${group}`,
        );
      return one('autoscaling:StartInstanceRefresh', groupArn, 'autoScalingGroup');
    }
    case 'sts':
      // GetCallerIdentity needs no permission; nothing else is called.
      return op === 'GetCallerIdentity' ? [] : { unmapped: `sts:${op}` };
    default:
      return { unmapped: `${request.service}:${op}` };
  }
}

/** `arn:aws:ssm:<region>:<account>:parameter/<name>`; AWS's public parameters have no account. */
function parameterArn(name: string, partition: string, region: string, account: string): string {
  const owner = name.startsWith('/aws/') ? '' : account;
  return `arn:${partition}:ssm:${region}:${owner}:parameter${name.startsWith('/') ? name : `/${name}`}`;
}

function s3Authorizations(request: AwsRequest, partition: string): Authorizations {
  const { bucket, key } = s3Location(request.url);
  const object = (action: string) => ({
    action,
    resource: `arn:${partition}:s3:::${bucket}/${key}`,
    resourceType: 'object',
    facts: {},
  });
  switch (request.operation) {
    case 'GetObject':
    case 'HeadObject':
      // Reading a given version is its own action.
      return [object(request.url.searchParams.has('versionId') ? 's3:GetObjectVersion' : 's3:GetObject')];
    case 'PutObject':
      return [object('s3:PutObject')];
    case 'DeleteObject':
      return [object('s3:DeleteObject')];
    case 'ListObjects':
    case 'ListObjectsV2': {
      const params = request.url.searchParams;
      const facts: Record<string, string> = {};
      for (const name of ['prefix', 'delimiter', 'max-keys']) {
        const value = params.get(name);
        if (value !== null) facts[`s3:${name}`] = value;
      }
      return [
        {
          action: 's3:ListBucket',
          resource: `arn:${partition}:s3:::${bucket}`,
          resourceType: 'bucket',
          facts,
        },
      ];
    }
    default:
      return { unmapped: `s3:${request.operation}` };
  }
}

function dynamodbAuthorizations(
  op: string,
  json: Record<string, unknown>,
  tableArn: (table: string) => string,
): Authorizations {
  const on = (action: string, table: string, index?: string): Authorization => ({
    action: `dynamodb:${action}`,
    resource: index ? `${tableArn(table)}/index/${index}` : tableArn(table),
    resourceType: index ? 'index' : 'table',
    facts: {},
  });
  switch (op) {
    case 'GetItem':
    case 'PutItem':
    case 'UpdateItem':
    case 'DeleteItem':
    case 'Scan':
    case 'Query':
      return [on(op, String(json.TableName), json.IndexName ? String(json.IndexName) : undefined)];
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return Object.keys((json.RequestItems as object) ?? {}).map((table) => on(op, table));
    case 'TransactWriteItems':
    case 'TransactGetItems':
      // Authorized item by item, as the action each item performs.
      return ((json.TransactItems as Record<string, { TableName: string }>[]) ?? []).flatMap((item) =>
        Object.entries(item).map(([kind, body]) => on(TRANSACT_ACTIONS[kind] ?? kind, body.TableName)),
      );
    default:
      return { unmapped: `dynamodb:${op}` };
  }
}

const TRANSACT_ACTIONS: Record<string, string> = {
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  ConditionCheck: 'ConditionCheckItem',
  Get: 'GetItem',
};

function eventsAuthorizations(
  op: string,
  json: Record<string, unknown>,
  ruleArn: (rule: string) => string,
): Authorizations {
  if (op === 'ListRules') return [{ action: 'events:ListRules', resource: '*', facts: {} }];
  const rule = String(json.Name ?? json.Rule ?? '');
  const facts: Record<string, string | string[]> = {};
  if (op === 'PutRule') {
    const pattern = json.EventPattern
      ? (JSON.parse(String(json.EventPattern)) as Record<string, unknown>)
      : {};
    if (pattern.source) facts['events:source'] = ([] as string[]).concat(pattern.source as string[]);
    if (pattern['detail-type'])
      facts['events:detail-type'] = ([] as string[]).concat(pattern['detail-type'] as string[]);
    const tags = ((json.Tags as { Key: string; Value: string }[]) ?? []).map((t): [string, string] => [
      t.Key,
      t.Value,
    ]);
    Object.assign(facts, requestTagFacts(tags));
  }
  if (op === 'PutTargets') {
    facts['events:TargetArn'] = ((json.Targets as { Arn: string }[]) ?? []).map((t) => t.Arn);
  }
  const known = ['PutRule', 'PutTargets', 'RemoveTargets', 'DeleteRule', 'DescribeRule', 'ListTargetsByRule'];
  if (!known.includes(op)) return { unmapped: `events:${op}` };
  return [
    { action: `events:${op}`, resource: ruleArn(rule), resourceType: 'rule-on-default-event-bus', facts },
  ];
}
