import { type ChildProcess, fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { RETRY_DELAY_SCALE_VARIABLE } from '../../functions/shared/aws/retry';
import type { Credentials } from '../emulator/callers';
import type { DeployedFunction } from './deployed-functions';

/** How one invocation ended. */
export type InvocationOutcome =
  | { ok: true; value: unknown; requestId: string; durationMs: number; maxMemoryMiB?: number }
  | {
      ok: false;
      requestId: string;
      durationMs: number;
      errorType: string;
      errorMessage: string;
      /** The environment died (timeout, crash, runtime exit) and was discarded. */
      environmentLost: boolean;
    };

export interface EnvironmentOptions {
  id: string;
  fn: DeployedFunction;
  /** The unpacked package (LAMBDA_TASK_ROOT). */
  taskRoot: string;
  workerScript: string;
  /** The Node.js binary of the function's runtime (a Node 24 for nodejs24.x). */
  nodeBinary: string;
  credentials: Credentials;
  endpoint: string;
  region: string;
  /** The fraction of the SDK's retry delays the function waits (AMIBAKE_RETRY_DELAY_SCALE). */
  retryDelayScale: number;
  /** How far the function's clock is ahead of this machine's, for the environment's whole life. */
  clockOffsetMs: number;
  /** Every line the function writes, with the invocation it belongs to. */
  onLog: (line: string, requestId: string | undefined) => void;
}

/**
 * One execution environment of a function: a process of its runtime's Node.js major with the
 * function's environment, memory limit and role credentials, running one invocation at a time. It is frozen (SIGSTOP)
 * between invocations, as Lambda freezes it, and killed when an invocation runs past the
 * function's timeout.
 */
export class ExecutionEnvironment {
  readonly id: string;
  /** The function configuration this environment was made for (code, environment, role, limits). */
  readonly configuration: string;
  readonly clockOffsetMs: number;
  busy = false;
  private readonly child: ChildProcess;
  private readonly ready: Promise<void>;
  private exited = false;
  private killed = false;
  private startedAt = 0;
  private currentRequest: string | undefined;
  private settle: ((outcome: InvocationOutcome) => void) | undefined;

  constructor(private readonly options: EnvironmentOptions) {
    const { fn } = options;
    this.id = options.id;
    this.configuration = configurationDigest(fn);
    this.clockOffsetMs = options.clockOffsetMs;
    this.child = fork(options.workerScript, [], {
      cwd: options.taskRoot,
      execPath: options.nodeBinary,
      execArgv: [`--max-old-space-size=${Math.max(64, fn.memoryMiB)}`],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: {
        ...fn.environment,
        PATH: '/usr/local/bin:/usr/bin:/bin',
        TZ: 'UTC',
        LANG: 'en_US.UTF-8',
        AWS_REGION: options.region,
        AWS_DEFAULT_REGION: options.region,
        AWS_LAMBDA_FUNCTION_NAME: fn.name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMiB),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
        AWS_LAMBDA_LOG_FORMAT: fn.logging.format,
        ...(fn.logging.format === 'JSON' && fn.logging.applicationLevel
          ? { AWS_LAMBDA_LOG_LEVEL: fn.logging.applicationLevel }
          : {}),
        LAMBDA_TASK_ROOT: options.taskRoot,
        _HANDLER: fn.handler,
        AWS_ACCESS_KEY_ID: options.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: options.credentials.secretAccessKey,
        AWS_SESSION_TOKEN: options.credentials.sessionToken ?? '',
        // The emulator's differences from Lambda: the SDK's endpoint, and shorter retry delays.
        AWS_ENDPOINT_URL: options.endpoint,
        [RETRY_DELAY_SCALE_VARIABLE]: String(options.retryDelayScale),
      },
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (stream)
        createInterface({ input: stream }).on('line', (line) => options.onLog(line, this.currentRequest));
    }
    this.ready = new Promise((resolve, reject) => {
      this.child.once('message', () => resolve());
      this.child.once('exit', (code) => reject(new Error(`the runtime exited during init (code ${code})`)));
    });
    this.ready.catch(() => undefined);
    this.child.on(
      'message',
      (message: {
        type: string;
        requestId?: string;
        ok?: boolean;
        value?: unknown;
        maxMemoryMiB?: number;
        error?: { errorType: string; errorMessage: string };
      }) => {
        if (message.type !== 'result' || !this.settle) return;
        const started = this.startedAt;
        const requestId = this.currentRequest ?? '';
        this.finish(
          message.ok
            ? {
                ok: true,
                value: message.value,
                requestId,
                durationMs: Date.now() - started,
                ...(message.maxMemoryMiB !== undefined ? { maxMemoryMiB: message.maxMemoryMiB } : {}),
              }
            : {
                ok: false,
                requestId,
                durationMs: Date.now() - started,
                errorType: message.error?.errorType ?? 'Error',
                errorMessage: message.error?.errorMessage ?? '',
                environmentLost: false,
              },
        );
      },
    );
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      this.finish(
        this.lost(
          'Runtime.ExitError',
          `RequestId: ${this.currentRequest} Error: Runtime exited ${signal ? `with signal: ${signal}` : `with error: exit status ${code}`}`,
        ),
      );
    });
  }

  get alive(): boolean {
    return !this.exited && !this.killed;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Runs one invocation; the environment is frozen again when it ends. */
  async invoke(event: unknown, requestId: string, invokedFunctionArn: string): Promise<InvocationOutcome> {
    this.busy = true;
    this.currentRequest = requestId;
    this.startedAt = Date.now();
    const { timeoutSeconds } = this.options.fn;
    try {
      await this.ready;
    } catch (error) {
      this.busy = false;
      return this.lost('Runtime.ExitError', (error as Error).message);
    }
    const outcome = new Promise<InvocationOutcome>((resolve) => {
      this.settle = resolve;
    });
    const timer = setTimeout(() => {
      this.finish(this.lost('Sandbox.Timedout', `Task timed out after ${timeoutSeconds.toFixed(2)} seconds`));
      this.kill();
    }, timeoutSeconds * 1000);
    this.signal('SIGCONT');
    this.child.send({
      type: 'invoke',
      requestId,
      event,
      invokedFunctionArn,
      clockOffsetMs: this.clockOffsetMs,
      deadline: this.startedAt + timeoutSeconds * 1000,
    });
    const result = await outcome;
    clearTimeout(timer);
    if (result.ok || !result.environmentLost) this.signal('SIGSTOP');
    this.busy = false;
    this.currentRequest = undefined;
    return result;
  }

  /** Ends the environment at once, as a crash or a timeout does. */
  kill(): void {
    this.killed = true;
    if (!this.exited) this.child.kill('SIGKILL');
  }

  private finish(outcome: InvocationOutcome): void {
    const settle = this.settle;
    this.settle = undefined;
    settle?.(outcome);
  }

  private lost(errorType: string, errorMessage: string): InvocationOutcome {
    return {
      ok: false,
      requestId: this.currentRequest ?? '',
      durationMs: Date.now() - this.startedAt,
      errorType,
      errorMessage,
      environmentLost: true,
    };
  }

  private signal(signal: 'SIGSTOP' | 'SIGCONT'): void {
    if (!this.exited && this.child.pid) process.kill(this.child.pid, signal);
  }
}

/** Lambda starts new environments after any change of code or configuration. */
export function configurationDigest(fn: DeployedFunction): string {
  const { codeSha256, handler, memoryMiB, timeoutSeconds, roleArn, environment, runtime } = fn;
  return createHash('sha256')
    .update(JSON.stringify({ codeSha256, handler, memoryMiB, timeoutSeconds, roleArn, environment, runtime }))
    .digest('hex');
}
