import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListTopicsCommand, type ListTopicsCommandOutput, SNSClient } from '@aws-sdk/client-sns';
import { DefaultRateLimiter } from '@smithy/core/retry';
import { expect } from 'chai';
import { retryDelayScale, retryStrategy, scaledBackoff } from '../../../functions/shared/aws/retry';
import { AmiBakeError } from '../../../functions/shared/errors';

describe('SDK retry delays', () => {
  describe('retryDelayScale', () => {
    it('is 1 (the SDK delays) when the variable is unset or empty', () => {
      expect(retryDelayScale({})).to.equal(1);
      expect(retryDelayScale({ AMIBAKE_RETRY_DELAY_SCALE: '' })).to.equal(1);
    });

    it('reads a fraction from 0 to 1', () => {
      expect(retryDelayScale({ AMIBAKE_RETRY_DELAY_SCALE: '0.05' })).to.equal(0.05);
      expect(retryDelayScale({ AMIBAKE_RETRY_DELAY_SCALE: '0' })).to.equal(0);
    });

    for (const raw of ['fast', '2', '-0.5', 'NaN']) {
      it(`refuses '${raw}' with the value and the fix`, () => {
        expect(() => retryDelayScale({ AMIBAKE_RETRY_DELAY_SCALE: raw }))
          .to.throw(AmiBakeError, `got '${raw}'`)
          .with.property('message')
          .that.includes('from 0 to 1')
          .and.includes('Unset it');
      });
    }
  });

  describe('scaledBackoff', () => {
    it('scales the base the SDK sets per error type, doubling per retry', () => {
      const backoff = scaledBackoff(0.05, () => 1);
      backoff.setDelayBase(1000);
      expect([0, 1, 2, 3].map((retry) => backoff.computeNextBackoffDelay(retry))).to.deep.equal([
        50, 100, 200, 400,
      ]);
    });

    it('keeps full jitter and the 20 s ceiling', () => {
      const backoff = scaledBackoff(1, () => 0.5);
      backoff.setDelayBase(1000);
      expect(backoff.computeNextBackoffDelay(0)).to.equal(500);
      expect(backoff.computeNextBackoffDelay(10)).to.equal(10_000);
    });
  });

  describe('a client with the strategy', () => {
    let server: Server;
    let requests = 0;
    let endpoint = '';
    before(async () => {
      server = createServer((request, response) => {
        request.resume();
        requests += 1;
        if (requests <= 2) {
          response.writeHead(400, { 'content-type': 'text/xml' });
          response.end(
            '<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>',
          );
          return;
        }
        response.writeHead(200, { 'content-type': 'text/xml' });
        response.end(
          '<ListTopicsResponse><ListTopicsResult><Topics></Topics></ListTopicsResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListTopicsResponse>',
        );
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => server.close());

    it('retries throttling as the SDK does, after the scaled delays', async () => {
      const client = new SNSClient({
        endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
        retryStrategy: retryStrategy({ AMIBAKE_RETRY_DELAY_SCALE: '0.001' }),
      });
      // The adaptive rate limiter's waits, as it asks for them (its hook for tests).
      const limiter = DefaultRateLimiter as unknown as {
        setTimeoutFn: (fn: () => void, delay: number) => unknown;
      };
      const original = limiter.setTimeoutFn;
      const waits: number[] = [];
      limiter.setTimeoutFn = (fn, delay) => {
        waits.push(delay);
        return original(fn, delay);
      };
      let answer: ListTopicsCommandOutput;
      try {
        answer = await client.send(new ListTopicsCommand({}));
      } finally {
        limiter.setTimeoutFn = original;
      }
      expect(requests).to.equal(3);
      expect(answer.$metadata.attempts).to.equal(3);
      expect(answer.$metadata.totalRetryDelay).to.be.at.most(2 + 4);
      // The rate limiter's wait after throttling shrinks too: up to 2 s at the SDK's lowest rate.
      expect(waits, 'the rate limiter waited after throttling').to.not.be.empty;
      expect(Math.max(...waits)).to.be.at.most(2000 * 0.001 + 1);
    });

    it('keeps the adaptive mode and six attempts when unset', async () => {
      const strategy = retryStrategy({});
      expect(strategy.mode).to.equal('adaptive');
      expect(await strategy.maxAttemptsProvider()).to.equal(6);
    });
  });
});
