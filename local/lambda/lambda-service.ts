import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildSync } from 'esbuild';
import type { CallerRegistry } from '../emulator/callers';
import type { DeployedFunction, DeployedFunctions } from './deployed-functions';
import { configurationDigest, ExecutionEnvironment, type InvocationOutcome } from './execution-environment';
import type { RuntimeBinaries } from './node-runtimes';
import { unzip } from './unzip';

/** One invocation as the emulated Lambda service ran it. */
export interface InvocationRecord {
  functionName: string;
  requestId: string;
  /** What invoked it: `schedule amibake_schedule`, `rule amibake-<build>`, `invoke from <function>`... */
  source: string;
  event: unknown;
  attempt: number;
  outcome: InvocationOutcome;
}

/** How many clock offsets keep their environments warm (a cycle, its sweep and a later sweep). */
const WARM_CLOCKS = 3;

/** What Lambda does with an asynchronous invocation that failed every attempt. */
type FailureDelivery = (fn: DeployedFunction, record: object, destination: string) => Promise<string>;

interface QueuedEvent {
  functionName: string;
  event: unknown;
  source: string;
  attempt: number;
  requestId: string;
  receivedAt: number;
}

export interface LambdaServiceOptions {
  endpoint: string;
  region: string;
  /** The fraction of the SDK's retry delays the functions wait. */
  retryDelayScale: number;
  callers: CallerRegistry;
  functions: Pick<DeployedFunctions, 'get' | 'asyncSettings' | 'qualifiedArn'>;
  /** Scratch space: unpacked packages and the runtime's worker script. */
  workdir: string;
  /** The Node.js binary each runtime runs on. */
  runtimes: RuntimeBinaries;
  deliverFailure: FailureDelivery;
}

/**
 * The emulated Lambda service: runs the deployed functions in execution environments of their
 * own (reused while warm, one invocation at a time each), queues asynchronous invocations and
 * retries them as the function's event invoke configuration says, then hands what still failed
 * to its on-failure destination.
 */
export class LambdaService {
  readonly invocations: InvocationRecord[] = [];
  readonly logs: { functionName: string; requestId: string | undefined; line: string }[] = [];
  /**
   * How far the functions' clock is ahead of this machine's: a test sets it to let time pass.
   * An environment lives at one offset: the clock of a process never jumps (the SDK's adaptive
   * rate limiter, for one, assumes it does not), so a new offset gets new environments, as
   * Lambda would have reclaimed idle ones in the hours skipped. The environments of the last
   * few offsets stay warm (frozen), so that going back and forth between a cycle and its sweep
   * starts no process.
   */
  clockOffsetMs = 0;
  /** The clock offsets whose environments stay warm, the one used last first. */
  private warmClocks: number[] = [];
  private readonly queue: QueuedEvent[] = [];
  private readonly pools = new Map<string, ExecutionEnvironment[]>();
  private readonly running = new Map<string, { functionName: string; requestId: string }>();
  private readonly workerScript: string;

  constructor(private readonly options: LambdaServiceOptions) {
    this.workerScript = join(options.workdir, 'lambda-worker.js');
    mkdirSync(options.workdir, { recursive: true });
    buildSync({
      entryPoints: [join(__dirname, 'worker.ts')],
      outfile: this.workerScript,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      // The oldest Node the worker may run on: the nodejs22.x runtime's.
      target: 'node22',
      logLevel: 'warning',
    });
  }

  /** The deployed function (fails as Lambda does for a function that does not exist). */
  describe(functionName: string): Promise<DeployedFunction> {
    return this.options.functions.get(functionName);
  }

  /**
   * A synchronous (RequestResponse) invocation. `functionName` may carry an alias
   * (`name:alias`): the handler then sees the alias ARN as its context's invokedFunctionArn.
   */
  async invoke(
    functionName: string,
    event: unknown,
    source: string,
    attempt = 1,
    requestId: string = randomUUID(),
  ): Promise<InvocationOutcome> {
    const [name, qualifier] = functionName.split(':') as [string, string | undefined];
    const fn = await this.options.functions.get(name);
    const invokedArn = qualifier ? await this.options.functions.qualifiedArn(name, qualifier) : fn.arn;
    const environment = this.environmentFor(fn);
    this.running.set(environment.id, { functionName: fn.name, requestId });
    const outcome = await environment
      .invoke(event, requestId, invokedArn)
      .finally(() => this.running.delete(environment.id));
    if (!environment.alive) this.discard(fn.name, environment);
    this.invocations.push({ functionName: fn.name, requestId, source, event, attempt, outcome });
    return outcome;
  }

