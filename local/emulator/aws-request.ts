import type { IncomingHttpHeaders } from 'node:http';

/** How a service encodes requests and errors on the wire. */
export type Protocol = 'query' | 'json' | 'rest-json' | 's3';

/** One AWS API request as the gateway received it, with what every layer needs to know about it. */
export interface AwsRequest {
  method: string;
  /** Path and query, as received. */
  path: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: Buffer;
  protocol: Protocol;
  /** The signing name (`ec2`, `s3`, `dynamodb`, `lambda`, `events`, ...). */
  service: string;
  region: string;
  /** The access key that signed the request (header or pre-signed query); undefined when unsigned. */
  accessKeyId: string | undefined;
  /** Signed in the query string (a pre-signed URL) rather than in the Authorization header. */
  presigned: boolean;
  /** The API operation: `RunInstances`, `GetObject`, `Invoke`, `PutBucketPolicy`, ... */
  operation: string;
  /** The form of a query-protocol request. */
  form: URLSearchParams | undefined;
  /** The body of a JSON or REST-JSON (Lambda) request. */
  json: Record<string, unknown> | undefined;
}

/** `<service>:<operation>` as the fault injector and the logs name a call. */
export const callName = (request: Pick<AwsRequest, 'service' | 'operation'>) =>
  `${request.service}:${request.operation}`;

export function parseRequest(
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
): AwsRequest {
  const url = new URL(path, 'http://emulator');
  const scope = credentialScope(headers, url);
  const form = isForm(method, headers) ? new URLSearchParams(body.toString('utf-8')) : undefined;
  const target = typeof headers['x-amz-target'] === 'string' ? headers['x-amz-target'] : undefined;
  const base = { method, path, url, headers, body, ...scope, form, json: undefined };
  if (form?.get('Action')) {
    return { ...base, protocol: 'query', operation: form.get('Action') as string };
  }
  if (target) {
    return {
      ...base,
      protocol: 'json',
      operation: target.split('.').pop() ?? target,
      json: parseJson(body),
    };
  }
  if (scope.service === 'lambda' || url.pathname.startsWith('/20')) {
    return {
      ...base,
      protocol: 'rest-json',
      operation: lambdaOperation(method, url.pathname),
      json: parseJson(body),
    };
  }
  return { ...base, protocol: 's3', operation: s3Operation(method, url, headers) };
}

/** The region, service and key a request was signed with (`Credential=<key>/<date>/<region>/<service>/aws4_request`). */
function credentialScope(
  headers: IncomingHttpHeaders,
  url: URL,
): { region: string; service: string; accessKeyId: string | undefined; presigned: boolean } {
  const query = url.searchParams.get('X-Amz-Credential');
  const header = /Credential=([^,\s]+)/.exec(String(headers.authorization ?? ''))?.[1];
  const credential = query ?? header;
  const [accessKeyId, , region, service] = (credential ?? '').split('/');
  return {
    accessKeyId: credential ? accessKeyId : undefined,
    region: region ?? '',
    service: service ?? 'unknown',
    presigned: query !== null,
  };
}

function isForm(method: string, headers: IncomingHttpHeaders): boolean {
  return method === 'POST' && String(headers['content-type'] ?? '').includes('x-www-form-urlencoded');
}

