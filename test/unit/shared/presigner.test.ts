import { expect } from 'chai';
import { createPresigner, createS3 } from '../../../functions/shared/aws/clients';
import { presignGet, presignPut } from '../../../functions/shared/aws/objects';
import { isRefusedForGood } from '../../../functions/shared/errors';

describe('URLs for the build instance', () => {
  const saved = { ...process.env };
  before(() => {
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
    });
  });
  after(() => {
    process.env = saved;
  });
  const ref = { bucket: 'a-bucket', key: 'builds/b/status.json' };

  it('carry no x-amz-checksum parameter: nothing about the body is signed', async () => {
    const presigner = createPresigner();
    for (const url of [await presignPut(presigner, ref, 600), await presignGet(presigner, ref, 600)]) {
      expect(url).to.not.match(/x-amz-checksum-(crc32|crc32c|crc64nvme|sha1|sha256)=/i);
    }
  });

  it("would sign the empty body's CRC-32 with the SDK's default client", async () => {
    expect(await presignPut(createS3(), ref, 600)).to.include('x-amz-checksum-crc32=AAAAAA%3D%3D');
  });
});

describe('isRefusedForGood', () => {
  const sdkError = (name: string, fault: 'client' | 'server') =>
    Object.assign(new Error(name), { name, $fault: fault });

  it('holds for client faults no retry changes', () => {
    expect(isRefusedForGood(sdkError('AccessDeniedException', 'client'))).to.equal(true);
    expect(isRefusedForGood(sdkError('UnauthorizedOperation', 'client'))).to.equal(true);
  });

  it('does not hold for throttling, server faults or errors that are not AWS answers', () => {
    expect(isRefusedForGood(sdkError('ThrottlingException', 'client'))).to.equal(false);
    expect(isRefusedForGood(sdkError('RequestLimitExceeded', 'client'))).to.equal(false);
    expect(isRefusedForGood(sdkError('InternalError', 'server'))).to.equal(false);
    expect(isRefusedForGood(new Error('socket hang up'))).to.equal(false);
  });
});
