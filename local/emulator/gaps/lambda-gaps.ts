import type { Answer } from '../answers';
import type { AwsRequest } from '../aws-request';
import type { Layer } from '../gateway';

type LoggingConfig = Record<string, unknown>;

/**
 * A function's LoggingConfig, which moto accepts and does not store: without it the AWS
 * provider reads `logging_config` back empty and plans an in-place update on every run. The
 * layer keeps what CreateFunction and UpdateFunctionConfiguration sent and puts it back into
 * the answers that describe the function, with Lambda's defaults for the JSON format.
 */
export class FunctionLoggingConfigs {
  private readonly configs = new Map<string, LoggingConfig>();

  clear(): void {
    this.configs.clear();
  }

  readonly layer: Layer = async ({ request }, next) => {
    if (request.protocol !== 'rest-json' || request.service !== 'lambda') return next();
    const name = functionNameOf(request);
    if (request.operation === 'CreateFunction' || request.operation === 'UpdateFunctionConfiguration') {
      const body = (request.json ?? {}) as { FunctionName?: string; LoggingConfig?: LoggingConfig };
      const answer = await next();
      const key = name ?? body.FunctionName;
      if (answer.status < 300 && key && body.LoggingConfig)
        this.configs.set(key, withDefaults(body.LoggingConfig));
      return key ? this.inject(answer, key, (c) => c) : answer;
    }
    if (!name) return next();
    if (request.operation === 'DeleteFunction') {
      this.configs.delete(name);
      return next();
    }
    if (request.operation === 'GetFunction')
      return this.inject(await next(), name, (body) => body.Configuration as Record<string, unknown>);
    if (request.operation === 'GetFunctionConfiguration') return this.inject(await next(), name, (c) => c);
    return next();
  };

  private inject(
    answer: Answer,
    name: string,
    configurationOf: (body: Record<string, unknown>) => Record<string, unknown> | undefined,
  ): Answer {
    const config = this.configs.get(name);
    if (!config || (answer.status !== 200 && answer.status !== 201)) return answer;
    const body = JSON.parse(answer.body.toString('utf-8')) as Record<string, unknown>;
    const configuration = configurationOf(body);
    if (!configuration) return answer;
    configuration.LoggingConfig = config;
    return { ...answer, body: Buffer.from(JSON.stringify(body)) };
  }
}

/** Lambda's answer for the JSON format carries the log levels it applies by default. */
function withDefaults(config: LoggingConfig): LoggingConfig {
  if (config.LogFormat !== 'JSON') return config;
  return { ApplicationLogLevel: 'INFO', SystemLogLevel: 'INFO', ...config };
}

/** The function a Lambda REST path names (`/2015-03-31/functions/<name or ARN>/...`). */
export function functionNameOf(request: Pick<AwsRequest, 'url'>): string | undefined {
  const segment = /^\/20\d\d-\d\d-\d\d\/functions\/([^/]+)/.exec(request.url.pathname)?.[1];
  if (!segment) return undefined;
  const name = decodeURIComponent(segment);
  return name.startsWith('arn:') ? (name.split(':')[6] ?? name) : name;
}
