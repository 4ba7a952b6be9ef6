import { Readable } from 'node:stream';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { getText, streamObject } from '../../../functions/shared/aws/objects';
import { boundedReason, REASON_MAX_CHARACTERS } from '../../../functions/shared/fail-build';

/** A 1 MiB body in 1 KiB chunks, and how many chunks were pulled from it so far. */
function megabyteBody() {
  let pulled = 0;
  const body = Readable.from(
    (function* () {
      for (let i = 0; i < 1024; i++) {
        pulled++;
        yield Buffer.alloc(1024, 'x');
      }
    })(),
  );
  return { body, served: () => pulled };
}

describe('bounded reads and reasons', () => {
  const s3 = mockClient(S3Client);
  afterEach(() => s3.reset());
  after(() => s3.restore());

  describe('getText with maxBytes', () => {
    it('reads no more than asked, and closes the body without reading the rest', async () => {
      const { body, served } = megabyteBody();
      s3.on(GetObjectCommand).resolves({ Body: body as never });
      const text = await getText(
        new S3Client({ region: 'us-east-1' }),
        { bucket: 'b', key: 'k' },
        { maxBytes: 4096 },
      );
      expect(text).to.have.length(4096);
      expect(served(), 'chunks pulled from a 1 MiB body').to.be.at.most(8);
      expect(body.destroyed).to.equal(true);
    });
  });

  describe('streamObject', () => {
    it('hands each chunk on as it arrives, stops at the limit and says the object was longer', async () => {
      const { body, served } = megabyteBody();
      s3.on(GetObjectCommand).resolves({ Body: body as never, ContentLength: 1024 * 1024 });
      const seen: number[] = [];
      const servedAtFirst: number[] = [];
      const result = await streamObject(
        new S3Client({ region: 'us-east-1' }),
        { bucket: 'b', key: 'k' },
        2500,
        (bytes) => {
          if (seen.length === 0) servedAtFirst.push(served());
          seen.push(bytes.length);
        },
      );
      expect(seen).to.deep.equal([1024, 1024, 452]);
      expect(servedAtFirst[0], 'the first chunk was handed on before the rest was read').to.be.at.most(2);
      expect(result).to.deep.equal({ size: 1024 * 1024, truncated: true });
      expect(body.destroyed).to.equal(true);
    });
  });

  describe('boundedReason', () => {
    it('keeps a short reason as it is', () => {
      expect(boundedReason('customisation exited with status 3')).to.equal(
        'customisation exited with status 3',
      );
    });

    it('cuts a long one and says how much is left out and where', () => {
      const long = 'x'.repeat(REASON_MAX_CHARACTERS + 1234);
      const bounded = boundedReason(long);
      expect(bounded.startsWith('x'.repeat(REASON_MAX_CHARACTERS))).to.equal(true);
      expect(bounded).to.have.length.below(REASON_MAX_CHARACTERS + 80);
      expect(bounded).to.match(/… \(1234 more characters in the function's log\)$/);
    });
  });
});
