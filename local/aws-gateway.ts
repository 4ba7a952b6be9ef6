import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import { type Answer, errorAnswer, FaultInjector, type Protocol } from './fault-injector';
import { createTagsForm, takeTagSpecifications } from './tag-specifications';
import { topLevelItems, xmlValue } from './xml-items';

/**
 * A loopback endpoint in front of moto that plays the parts moto does not
 * (see ../shared/notes/moto.md), so that amibake's code runs unchanged against it:
 * - Lambda asynchronous invokes are handed to the local Lambda runtime;
 * - RunInstances honours ClientToken (moto launches a new instance every time);
 * - CreateImage accepts snapshot TagSpecifications (moto answers 500), and CopyImage its
 *   TagSpecifications and ClientToken (moto ignores them): the tags are applied after;
 *   and, as in AWS, refuses a name the account already uses (InvalidAMIName.Duplicate);
 * - EnableImageDeprecation, which moto lacks, is refused as AWS refuses an unknown action;
 * - a "vendor" can publish images that DescribeImages shows as the vendor's (moto shows an
 *   account only its own images and the default catalog).
 * Everything else goes to moto untouched.
 */
export interface GatewayHooks {
  asyncInvoke(functionName: string, payload: string): void;
}

export const VENDOR_ACCOUNT = '591542846629';

export class AwsGateway {
  readonly vendorImages = new Set<string>();
  /** Calls received per API action ("ec2:DescribeImages", "s3:PUT", ...): the AWS calls a run made. */
  readonly calls = new Map<string, number>();
  /** Sees every call the functions make, and fails the one it is armed for. */
  readonly faults = new FaultInjector();
  private readonly clientTokens = new Map<string, Answer>();
  /** CreateImage requests run one at a time, so that the name check and the creation are atomic. */
  private imageQueue: Promise<unknown> = Promise.resolve();
  private server: Server | undefined;
  url = '';

