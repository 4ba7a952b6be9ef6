import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { CallerRegistry } from '../../../local/emulator/callers';
import type { DeployedFunction } from '../../../local/lambda/deployed-functions';
import { LambdaService } from '../../../local/lambda/lambda-service';
import { runtimeBinaries, runtimeNodeMajor } from '../../../local/lambda/node-runtimes';
import { PROJECT_ROOT } from '../../../scripts/bundle-functions';
import { deterministicZip } from '../../../scripts/deterministic-zip';
import { nodeBinary } from '../../../scripts/node-toolchain.cjs';

/**
 * Packages as a bundle would be: one needs an API that Node 24 has and Node 22 lacks
 * (`RegExp.escape`), one still takes a callback, one makes an AWS SDK client.
 */
const PACKAGES: Record<string, string> = {
  newer: `exports.handler = async () => ({ node: process.version, escaped: RegExp.escape('a.b') });`,
  callback: `exports.handler = (event, context, callback) => callback(null, { node: process.version });`,
  sdk: `exports.handler = async (event) => {
  if (event.warn) process.emitWarning('NodeVersionSupportWarning: a stand-in, to show warnings are seen');
  const { STSClient } = require('@aws-sdk/client-sts');
  new STSClient({ region: 'us-east-1' });
  await new Promise((resolve) => setTimeout(resolve, 50));
  return { node: process.version };
};`,
};

describe('the emulated Lambda runtimes', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'amibake-runtimes-test-'));
  const deployed = new Map<string, DeployedFunction>();
  const deploy = (name: string, pkg: string, runtime: string): string => {
    const packagePath = join(dir, `${name}.zip`);
    writeFileSync(
      packagePath,
      deterministicZip([{ name: 'index.js', content: Buffer.from(PACKAGES[pkg] ?? '') }]),
    );
    deployed.set(name, {
      name,
      arn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
      handler: 'index.handler',
      runtime,
      memoryMiB: 192,
      timeoutSeconds: 20,
      roleArn: 'arn:aws:iam::123456789012:role/probe',
      // The SDK from this project, as a bundle would carry it.
      environment: { NODE_PATH: join(PROJECT_ROOT, 'node_modules') },
      logging: { format: 'JSON', applicationLevel: 'INFO' },
      codeSha256: `${name}-code`,
      packagePath,
    });
    return name;
  };
  const lambda = new LambdaService({
    endpoint: 'http://127.0.0.1:9',
    region: 'us-east-1',
    retryDelayScale: 0.05,
    callers: new CallerRegistry(),
    functions: {
      get: async (name: string) => deployed.get(name) as DeployedFunction,
      asyncSettings: async () => ({
        maximumRetryAttempts: 0,
        maximumEventAgeSeconds: 60,
        onFailure: undefined,
      }),
      qualifiedArn: async (name: string, qualifier: string) => `${deployed.get(name)?.arn}:${qualifier}`,
    },
    workdir: join(dir, 'work'),
    runtimes: runtimeBinaries({ binaryFor: (major) => nodeBinary(major) }),
    deliverFailure: async () => 'dropped',
  });
  after(() => {
    lambda.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs each function on the Node major of its runtime', async () => {
    const on24 = await lambda.invoke(deploy('newer-24', 'newer', 'nodejs24.x'), {}, 'test');
    expect(on24).to.deep.include({ ok: true });
    expect(on24.ok && (on24.value as { node: string }).node).to.match(/^v24\./);
    expect(on24.ok && (on24.value as { escaped: string }).escaped).to.equal('\\x61\\.b');
  });

  it('fails a bundle that needs a newer API on an older runtime, as Lambda would', async () => {
    const on22 = await lambda.invoke(deploy('newer-22', 'newer', 'nodejs22.x'), {}, 'test');
    expect(on22).to.deep.include({
      ok: false,
      errorType: 'TypeError',
      errorMessage: 'RegExp.escape is not a function',
    });
  });

  it('refuses a callback handler from nodejs24.x on, and runs it on nodejs22.x', async () => {
    const on24 = await lambda.invoke(deploy('callback-24', 'callback', 'nodejs24.x'), {}, 'test');
    expect(on24).to.deep.include({ ok: false, errorType: 'Runtime.CallbackHandlerDeprecated' });
    expect(on24.ok ? '' : on24.errorMessage).to.include(
      'removed support for callback-based function handlers',
    );
    const on22 = await lambda.invoke(deploy('callback-22', 'callback', 'nodejs22.x'), {}, 'test');
    expect(on22.ok && (on22.value as { node: string }).node).to.match(/^v22\./);
  });

  it("prints no NodeVersionSupportWarning when the SDK runs on the functions' runtimes", async () => {
    const warnings = (name: string) =>
      lambda.logs.filter((l) => l.functionName === name && l.line.includes('NodeVersionSupportWarning'));
    for (const runtime of ['nodejs22.x', 'nodejs24.x']) {
      const name = deploy(`sdk-${runtime}`, 'sdk', runtime);
      expect(await lambda.invoke(name, {}, 'test')).to.deep.include({ ok: true });
      expect(warnings(name), runtime).to.deep.equal([]);
    }
    // The same check sees a warning the runtime does print.
    const control = deploy('sdk-control', 'sdk', 'nodejs24.x');
    await lambda.invoke(control, { warn: true }, 'test');
    expect(warnings(control)).to.have.length(1);
  });

  it('refuses a runtime whose Node it cannot have, naming the runtime and the reason', () => {
    const binaries = runtimeBinaries({
      version: 'v24.22.3',
      binaryFor: () => {
        throw new Error('no Node 18 release is pinned');
      },
    });
    expect(() => binaries('nodejs18.x')).to.throw(
      'runtime nodejs18.x needs Node.js 18, which the emulator cannot have here: no Node 18 release is pinned',
    );
    expect(() => binaries('python3.13')).to.throw('the emulated Lambda runs Node.js runtimes only');
    expect(binaries('nodejs24.x'), 'its own major runs in this Node').to.equal(process.execPath);
  });

  it('reads the Node major of a runtime identifier', () => {
    expect(runtimeNodeMajor('nodejs24.x')).to.equal(24);
    expect(runtimeNodeMajor('nodejs22.x')).to.equal(22);
    expect(runtimeNodeMajor('python3.13')).to.equal(undefined);
  });
});
