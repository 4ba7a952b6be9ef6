import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import { type Answer, errorAnswer } from './answers';
import { type AwsRequest, parseRequest } from './aws-request';
import type { Caller } from './callers';

/** One request in flight through the gateway, and who sent it (undefined: unsigned or unknown key). */
interface Call {
  request: AwsRequest;
  caller: Caller | undefined;
}

type Next = () => Promise<Answer>;

/**
 * One rule of the emulator layer: answers the call itself, or passes it on with `next()` (and may
 * change what comes back). Layers run in order; after the last one the call reaches moto.
 */
export type Layer = (call: Call, next: Next) => Promise<Answer>;

/**
 * A loopback endpoint in front of moto: every AWS call of Terraform, the functions, the build
 * instances and the tests goes through its layers, which hold the emulator to what AWS documents
 * where moto is more lenient, and play what moto does not do.
 */
export class Gateway {
  private server: Server | undefined;
  url = '';
  /** Told of every error of the layers themselves (the call is answered 500). */
  onError: ((problem: string) => void) | undefined;

  constructor(
    private readonly motoUrl: string,
    private readonly layers: readonly Layer[],
    private readonly identify: (accessKeyId: string | undefined) => Caller | undefined,
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
            delete headers.connection;
            res.writeHead(answer.status, { ...headers, 'content-length': String(answer.body.length) });
            res.end(answer.body);
          })
          .catch((error: Error) => {
            this.onError?.(`${req.method} ${req.url}: ${error.message}`);
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(`emulator gateway error: ${error.stack ?? error.message}`);
          });
      });
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private handle(method: string, path: string, headers: IncomingHttpHeaders, body: Buffer): Promise<Answer> {
    const parsed = parseRequest(method, path, headers, body);
    const call: Call = { request: parsed, caller: this.identify(parsed.accessKeyId) };
    const run = (index: number): Promise<Answer> => {
      const layer = this.layers[index];
      if (!layer) return this.toMoto(call.request);
      return layer(call, () => run(index + 1));
    };
    return run(0);
  }

  /** Sends a request to moto as it is. */
  toMoto(r: Pick<AwsRequest, 'method' | 'path' | 'headers' | 'body'>): Promise<Answer> {
    return forward(this.motoUrl, r.method, r.path, r.headers, r.body);
  }
}

function forward(
  base: string,
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
): Promise<Answer> {
  const target = new URL(path, base);
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

/** Refuses calls signed with a key the emulator never issued, as AWS refuses an unknown key. */
export const knownCallersOnly: Layer = (call, next) => {
  if (call.caller || call.request.accessKeyId === undefined) return next();
  const s3 = call.request.protocol === 's3';
  return Promise.resolve(
    errorAnswer(
      call.request,
      403,
      s3 ? 'InvalidAccessKeyId' : 'UnrecognizedClientException',
      `The AWS Access Key Id ${call.request.accessKeyId} does not exist in our records.`,
    ),
  );
};
