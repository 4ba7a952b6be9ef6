/**
 * The inside of one emulated Lambda execution environment (a child process): loads the
 * function's handler from the unpacked package named by LAMBDA_TASK_ROOT and _HANDLER, as the
 * Node.js runtime does, then runs one invocation per message. The parent freezes the process
 * between invocations, so nothing runs after a handler returns.
 */
import { join } from 'node:path';
import { runtimeNodeMajor } from './node-runtimes';

type Handler = (event: unknown, context: object) => Promise<unknown>;

interface InvokeMessage {
  type: 'invoke';
  requestId: string;
  event: unknown;
  invokedFunctionArn: string;
  deadline: number;
  /** How far the emulated account's clock is ahead of this machine's (0 unless a test moves it). */
  clockOffsetMs: number;
}

let handler: Handler | undefined;

/**
 * The emulated account's clock: `new Date()` and `Date.now()` in the function read it, so a test
 * can let time pass for everything the function judges by the clock.
 */
let clockOffsetMs = 0;
const MachineDate = Date;
class AccountDate extends MachineDate {
  constructor(...args: unknown[]) {
    if (args.length === 0) super(MachineDate.now() + clockOffsetMs);
    else super(...(args as [string | number | Date]));
  }
  static override now(): number {
    return MachineDate.now() + clockOffsetMs;
  }
}
globalThis.Date = AccountDate as DateConstructor;
let current: string | undefined;

/**
 * What Lambda's Node.js 24 runtime and later answer for a handler that takes a callback: they
 * run async handlers only, and tell a callback handler by its arity (three parameters or more).
 */
const CALLBACK_REMOVED =
  'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. You need to modify this function to use a supported handler signature to use Node.js 24 or later. For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.';

function load(): Handler {
  const root = process.env.LAMBDA_TASK_ROOT ?? '.';
  const spec = process.env._HANDLER ?? 'index.handler';
  const dot = spec.lastIndexOf('.');
  const module = require(join(root, spec.slice(0, dot))) as Record<string, unknown>;
  const fn = module[spec.slice(dot + 1)];
  if (typeof fn !== 'function') {
    throw Object.assign(new Error(`${spec} is undefined or not exported`), {
      name: 'Runtime.HandlerNotFound',
    });
  }
  if (fn.length < 3) return fn as Handler;
  const runtime = (process.env.AWS_EXECUTION_ENV ?? '').replace(/^AWS_Lambda_/, '');
  if ((runtimeNodeMajor(runtime) ?? 0) >= 24) {
    throw Object.assign(new Error(CALLBACK_REMOVED), { name: 'Runtime.CallbackHandlerDeprecated' });
  }
  // Older runtimes end the invocation when the handler calls back.
  return (event, context) =>
    new Promise((resolve, reject) => {
      fn(event, context, (error: unknown, value: unknown) => (error ? reject(error) : resolve(value)));
    });
}

function reply(message: object): void {
  process.send?.(message);
}

function failure(error: unknown): { errorType: string; errorMessage: string; stack: string[] } {
  const e = error instanceof Error ? error : new Error(String(error));
  return { errorType: e.name, errorMessage: e.message, stack: (e.stack ?? '').split('\n').slice(1, 8) };
}

process.on('message', (message: InvokeMessage) => {
  if (message.type !== 'invoke') return;
  current = message.requestId;
  clockOffsetMs = message.clockOffsetMs;
  const context = {
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: '$LATEST',
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: message.requestId,
    invokedFunctionArn: message.invokedFunctionArn,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
  };
  Promise.resolve()
    .then(() => {
      handler ??= load();
      return handler(message.event, context);
    })
    .then(
      // Peak resident memory of the environment so far, as Lambda reports "Max Memory Used".
      (value) =>
        reply({
          type: 'result',
          requestId: message.requestId,
          ok: true,
          value: value ?? null,
          maxMemoryMiB: process.resourceUsage().maxRSS / 1024,
        }),
      (error: unknown) =>
        reply({ type: 'result', requestId: message.requestId, ok: false, error: failure(error) }),
    )
    .finally(() => {
      current = undefined;
    });
});

// What the Node.js runtime does with an error nobody awaited: the invocation fails and the
// environment is replaced.
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (error: unknown) => {
    const failed = failure(error);
    reply({
      type: 'result',
      requestId: current,
      ok: false,
      error: {
        ...failed,
        errorType: event === 'unhandledRejection' ? 'Runtime.UnhandledPromiseRejection' : failed.errorType,
      },
    });
    process.exit(129);
  });
}

reply({ type: 'ready' });
