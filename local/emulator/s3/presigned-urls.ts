import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { crc32 } from 'node:zlib';
import { errorAnswer } from '../answers';
import type { Layer } from '../gateway';

/** The query parameters of a URL, decoded as SigV4 reads them (`+` is a plus, not a space). */
export function rawQuery(path: string): [string, string][] {
  const query = path.includes('?') ? path.slice(path.indexOf('?') + 1) : '';
  return query
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const at = pair.indexOf('=');
      const key = at < 0 ? pair : pair.slice(0, at);
      const value = at < 0 ? '' : pair.slice(at + 1);
      return [decodeURIComponent(key), decodeURIComponent(value)];
    });
}

/** SigV4's URI encoding: every byte but A-Z a-z 0-9 - _ . ~ is percent-encoded. */
const sigv4Encode = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

/**
 * The signature a query-signed (pre-signed) S3 request must carry, per Signature Version 4:
 * the canonical request over the method, the path as sent, every query parameter but the
 * signature, the signed headers, and `UNSIGNED-PAYLOAD`.
 */
export function presignedSignature(
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  secretAccessKey: string,
): string {
  const query = rawQuery(path);
  const get = (name: string) => query.find(([k]) => k === name)?.[1] ?? '';
  const [, date = '', region = '', service = ''] = get('X-Amz-Credential').split('/');
  const signedHeaders = get('X-Amz-SignedHeaders');
  const canonicalQuery = query
    .filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [sigv4Encode(k), sigv4Encode(v)])
    .sort(([a = '', x = ''], [b = '', y = '']) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalHeaders = signedHeaders
    .split(';')
    .map(
      (name) =>
        `${name}:${String(headers[name] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const pathOnly = path.split('?')[0] ?? '/';
  const canonicalRequest = [
    method,
    pathOnly,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders,
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    get('X-Amz-Date'),
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service), 'aws4_request');
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

/** The base64 checksum of a body with the algorithm of an `x-amz-checksum-<algorithm>` parameter. */
export function checksumOf(algorithm: string, body: Buffer): string | undefined {
  if (algorithm === 'crc32') {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(crc32(body));
    return out.toString('base64');
  }
  if (algorithm === 'sha256' || algorithm === 'sha1')
    return createHash(algorithm).update(body).digest('base64');
  return undefined;
}

/** `20261129T105400Z` as a time. */
const amzDate = (text: string) =>
  Date.parse(
    `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}T${text.slice(9, 11)}:${text.slice(11, 13)}:${text.slice(13, 15)}Z`,
  );

/**
 * Pre-signed S3 requests as S3 judges them (moto checks none of this): the signature must match
 * the signer's secret over the signed parts, the URL must not have expired, and a checksum
 * signed into the URL must be the body's (400 BadDigest otherwise).
 */
export function presignedUrlLayer(
  secretOf: (accessKeyId: string) => string | undefined,
  now = () => Date.now(),
): Layer {
  return (call, next) => {
    const { request } = call;
    if (!request.presigned || request.protocol !== 's3') return next();
    const query = rawQuery(request.path);
    const get = (name: string) => query.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
    const secret = request.accessKeyId ? secretOf(request.accessKeyId) : undefined;
    if (!secret) return next();
    const expected = presignedSignature(request.method, request.path, request.headers, secret);
    const given = get('X-Amz-Signature') ?? '';
    if (given.length !== expected.length || !timingSafeEqual(Buffer.from(given), Buffer.from(expected))) {
      return Promise.resolve(
        errorAnswer(
          request,
          403,
          'SignatureDoesNotMatch',
          'The request signature we calculated does not match the signature you provided.',
        ),
      );
    }
    const expiresAt = amzDate(get('X-Amz-Date') ?? '') + Number(get('X-Amz-Expires') ?? 0) * 1000;
    if (!(expiresAt > now())) {
      return Promise.resolve(errorAnswer(request, 403, 'AccessDenied', 'Request has expired'));
    }
    for (const [key, value] of query) {
      const algorithm = /^x-amz-checksum-(crc32|crc32c|crc64nvme|sha1|sha256)$/i
        .exec(key)?.[1]
        ?.toLowerCase();
      if (!algorithm) continue;
      const actual = checksumOf(algorithm, request.body);
      if (actual === undefined) {
        return Promise.resolve(
          errorAnswer(
            request,
            400,
            'InvalidRequest',
            `Checksum algorithm ${algorithm} is not supported here.`,
          ),
        );
      }
      if (actual !== value) {
        return Promise.resolve(
          errorAnswer(
            request,
            400,
            'BadDigest',
            `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`,
          ),
        );
      }
    }
    return next();
  };
}