function parseJson(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  try {
    const value = JSON.parse(body.toString('utf-8')) as unknown;
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The Lambda REST operations the functions and the stack (Terraform's provider) use. */
function lambdaOperation(method: string, pathname: string): string {
  const verb = (get: string, others: Record<string, string>) =>
    method === 'GET' ? get : (others[method] ?? `${method} ${pathname}`);
  const fn = '/functions/[^/]+';
  const routes: [RegExp, () => string][] = [
    [new RegExp(`^/2015-03-31${fn}/invocations$`), () => 'Invoke'],
    [
      new RegExp(`^/2015-03-31${fn}/policy`),
      () => verb('GetPolicy', { POST: 'AddPermission', DELETE: 'RemovePermission' }),
    ],
    [
      new RegExp(`^/2015-03-31${fn}/configuration$`),
      () => verb('GetFunctionConfiguration', { PUT: 'UpdateFunctionConfiguration' }),
    ],
    [new RegExp(`^/2015-03-31${fn}/code$`), () => 'UpdateFunctionCode'],
    [
      new RegExp(`^/2015-03-31${fn}/versions$`),
      () => verb('ListVersionsByFunction', { POST: 'PublishVersion' }),
    ],
    [new RegExp(`^/2015-03-31${fn}/aliases$`), () => verb('ListAliases', { POST: 'CreateAlias' })],
    [
      new RegExp(`^/2015-03-31${fn}/aliases/[^/]+$`),
      () => verb('GetAlias', { PUT: 'UpdateAlias', DELETE: 'DeleteAlias' }),
    ],
    [
      new RegExp(`^/2019-09-25${fn}/event-invoke-config$`),
      () =>
        verb('GetFunctionEventInvokeConfig', {
          PUT: 'PutFunctionEventInvokeConfig',
          POST: 'UpdateFunctionEventInvokeConfig',
          DELETE: 'DeleteFunctionEventInvokeConfig',
        }),
    ],
    [new RegExp(`^/2020-06-30${fn}/code-signing-config$`), () => verb('GetFunctionCodeSigningConfig', {})],
    [
      /^\/20\d\d-\d\d-\d\d\/functions\/[^/]+\/concurrency$/,
      () =>
        verb('GetFunctionConcurrency', {
          PUT: 'PutFunctionConcurrency',
          DELETE: 'DeleteFunctionConcurrency',
        }),
    ],
    [
      new RegExp(`^/2021-10-31${fn}/url$`),
      () =>
        verb('GetFunctionUrlConfig', {
          POST: 'CreateFunctionUrlConfig',
          PUT: 'UpdateFunctionUrlConfig',
          DELETE: 'DeleteFunctionUrlConfig',
        }),
    ],
    [/^\/2017-03-31\/tags\//, () => verb('ListTags', { POST: 'TagResource', DELETE: 'UntagResource' })],
    [/^\/2015-03-31\/functions\/?$/, () => verb('ListFunctions', { POST: 'CreateFunction' })],
    [new RegExp(`^/2015-03-31${fn}$`), () => verb('GetFunction', { DELETE: 'DeleteFunction' })],
  ];
  return routes.find(([path]) => path.test(pathname))?.[1]() ?? `${method} ${pathname}`;
}

/** S3 operations by method, path and sub-resource (path-style: /<bucket>/<key>). */
function s3Operation(method: string, url: URL, headers: IncomingHttpHeaders): string {
  const { bucket, key } = s3Location(url);
  const has = (name: string) => url.searchParams.has(name);
  if (key) {
    if (method === 'GET') return 'GetObject';
    if (method === 'HEAD') return 'HeadObject';
    if (method === 'PUT') return headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject';
    if (method === 'DELETE') return 'DeleteObject';
    return `${method}Object`;
  }
  if (!bucket) return method === 'GET' ? 'ListBuckets' : `${method}Service`;
  const verb = method === 'GET' ? 'Get' : method === 'DELETE' ? 'Delete' : 'Put';
  for (const sub of ['policy', 'lifecycle', 'versioning', 'encryption', 'tagging', 'ownershipControls']) {
    if (has(sub)) return `${verb}Bucket${sub[0]?.toUpperCase()}${sub.slice(1)}`;
  }
  // The sub-resources the provider reads with every aws_s3_bucket, named as the S3 API names them.
  const named: Record<string, string> = {
    acl: 'BucketAcl',
    cors: 'BucketCors',
    website: 'BucketWebsite',
    accelerate: 'BucketAccelerateConfiguration',
    requestPayment: 'BucketRequestPayment',
    logging: 'BucketLogging',
    replication: 'BucketReplication',
    'object-lock': 'ObjectLockConfiguration',
    notification: 'BucketNotificationConfiguration',
    publicAccessBlock: 'PublicAccessBlock',
  };
  for (const [sub, name] of Object.entries(named)) if (has(sub)) return `${verb}${name}`;
  if (method === 'GET' && has('location')) return 'GetBucketLocation';
  if (method === 'POST' && has('delete')) return 'DeleteObjects';
  if (method === 'GET' && has('versions')) return 'ListObjectVersions';
  if (method === 'GET') return url.searchParams.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
  if (method === 'HEAD') return 'HeadBucket';
  if (method === 'PUT') return 'CreateBucket';
  if (method === 'DELETE') return 'DeleteBucket';
  return `${method}Bucket`;
}

/** The bucket and key of a path-style S3 URL. */
export function s3Location(url: URL): { bucket: string; key: string } {
  const [, bucket = '', ...rest] = url.pathname.split('/');
  return { bucket: decodeURIComponent(bucket), key: rest.map(decodeURIComponent).join('/') };
}
