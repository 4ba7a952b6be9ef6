import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { LambdaContext } from './lambda-context';

/**
 * Structured JSON logs, one object per line: constant messages, ids as keys, errors as errors
 * (name, message, stack, cause). Written by Powertools for AWS Lambda's Logger, which adds what
 * Lambda users look for: the request id, cold start, function, X-Ray trace id and sampling, and
 * takes its level from Lambda's log-level controls (AWS_LAMBDA_LOG_LEVEL) or LOG_LEVEL.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose every line also carries `fields` (a build id, say). */
  child(fields: LogFields): Logger;
}

/** A function's logger: what an invocation logs carries that invocation's context. */
export interface FunctionLogger extends Logger {
  /**
   * Starts an invocation: its request id, cold start and function go on every line from now on,
   * and the last invocation's keys go.
   */
  startInvocation(context: LambdaContext | undefined): void;
  /** Adds keys to every line of the current invocation (a build id learnt from the event). */
  appendKeys(keys: LogFields): void;
}

class Structured implements FunctionLogger {
  constructor(private readonly logger: PowertoolsLogger) {}

  debug(message: string, fields: LogFields = {}): void {
    this.logger.debug(message, fields);
  }
  info(message: string, fields: LogFields = {}): void {
    this.logger.info(message, fields);
  }
  warn(message: string, fields: LogFields = {}): void {
    this.logger.warn(message, fields);
  }
  error(message: string, fields: LogFields = {}): void {
    this.logger.error(message, fields);
  }
  child(fields: LogFields): Logger {
    return new Structured(this.logger.createChild({ persistentKeys: fields }));
  }
  startInvocation(context: LambdaContext | undefined): void {
    this.logger.resetKeys();
    // Powertools reads the context's name, version, memory, ARN and request id (all Lambda gives).
    if (context) this.logger.addContext(context as Parameters<PowertoolsLogger['addContext']>[0]);
    this.logger.refreshSampleRateCalculation();
  }
  appendKeys(keys: LogFields): void {
    this.logger.appendKeys(keys);
  }
}

/**
 * A logger for `service`. Without `level`, the level is Lambda's application log level
 * (AWS_LAMBDA_LOG_LEVEL), else LOG_LEVEL, else info.
 */
export function createLogger(
  service: string,
  options: { level?: LogLevel; fields?: LogFields } = {},
): FunctionLogger {
  return new Structured(
    new PowertoolsLogger({
      serviceName: service,
      ...(options.level ? { logLevel: options.level.toUpperCase() as 'INFO' } : {}),
      ...(options.fields ? { persistentKeys: options.fields } : {}),
    }),
  );
}
