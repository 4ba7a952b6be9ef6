import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeRegionsCommand } from '@aws-sdk/client-ec2';
import { ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import { DescribeParametersCommand } from '@aws-sdk/client-ssm';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { AdaptiveRetryStrategy, DefaultRateLimiter } from '@smithy/core/retry';
import { expect } from 'chai';
import sinon from 'sinon';
import * as clients from '../../../functions/shared/aws/clients';
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

  describe('every client the functions build (clients.ts), against a stub answering a fault then success', () => {
    interface Answer {
      status: number;
      headers?: Record<string, string>;
      body: string;
    }
    const xml = { 'content-type': 'text/xml' };
    const json = { 'content-type': 'application/x-amz-json-1.1' };
    const queryError = (status: number, code: string): Answer => ({
      status,
      headers: xml,
      body: `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>m</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
    });
    const jsonError = (status: number, code: string): Answer => ({
      status,
      headers: json,
      body: JSON.stringify({ __type: code, message: 'm' }),
    });
    /** Per client: a call, a throttle and a 500 as its service sends them, and a success. */
    const CLIENTS: {
      name: string;
      call: () => Promise<{ $metadata: { attempts?: number } }>;
      throttle: Answer;
      serverError: Answer;
      success: Answer;
    }[] = [
      {
        name: 'EC2',
        call: () => clients.createEc2().send(new DescribeRegionsCommand({})),
        throttle: {
          status: 503,
          headers: xml,
          body: '<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>m</Message></Error></Errors><RequestID>r</RequestID></Response>',
        },
        serverError: {
          status: 500,
          headers: xml,
          body: '<Response><Errors><Error><Code>InternalError</Code><Message>m</Message></Error></Errors><RequestID>r</RequestID></Response>',
        },
        success: {
          status: 200,
          headers: xml,
          body: '<DescribeRegionsResponse><regionInfo/></DescribeRegionsResponse>',
        },
      },
      {
        name: 'S3',
        call: () => clients.createS3().send(new ListBucketsCommand({})),
        throttle: {
          status: 503,
          headers: xml,
          body: '<Error><Code>SlowDown</Code><Message>m</Message></Error>',
        },
        serverError: {
          status: 500,
          headers: xml,
          body: '<Error><Code>InternalError</Code><Message>m</Message></Error>',
        },
        success: {
          status: 200,
          headers: xml,
          body: '<ListAllMyBucketsResult><Buckets/></ListAllMyBucketsResult>',
        },
      },
      {
        name: 'SSM',
        call: () => clients.createSsm().send(new DescribeParametersCommand({})),
        throttle: jsonError(400, 'ThrottlingException'),
        serverError: jsonError(500, 'InternalServerError'),
        success: { status: 200, headers: json, body: '{}' },
      },
      {
        name: 'SNS',
        call: () => clients.createSns().send(new ListTopicsCommand({})),
        throttle: queryError(400, 'Throttling'),
        serverError: queryError(500, 'InternalError'),
        success: {
          status: 200,
          headers: xml,
          body: '<ListTopicsResponse><ListTopicsResult><Topics></Topics></ListTopicsResult></ListTopicsResponse>',
        },
      },
      {
        name: 'Lambda',
        call: () => clients.createLambda().send(new ListFunctionsCommand({})),
        throttle: {
          status: 429,
          headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'TooManyRequestsException' },
          body: '{"message":"Rate exceeded"}',
        },
        serverError: {
          status: 500,
          headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'ServiceException' },
          body: '{"message":"m"}',
        },
        success: { status: 200, headers: { 'content-type': 'application/json' }, body: '{"Functions":[]}' },
      },
      {
        name: 'EventBridge',
        call: () => clients.createEvents().send(new ListRulesCommand({})),
        throttle: jsonError(400, 'ThrottlingException'),
        serverError: jsonError(500, 'InternalException'),
        success: { status: 200, headers: json, body: '{}' },
      },
      {
        name: 'Auto Scaling',
        call: () => clients.createAutoScaling().send(new DescribeAutoScalingGroupsCommand({})),
        throttle: queryError(400, 'Throttling'),
        serverError: queryError(500, 'InternalFailure'),
        success: {
          status: 200,
          headers: xml,
          body: '<DescribeAutoScalingGroupsResponse><DescribeAutoScalingGroupsResult><AutoScalingGroups/></DescribeAutoScalingGroupsResult></DescribeAutoScalingGroupsResponse>',
        },
      },
      {
        name: 'DynamoDB (document client)',
        call: () => clients.createDocumentClient().send(new ScanCommand({ TableName: 'builds' })),
        throttle: jsonError(400, 'com.amazonaws.dynamodb.v20120810#ThrottlingException'),
        serverError: jsonError(500, 'com.amazonaws.dynamodb.v20120810#InternalServerError'),
        success: {
          status: 200,
          headers: { 'content-type': 'application/x-amz-json-1.0' },
          body: '{"Items":[]}',
        },
      },
    ];

    let stub: Server;
    let answers: Answer[] = [];
    let received = 0;
    const saved: Record<string, string | undefined> = {};
    const ENVIRONMENT = {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: '',
      AMIBAKE_RETRY_DELAY_SCALE: '0.001',
    };
    before(async () => {
      stub = createServer((request, response) => {
        request.resume();
        received += 1;
        const answer = answers.shift() ?? { status: 599, body: 'no answer left' };
        response.writeHead(answer.status, answer.headers ?? {});
        response.end(answer.body);
      });
      await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
      for (const [key, value] of Object.entries({
        ...ENVIRONMENT,
        AWS_ENDPOINT_URL: url,
        AWS_PROFILE: undefined,
      })) {
        saved[key] = process.env[key];
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    });
    after(() => {
      stub.close();
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    });

    for (const client of CLIENTS) {
      for (const fault of ['throttle', 'serverError'] as const) {
        it(`${client.name}: retries ${fault === 'throttle' ? 'a throttle' : 'a 500'} and succeeds`, async () => {
          answers = [client[fault], client.success];
          received = 0;
          const answer = await client.call();
          expect(received, 'requests the stub received').to.equal(2);
          expect(answer.$metadata.attempts).to.equal(2);
        });
      }
      it(`${client.name}: gives up after amibake's six attempts (the SDK's default is three)`, async () => {
        answers = Array.from({ length: 7 }, () => client.throttle);
        received = 0;
        const failure = await client.call().then(
          () => undefined,
          (error: { $metadata?: { attempts?: number } }) => error,
        );
        expect(failure?.$metadata?.attempts).to.equal(6);
        expect(received).to.equal(6);
      });
    }
  });
});
