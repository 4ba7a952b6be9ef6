import { randomUUID } from 'node:crypto';
import type { InvocationObserver } from './fault-injector';

/** A deployed function as the local run knows it: its bundle and its environment. */
export interface LocalFunction {
  name: string;
  arn: string;
  bundle: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
}

type Handler = (event: unknown, context: object) => Promise<unknown>;

/**
 * Runs bundled handlers as Lambda does: the module is loaded once (a warm container), the
 * function's environment is in place during the call, and the context tells the time left.
 */
export class LocalLambdaRuntime {
  private readonly handlers = new Map<string, Handler>();
  readonly invocations: { functionName: string; event: unknown; result?: unknown; error?: string }[] = [];

  constructor(
    private readonly functions: readonly LocalFunction[],
    private readonly observer?: InvocationObserver,
  ) {}

  /**
   * An asynchronous invocation as Lambda runs it: a function error or crash is retried up to
   * `retries` more times (Lambda's default is 2); the last error is returned, not thrown, as
   * it would go to the on-failure destination.
   */
  async invokeAsync(
    functionName: string,
    event: unknown,
    retries = 2,
  ): Promise<{ result?: unknown; error?: string; attempts: number }> {
    let error = '';
    for (let attempt = 1; attempt <= retries + 1; attempt++) {
      try {
        return { result: await this.invoke(functionName, event), attempts: attempt };
      } catch (e) {
        error = (e as Error).message;
      }
    }
    return { error, attempts: retries + 1 };
  }

  byArn(arn: string): LocalFunction | undefined {
    return this.functions.find((f) => f.arn === arn || f.name === arn);
  }

  async invoke(functionName: string, event: unknown): Promise<unknown> {
    const fn = this.byArn(functionName);
    if (!fn) throw new Error(`no local function named ${functionName}`);
    const saved = { ...process.env };
    Object.assign(process.env, fn.environment, { AWS_LAMBDA_FUNCTION_NAME: fn.name });
    const record: (typeof this.invocations)[number] = { functionName: fn.name, event };
    this.invocations.push(record);
    this.observer?.begin(fn.name);
    let crash: { crashed: boolean; at?: string } = { crashed: false };
    try {
      const handler = this.load(fn);
      const deadline = Date.now() + fn.timeoutSeconds * 1000;
      const result = await handler(event, {
        functionName: fn.name,
        awsRequestId: randomUUID(),
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      }).finally(() => {
        crash = this.observer?.end() ?? { crashed: false };
      });
      if (crash.crashed) throw new Error(`${fn.name} crashed at ${crash.at}`);
      record.result = result;
      return result;
    } catch (error) {
      record.error = crash.crashed ? `${fn.name} crashed at ${crash.at}` : (error as Error).message;
      throw crash.crashed ? new Error(record.error) : error;
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  }

  private load(fn: LocalFunction): Handler {
    let handler = this.handlers.get(fn.name);
    if (!handler) {
      handler = (require(fn.bundle) as { handler: Handler }).handler;
      this.handlers.set(fn.name, handler);
    }
    return handler;
  }
}
