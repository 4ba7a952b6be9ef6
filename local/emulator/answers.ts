import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { AwsRequest, Protocol } from './aws-request';

/** An HTTP answer as the gateway sends it back. */
export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** The success answer of a query-protocol service (SNS, Auto Scaling): `<OpResponse><OpResult>`. */
export function queryAnswer(xmlns: string, operation: string, result: string): Answer {
  const body = `<?xml version="1.0" encoding="UTF-8"?><${operation}Response xmlns="${xmlns}"><${operation}Result>${result}</${operation}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${operation}Response>`;
  return { status: 200, headers: { 'content-type': 'text/xml' }, body: Buffer.from(body) };
}

/** Text as XML character data or an attribute value. */
export const xmlEscape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * An error in the encoding the service uses, so that the SDK reads its code as it would read
 * AWS's: EC2's `<Response><Errors>`, the other query services' `<ErrorResponse>`, JSON's
 * `__type`, Lambda's `x-amzn-errortype`, S3's `<Error>` (no body on HEAD).
 */
export function errorAnswer(
  request: Pick<AwsRequest, 'protocol' | 'service' | 'method'> | Protocol,
  status: number,
  code: string,
  message = code,
): Answer {
  const { protocol, service, method } =
    typeof request === 'string' ? { protocol: request, service: '', method: 'POST' } : request;
  const requestId = `emulator-${Date.now().toString(36)}`;
  if (protocol === 'json' || protocol === 'rest-json') {
    return {
      status,
      headers: {
        'content-type': protocol === 'json' ? 'application/x-amz-json-1.1' : 'application/json',
        'x-amzn-errortype': code,
        'x-amzn-requestid': requestId,
      },
      body: Buffer.from(JSON.stringify({ __type: code, message, Message: message })),
    };
  }
  const text = xmlEscape(message);
  if (protocol === 's3') {
    const xml = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${text}</Message><RequestId>${requestId}</RequestId></Error>`;
    return {
      status,
      headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
      body: method === 'HEAD' ? Buffer.alloc(0) : Buffer.from(xml),
    };
  }
  const xml =
    service === 'ec2' || service === ''
      ? `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${code}</Code><Message>${text}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`
      : `<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${text}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  return { status, headers: { 'content-type': 'text/xml' }, body: Buffer.from(xml) };
}

/** How each service says "access denied": its code and HTTP status. */
export function accessDeniedCode(request: Pick<AwsRequest, 'protocol' | 'service'>): {
  code: string;
  status: number;
} {
  if (request.service === 'ec2') return { code: 'UnauthorizedOperation', status: 403 };
  if (request.service === 'sns') return { code: 'AuthorizationError', status: 403 };
  if (request.protocol === 's3') return { code: 'AccessDenied', status: 403 };
  if (request.protocol === 'rest-json') return { code: 'AccessDeniedException', status: 403 };
  if (request.protocol === 'json') return { code: 'AccessDeniedException', status: 400 };
  return { code: 'AccessDenied', status: 403 };
}

export const jsonAnswer = (status: number, value: unknown, headers: IncomingHttpHeaders = {}): Answer => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: Buffer.from(JSON.stringify(value)),
});

export const emptyAnswer = (status: number, headers: IncomingHttpHeaders = {}): Answer => ({
  status,
  headers,
  body: Buffer.alloc(0),
});