  /** An asynchronous (Event) invocation: queued, run by `drain()`. */
  invokeAsync(functionName: string, event: unknown, source: string): string {
    const requestId = randomUUID();
    this.queue.push({ functionName, event, source, attempt: 1, requestId, receivedAt: Date.now() });
    return requestId;
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Loses the queued asynchronous invocations (a lost delivery, for tests); returns them. */
  dropQueued(): { functionName: string; event: unknown }[] {
    return this.queue.splice(0).map(({ functionName, event }) => ({ functionName, event }));
  }

  /**
   * Runs queued asynchronous invocations, including those they queue, until none is left. A
   * failed one is retried up to the function's MaximumRetryAttempts (Lambda waits a minute, then
   * two, between attempts; here the retry joins the back of the queue), then goes to its
   * on-failure destination, or is dropped as Lambda drops it.
   */
  async drain(onEach?: (record: InvocationRecord) => void): Promise<void> {
    for (let next = this.queue.shift(); next; next = this.queue.shift()) {
      const outcome = await this.invoke(
        next.functionName,
        next.event,
        next.source,
        next.attempt,
        next.requestId,
      );
      const record = this.invocations[this.invocations.length - 1] as InvocationRecord;
      onEach?.(record);
      if (outcome.ok) continue;
      const settings = await this.options.functions.asyncSettings(unqualified(next.functionName));
      const age = (Date.now() - next.receivedAt) / 1000;
      if (next.attempt <= settings.maximumRetryAttempts && age < settings.maximumEventAgeSeconds) {
        this.queue.push({ ...next, attempt: next.attempt + 1 });
      } else if (settings.onFailure) {
        const fn = await this.options.functions.get(unqualified(next.functionName));
        await this.options.deliverFailure(fn, failureRecord(fn, next, outcome), settings.onFailure);
      }
    }
  }

  /** The processes of a function's execution environments (to inspect what they run with). */
  processesOf(functionName: string): number[] {
    return (this.pools.get(functionName) ?? []).flatMap((e) => (e.alive && e.pid ? [e.pid] : []));
  }

  /** The invocation an execution environment is running, for the calls it makes. */
  invocationOf(environmentId: string): { functionName: string; requestId: string } | undefined {
    return this.running.get(environmentId);
  }

  /** Kills an execution environment in the middle of its invocation (a crash). */
  crash(environmentId: string): void {
    for (const pool of this.pools.values()) pool.find((e) => e.id === environmentId)?.kill();
  }

  stop(): void {
    for (const pool of this.pools.values()) for (const environment of pool) environment.kill();
    this.pools.clear();
  }

  private environmentFor(fn: DeployedFunction): ExecutionEnvironment {
    this.warmClocks = [this.clockOffsetMs, ...this.warmClocks.filter((c) => c !== this.clockOffsetMs)].slice(
      0,
      WARM_CLOCKS,
    );
    const pool = (this.pools.get(fn.name) ?? []).filter((e) => {
      const warm = this.warmClocks.includes(e.clockOffsetMs);
      const current = e.alive && e.configuration === configurationDigest(fn) && (warm || e.busy);
      if (!current) e.kill();
      return current;
    });
    this.pools.set(fn.name, pool);
    const idle = pool.find((e) => !e.busy && e.clockOffsetMs === this.clockOffsetMs);
    if (idle) return idle;
    const id = randomUUID();
    const environment = new ExecutionEnvironment({
      id,
      fn,
      taskRoot: this.unpack(fn),
      workerScript: this.workerScript,
      nodeBinary: this.options.runtimes(fn.runtime),
      credentials: this.options.callers.issue({
        kind: 'function',
        functionName: fn.name,
        roleArn: fn.roleArn,
        environmentId: id,
      }),
      endpoint: this.options.endpoint,
      region: this.options.region,
      retryDelayScale: this.options.retryDelayScale,
      clockOffsetMs: this.clockOffsetMs,
      onLog: (line, requestId) => this.logs.push({ functionName: fn.name, requestId, line }),
    });
    pool.push(environment);
    return environment;
  }

  private discard(functionName: string, environment: ExecutionEnvironment): void {
    this.pools.set(
      functionName,
      (this.pools.get(functionName) ?? []).filter((e) => e !== environment),
    );
  }

  /** The package unpacked once per code version: LAMBDA_TASK_ROOT. */
  private unpack(fn: DeployedFunction): string {
    const root = join(
      this.options.workdir,
      'functions',
      fn.name,
      fn.codeSha256.replace(/[^A-Za-z0-9]/g, '_'),
    );
    if (!existsSync(join(root, '.unpacked'))) {
      for (const [name, content] of unzip(readFileSync(fn.packagePath))) {
        const file = join(root, name);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, content);
      }
      writeFileSync(join(root, '.unpacked'), fn.codeSha256);
    }
    return root;
  }
}

/** The record Lambda sends to an on-failure destination (its documented shape). */
function failureRecord(
  fn: DeployedFunction,
  event: QueuedEvent,
  outcome: Extract<InvocationOutcome, { ok: false }>,
): object {
  return {
    version: '1.0',
    timestamp: new Date().toISOString(),
    requestContext: {
      requestId: event.requestId,
      functionArn: `${fn.arn}:$LATEST`,
      condition: 'RetriesExhausted',
      approximateInvokeCount: event.attempt,
    },
    requestPayload: event.event,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorType: outcome.errorType, errorMessage: outcome.errorMessage },
  };
}

function unqualified(functionName: string): string {
  return functionName.split(':')[0] as string;
}
