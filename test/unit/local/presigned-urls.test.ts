import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { expect } from 'chai';
import { checksumOf, presignedSignature, rawQuery } from '../../../local/emulator/s3/presigned-urls';

describe('pre-signed URL checks', () => {
  const credentials = {
    accessKeyId: 'ASIAEXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  };
  const client = new S3Client({
    endpoint: 'http://127.0.0.1:4566',
    region: 'us-east-1',
    credentials,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  const sign = () =>
    getSignedUrl(client, new PutObjectCommand({ Bucket: 'a-bucket', Key: 'builds/x y/status.json' }), {
      expiresIn: 600,
    });
  const pathOf = (url: string) => url.slice(url.indexOf('/', 'http://'.length));
  const headers = { host: '127.0.0.1:4566' };

  it("computes the SDK's own signature for a URL it pre-signed", async () => {
    const url = await sign();
    const given = rawQuery(pathOf(url)).find(([k]) => k === 'X-Amz-Signature')?.[1];
    expect(presignedSignature('PUT', pathOf(url), headers, credentials.secretAccessKey)).to.equal(given);
  });

  it('computes another signature when the method, a parameter, the host or the secret differ', async () => {
    const url = await sign();
    const path = pathOf(url);
    const given = rawQuery(path).find(([k]) => k === 'X-Amz-Signature')?.[1];
    expect(presignedSignature('GET', path, headers, credentials.secretAccessKey)).to.not.equal(given);
    expect(
      presignedSignature(
        'PUT',
        path.replace('X-Amz-Expires=600', 'X-Amz-Expires=6000'),
        headers,
        credentials.secretAccessKey,
      ),
    ).to.not.equal(given);
    expect(
      presignedSignature('PUT', path, { host: 'evil.example' }, credentials.secretAccessKey),
    ).to.not.equal(given);
    expect(presignedSignature('PUT', path, headers, 'another-secret')).to.not.equal(given);
  });

  it('checksums a body as S3 does (base64 of the big-endian CRC-32)', () => {
    expect(checksumOf('crc32', Buffer.alloc(0))).to.equal('AAAAAA==');
    expect(checksumOf('crc32', Buffer.from('hello'))).to.equal('NhCmhg==');
    expect(checksumOf('sha256', Buffer.from(''))).to.equal('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
  });
});
