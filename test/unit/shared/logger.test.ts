import { expect } from 'chai';
import sinon from 'sinon';
import { createLogger } from '../../../functions/shared/logger';

/** The JSON lines a logger made now writes (to stdout, and warnings and errors to stderr). */
function capture(): { lines: () => Record<string, unknown>[]; restore: () => void } {
  const written: string[] = [];
  const write = (chunk: string | Uint8Array) => {
    written.push(chunk.toString());
    return true;
  };
  const stubs = [
    sinon.stub(process.stdout, 'write').callsFake(write),
    sinon.stub(process.stderr, 'write').callsFake(write),
  ];
  return {
    lines: () =>
      written
        .join('')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    restore: () => {
      for (const stub of stubs) stub.restore();
    },
  };
}

const CONTEXT = {
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  functionName: 'amibake_ami_image_create',
  functionVersion: '$LATEST',
  memoryLimitInMB: '256',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:amibake_ami_image_create',
};

describe('the functions’ logger', () => {
  const VARIABLES = [
    'LOG_LEVEL',
    'AWS_LAMBDA_LOG_LEVEL',
    '_X_AMZN_TRACE_ID',
    'AWS_LAMBDA_INITIALIZATION_TYPE',
  ];
  const saved = Object.fromEntries(VARIABLES.map((k) => [k, process.env[k]]));
  let out: ReturnType<typeof capture> | undefined;
  beforeEach(() => {
    for (const k of VARIABLES) delete process.env[k];
    // What Lambda sets in an on-demand execution environment: the first invocation is a cold start.
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
  });
  afterEach(() => {
    out?.restore();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('writes one JSON object per line, with the invocation’s request id and cold start, and the trace id', () => {
    process.env._X_AMZN_TRACE_ID =
      'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    out = capture();
    const log = createLogger('ami_image_create');
    log.startInvocation(CONTEXT);
    // A key learnt from the event joins the invocation's context; the cold start stays.
    log.appendKeys({ buildId: 'ecs-node-20261130060000-abcdef' });
    log.info('image requested', { imageId: 'ami-0123456789abcdef0' });
    log.startInvocation({ ...CONTEXT, awsRequestId: 'second' });
    log.info('sweep done');
    out.restore();
    const [first, second] = out.lines();
    expect(first).to.include({
      level: 'INFO',
      message: 'image requested',
      service: 'ami_image_create',
      imageId: 'ami-0123456789abcdef0',
      buildId: 'ecs-node-20261130060000-abcdef',
      function_request_id: CONTEXT.awsRequestId,
      function_name: CONTEXT.functionName,
      cold_start: true,
      xray_trace_id: '1-5759e988-bd862e3fe1be46a994272793',
    });
    expect(first?.timestamp).to.be.a('string');
    // The next invocation carries its own id, is not a cold start, and no longer the last one's keys.
    expect(second).to.include({ function_request_id: 'second', cold_start: false });
    expect(second).to.not.have.property('buildId');
  });

  it('logs an error with its name, message, stack and cause', () => {
    out = capture();
    const log = createLogger('ami_ec2_instance_create');
    const error = Object.assign(new Error('Rate exceeded', { cause: new Error('socket hang up') }), {
      name: 'ThrottlingException',
    });
    log.error('notification not sent', { error });
    out.restore();
    const [line] = out.lines();
    const logged = line?.error as Record<string, unknown>;
    expect(line).to.include({ level: 'ERROR', message: 'notification not sent' });
    expect(logged).to.include({ name: 'ThrottlingException', message: 'Rate exceeded' });
    expect(logged.stack).to.be.a('string').and.include('logger.test.ts');
    expect(logged.cause).to.deep.include({ name: 'Error', message: 'socket hang up' });
  });

  it('takes its level from Lambda’s log-level control, and keeps a child’s fields on each line', () => {
    process.env.AWS_LAMBDA_LOG_LEVEL = 'WARN';
    out = capture();
    const log = createLogger('ami_build_trigger').child({ recipe: 'ecs-node' });
    log.info('dropped below the level');
    log.warn('recipe skipped', { reason: 'no base' });
    out.restore();
    expect(out.lines()).to.have.length(1);
    expect(out.lines()[0]).to.include({ level: 'WARN', recipe: 'ecs-node', reason: 'no base' });
  });
});
