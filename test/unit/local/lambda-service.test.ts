import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { CallerRegistry } from '../../../local/emulator/callers';
import type { AsyncSettings, DeployedFunction } from '../../../local/lambda/deployed-functions';
import { LambdaService } from '../../../local/lambda/lambda-service';
import { runtimeBinaries } from '../../../local/lambda/node-runtimes';
import { deterministicZip } from '../../../scripts/deterministic-zip';
import { nodeBinary } from '../../../scripts/node-toolchain.cjs';

/** A function package whose handler does what the event says, as a deployed function's would. */
const HANDLER = `
const fs = require('node:fs');
exports.handler = async (event) => {
  if (event.sleepMs) await new Promise((r) => setTimeout(r, event.sleepMs));
  if (event.later) setTimeout(() => fs.writeFileSync(event.later, 'ran'), 50);
  if (event.exit) process.exit(3);
  if (event.clock) return { now: Date.now(), pid: process.pid };
  if (event.fail) throw Object.assign(new Error('asked to fail'), { name: 'Asked' });
  return {
    ok: true,
    env: process.env.SETTING,
    memory: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    retryDelayScale: process.env.AMIBAKE_RETRY_DELAY_SCALE,
    logFormat: process.env.AWS_LAMBDA_LOG_FORMAT,
    logLevel: process.env.AWS_LAMBDA_LOG_LEVEL,
  };
};
`;

describe('the emulated Lambda service', function () {
  this.timeout(30_000);
  const dir = mkdtempSync(join(tmpdir(), 'amibake-lambda-test-'));
  const packagePath = join(dir, 'fn.zip');
  writeFileSync(packagePath, deterministicZip([{ name: 'index.js', content: Buffer.from(HANDLER) }]));
  const fn: DeployedFunction = {
    name: 'probe',
    arn: 'arn:aws:lambda:us-east-1:123456789012:function:probe',
    handler: 'index.handler',
    runtime: 'nodejs22.x',
    memoryMiB: 192,
    timeoutSeconds: 1,
    roleArn: 'arn:aws:iam::123456789012:role/probe',
    environment: { SETTING: 'from-the-deployed-function' },
    logging: { format: 'JSON', applicationLevel: 'WARN' },
    codeSha256: 'probe-code',
    packagePath,
  };
  const failures: object[] = [];
  const asyncSettings: AsyncSettings = {
    maximumRetryAttempts: 2,
    maximumEventAgeSeconds: 3600,
    onFailure: 'arn:aws:sqs:us-east-1:123456789012:dlq',
  };
  const lambda = new LambdaService({
    endpoint: 'http://127.0.0.1:9',
    region: 'us-east-1',
    retryDelayScale: 0.05,
    callers: new CallerRegistry(),
    functions: {
      get: async () => fn,
      asyncSettings: async () => asyncSettings,
      qualifiedArn: async (_name: string, qualifier: string) => `${fn.arn}:${qualifier}`,
    },
    workdir: join(dir, 'work'),
    runtimes: runtimeBinaries({ binaryFor: (major) => nodeBinary(major) }),
    deliverFailure: async (_fn, record) => {
      failures.push(record);
      return 'delivered';
    },
  });
  after(() => {
    lambda.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs the handler with the function's environment, memory and log-level controls, in a process of its own", async () => {
    const outcome = await lambda.invoke('probe', {}, 'test');
    expect(outcome).to.deep.include({
      ok: true,
      value: {
        ok: true,
        env: 'from-the-deployed-function',
        memory: '192',
        retryDelayScale: '0.05',
        logFormat: 'JSON',
        logLevel: 'WARN',
      },
    });
    const [pid] = lambda.processesOf('probe');
    expect(pid).to.not.equal(process.pid);
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf-8')).to.include('--max-old-space-size=192');
  });

  it("lets a test move the functions' clock forward, in new environments only", async () => {
    const read = async () => {
      const outcome = await lambda.invoke('probe', { clock: true }, 'test');
      return (outcome.ok ? outcome.value : {}) as { now: number; pid: number };
    };
    const before = await read();
    lambda.clockOffsetMs = 2 * 3600_000;
    try {
      const later = await read();
      expect(later.now - before.now).to.be.within(2 * 3600_000, 2 * 3600_000 + 60_000);
      expect(later.pid, 'a process never sees its clock jump').to.not.equal(before.pid);
    } finally {
      lambda.clockOffsetMs = 0;
    }
    const back = await read();
    expect(back.now).to.be.below(before.now + 60_000);
    expect(back.pid, 'the environment of the first clock stayed warm').to.equal(before.pid);
  });

  it('keeps the environments of the last three clocks warm, and ends older ones', async () => {
    const pidAt = async (offsetMs: number) => {
      lambda.clockOffsetMs = offsetMs;
      try {
        const outcome = await lambda.invoke('probe', { clock: true }, 'test');
        return ((outcome.ok ? outcome.value : {}) as { pid: number }).pid;
      } finally {
        lambda.clockOffsetMs = 0;
      }
    };
    const hours = [1, 2, 3].map((h) => h * 3600_000);
    const first: number[] = [];
    for (const offset of hours) first.push(await pidAt(offset));
    expect(await pidAt(hours[0] as number), 'one of the last three clocks').to.equal(first[0]);
    await pidAt(4 * 3600_000);
    await pidAt(5 * 3600_000);
    expect(lambda.processesOf('probe')).to.not.include(first[1]);
    expect(await pidAt(hours[1] as number), 'a clock four offsets ago starts anew').to.not.equal(first[1]);
  });

  it("ends an invocation that outlives the function's timeout, and replaces the environment", async () => {
    const before = lambda.processesOf('probe');
    const started = Date.now();
    const outcome = await lambda.invoke('probe', { sleepMs: 5000 }, 'test');
    expect(outcome).to.deep.include({
      ok: false,
      errorType: 'Sandbox.Timedout',
      errorMessage: 'Task timed out after 1.00 seconds',
    });
    expect(Date.now() - started).to.be.below(3000);
    expect(lambda.processesOf('probe')).to.not.include.members(before);
  });

  it('runs nothing after the handler returns: the environment is frozen until the next invocation', async () => {
    const marker = join(dir, 'later');
    await lambda.invoke('probe', { later: marker }, 'test');
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(marker), 'while frozen').to.equal(false);
    await lambda.invoke('probe', { sleepMs: 200 }, 'test');
    expect(existsSync(marker), 'once thawed').to.equal(true);
  });

  it('reports a runtime that exits during an invocation', async () => {
    const outcome = await lambda.invoke('probe', { exit: true }, 'test');
    expect(outcome).to.deep.include({ ok: false, errorType: 'Runtime.ExitError' });
  });

  it('retries a failed asynchronous invocation twice, then hands it to the on-failure destination', async () => {
    failures.length = 0;
    lambda.invocations.length = 0;
    lambda.invokeAsync('probe', { fail: true, id: 'x' }, 'test');
    await lambda.drain();
    expect(lambda.invocations.map((i) => i.attempt)).to.deep.equal([1, 2, 3]);
    expect(failures).to.have.length(1);
    expect(failures[0]).to.deep.include({
      requestContext: {
        requestId: lambda.invocations[0]?.requestId,
        functionArn: `${fn.arn}:$LATEST`,
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload: { fail: true, id: 'x' },
      responsePayload: { errorType: 'Asked', errorMessage: 'asked to fail' },
    });
  });
});
