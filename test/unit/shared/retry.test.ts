import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import { AdaptiveRetryStrategy, DefaultRateLimiter } from '@smithy/core/retry';
import { expect } from 'chai';
import sinon from 'sinon';
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
      const answer = await client.send(new ListTopicsCommand({}));
      expect(requests).to.equal(3);
      expect(answer.$metadata.attempts).to.equal(3);
      expect(answer.$metadata.totalRetryDelay).to.be.at.most(2 + 4);
    });

    it("scales the rate limiter's wait for a send token once throttled (2 s at the SDK's lowest rate)", async () => {
      /** The waits a strategy's limiter asks for over five sends right after five throttles. */
      const waitsOf = async (strategy: ReturnType<typeof retryStrategy>) => {
        const limiter = (strategy as unknown as { rateLimiter: DefaultRateLimiter }).rateLimiter;
        const hook = DefaultRateLimiter as unknown as {
          setTimeoutFn: (fn: () => void, delay: number) => unknown;
        };
        const original = hook.setTimeoutFn;
        // The clock moves only by the waits asked for, so the result does not depend on this machine's speed.
        const clock = sinon.useFakeTimers({ now: 1_000_000, toFake: ['Date'] });
        const waits: number[] = [];
        hook.setTimeoutFn = (fn, delay) => {
          waits.push(delay);
          clock.tick(Math.ceil(delay));
          fn();
          return undefined;
        };
        try {
          for (let i = 0; i < 5; i++) limiter.updateClientSendingRate({ errorType: 'THROTTLING' });
          for (let i = 0; i < 5; i++) await limiter.getSendToken();
        } finally {
          hook.setTimeoutFn = original;
          clock.restore();
        }
        return waits;
      };
      const scaled = await waitsOf(retryStrategy({ AMIBAKE_RETRY_DELAY_SCALE: '0.001' }));
      const unscaled = await waitsOf(new AdaptiveRetryStrategy(6));
      expect(scaled, 'the limiter waited').to.not.be.empty;
      expect(Math.max(...scaled)).to.be.at.most(2000 * 0.001 + 1);
      expect(Math.max(...unscaled), "the SDK's own limiter waits up to 2 s").to.be.greaterThan(100);
    });

    it('keeps the adaptive mode and six attempts when unset', async () => {
      const strategy = retryStrategy({});
      expect(strategy.mode).to.equal('adaptive');
      expect(await strategy.maxAttemptsProvider()).to.equal(6);
    });
  });
});