  constructor(
    private readonly motoUrl: string,
    private readonly hooks: GatewayHooks,
  ) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.handle(req.method ?? 'GET', req.url ?? '/', req.headers, Buffer.concat(chunks))
          .then((answer) => {
            const headers = { ...answer.headers };
            delete headers['content-length'];
            delete headers['transfer-encoding'];
            res.writeHead(answer.status, { ...headers, 'content-length': String(answer.body.length) });
            res.end(answer.body);
          })
          .catch((error: Error) => {
            res.writeHead(502, { 'content-type': 'text/plain' });
            res.end(`gateway error: ${error.message}`);
          });
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    body: Buffer,
  ): Promise<Answer> {
    const form = isQuery(method, headers) ? new URLSearchParams(body.toString('utf-8')) : undefined;
    const protocol = protocolOf(path, headers, form);
    const verdict = this.faults.onCall(actionOf(method, path, headers, form), protocol);
    if (verdict.kind === 'answer') return verdict.answer;
    const answer = await this.route(method, path, headers, body, form);
    return verdict.kind === 'crash-after' ? this.faults.crashAnswer(protocol) : answer;
  }

  private async route(
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    body: Buffer,
    form: URLSearchParams | undefined,
  ): Promise<Answer> {
    const invoke = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(path);
    if (invoke?.[1] && method === 'POST' && headers['x-amz-invocation-type'] === 'Event') {
      this.bump('lambda:Invoke');
      this.hooks.asyncInvoke(decodeURIComponent(invoke[1]), body.toString('utf-8'));
      return { status: 202, headers: { 'x-amz-request-id': `local-${Date.now()}` }, body: Buffer.alloc(0) };
    }
    this.bump(actionOf(method, path, headers, form));
    switch (form?.get('Action')) {
      case 'RunInstances':
        return this.runInstances(path, headers, form as URLSearchParams);
      case 'CreateImage': {
        const next = this.imageQueue.then(() => this.createImage(path, headers, form as URLSearchParams));
        this.imageQueue = next.catch(() => undefined);
        return next;
      }
      case 'EnableImageDeprecation':
        // moto has no image deprecation (it answers an HTML 500): answer as an endpoint without the action.
        return errorAnswer('query', 400, 'InvalidAction');
      case 'CopyImage':
        return this.copyImage(path, headers, form as URLSearchParams);
      case 'DescribeImages':
        return this.describeImages(path, headers, form as URLSearchParams);
      default:
        return this.forward(method, path, headers, body);
    }
  }

  totalCalls(): number {
    return [...this.calls.values()].reduce((a, b) => a + b, 0);
  }

  private bump(action: string): void {
    this.calls.set(action, (this.calls.get(action) ?? 0) + 1);
  }

  private async runInstances(
    path: string,
    headers: IncomingHttpHeaders,
    form: URLSearchParams,
  ): Promise<Answer> {
    const token = form.get('ClientToken');
    const cached = token ? this.clientTokens.get(token) : undefined;
    if (cached) return cached;
    const answer = await this.forwardForm(path, headers, form);
    if (token && answer.status === 200) this.clientTokens.set(token, answer);
    return answer;
  }

  private async createImage(
    path: string,
    headers: IncomingHttpHeaders,
    form: URLSearchParams,
  ): Promise<Answer> {
    const name = form.get('Name') ?? '';
    const sameName = await this.forwardForm(
      path,
      headers,
      new URLSearchParams({
        Action: 'DescribeImages',
        Version: form.get('Version') ?? '2016-11-15',
        'Owner.1': 'self',
        'Filter.1.Name': 'name',
        'Filter.1.Value.1': name,
      }),
    );
    if (xmlValue(sameName.body.toString('utf-8'), 'imageId')) {
      return errorAnswer('query', 400, 'InvalidAMIName.Duplicate');
    }
    const { kept, tags } = takeTagSpecifications(form, new Set(['snapshot']));
    const answer = await this.forwardForm(path, headers, kept);
    await this.applyImageTags(path, headers, form, answer, tags);
    return answer;
  }

  /** CopyImage with what moto ignores: its ClientToken, and tags on the copy and its snapshots. */
  private async copyImage(
    path: string,
    headers: IncomingHttpHeaders,
    form: URLSearchParams,
  ): Promise<Answer> {
    const token = form.get('ClientToken');
    const { region } = credentialScope(headers);
    const key = token ? `CopyImage:${region}:${token}` : undefined;
    const cached = key ? this.clientTokens.get(key) : undefined;
    if (cached) return cached;
    const { kept, tags } = takeTagSpecifications(form, new Set(['image', 'snapshot']));
    const answer = await this.forwardForm(path, headers, kept);
    await this.applyImageTags(path, headers, form, answer, tags);
    if (key && answer.status === 200) this.clientTokens.set(key, answer);
    return answer;
  }

  private async applyImageTags(
    path: string,
    headers: IncomingHttpHeaders,
    form: URLSearchParams,
    answer: Answer,
    tags: Map<string, [string, string][]>,
  ): Promise<void> {
    const imageId = xmlValue(answer.body.toString('utf-8'), 'imageId');
    if (answer.status !== 200 || !imageId || tags.size === 0) return;
    const version = form.get('Version') ?? '2016-11-15';
    const imageTags = tags.get('image');
    if (imageTags) await this.forwardForm(path, headers, createTagsForm(version, [imageId], imageTags));
    const snapshotTags = tags.get('snapshot');
    if (!snapshotTags) return;
    const described = await this.forwardForm(
      path,
      headers,
      new URLSearchParams({ Action: 'DescribeImages', Version: version, 'ImageId.1': imageId }),
    );
    const snapshots = [
      ...described.body.toString('utf-8').matchAll(/<snapshotId>([^<]+)<\/snapshotId>/g),
    ].map((m) => m[1] as string);
    if (snapshots.length > 0)
      await this.forwardForm(path, headers, createTagsForm(version, snapshots, snapshotTags));
  }

  /** Adds the vendor's published images to answers that ask for the vendor's ("amazon") images. */
  private async describeImages(
    path: string,
    headers: IncomingHttpHeaders,
    form: URLSearchParams,
  ): Promise<Answer> {
    const answer = await this.forwardForm(path, headers, form);
    const owners = [...form].filter(([k]) => /^Owner\.\d+$/.test(k)).map(([, v]) => v);
    if (
      this.vendorImages.size === 0 ||
      !(owners.includes('amazon') || owners.includes(VENDOR_ACCOUNT)) ||
      answer.status !== 200
    ) {
      return answer;
    }
    const own = new URLSearchParams();
    for (const [key, value] of form) if (!/^Owner\.\d+$/.test(key)) own.append(key, value);
    own.append('Owner.1', 'self');
    const published = await this.forwardForm(path, headers, own);
    const extra = topLevelItems(published.body.toString('utf-8'), 'imagesSet')
      ?.items.filter((item) => this.vendorImages.has(xmlValue(item, 'imageId') ?? ''))
      .map((item) =>
        item.replace(
          /<imageOwnerId>[^<]*<\/imageOwnerId>/,
          `<imageOwnerId>${VENDOR_ACCOUNT}</imageOwnerId><imageOwnerAlias>amazon</imageOwnerAlias>`,
        ),
      );
    const xml = answer.body.toString('utf-8');
    const set = topLevelItems(xml, 'imagesSet');
    if (!extra?.length || !set) return answer;
    return { ...answer, body: Buffer.from(xml.slice(0, set.end) + extra.join('') + xml.slice(set.end)) };
  }

  private forwardForm(path: string, headers: IncomingHttpHeaders, form: URLSearchParams): Promise<Answer> {
    return this.forward('POST', path, headers, Buffer.from(form.toString()));
  }

  private forward(method: string, path: string, headers: IncomingHttpHeaders, body: Buffer): Promise<Answer> {
    const target = new URL(path, this.motoUrl);
    return new Promise((resolve, reject) => {
      const outgoing = request(
        target,
        { method, headers: { ...headers, host: target.host, 'content-length': String(body.length) } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (c: Buffer) => chunks.push(c));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 500,
              headers: response.headers,
              body: Buffer.concat(chunks),
            }),
          );
          response.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }
}

function isQuery(method: string, headers: IncomingHttpHeaders): boolean {
  return method === 'POST' && String(headers['content-type'] ?? '').includes('x-www-form-urlencoded');
}

function protocolOf(path: string, headers: IncomingHttpHeaders, form: URLSearchParams | undefined): Protocol {
  if (form?.get('Action')) return 'query';
  if (typeof headers['x-amz-target'] === 'string') return 'json';
  if (path.startsWith('/2015-03-31/functions/')) return 'lambda';
  return 's3';
}

/** "ec2:RunInstances", "dynamodb:GetItem", "s3:PUT", "lambda:Invoke": the service from the signature. */
function actionOf(
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  form: URLSearchParams | undefined,
): string {
  const target = headers['x-amz-target'];
  const scope = credentialScope(headers).service;
  if (form?.get('Action')) return `${scope}:${form.get('Action')}`;
  if (typeof target === 'string') return `${scope}:${target.split('.').pop()}`;
  if (path.startsWith('/2015-03-31/functions/')) return 'lambda:Invoke';
  return `${scope}:${method}`;
}

/** The region and service a request was signed for (Credential=<key>/<date>/<region>/<service>/...). */
function credentialScope(headers: IncomingHttpHeaders): { region: string; service: string } {
  const scope = /Credential=[^/]+\/[^/]+\/([^/]+)\/([^/]+)\//.exec(String(headers.authorization ?? ''));
  return { region: scope?.[1] ?? '', service: scope?.[2] ?? 'unknown' };
}
