/** Structured JSON logs: constant messages, ids as keys. One line per entry on stdout. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFields = Record<string, unknown>;

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export type LogSink = (line: string) => void;

export function parseLogLevel(value: string | undefined): LogLevel {
  const level = (value ?? 'info').toLowerCase();
  return level in rank ? (level as LogLevel) : 'info';
}

export function createLogger(
  service: string,
  options: { level?: LogLevel; sink?: LogSink; fields?: LogFields } = {},
): Logger {
  const threshold = rank[options.level ?? 'info'];
  const sink = options.sink ?? ((line: string) => process.stdout.write(`${line}\n`));
  const base = { service, ...options.fields };
  const write = (level: LogLevel, message: string, fields?: LogFields) => {
    if (rank[level] < threshold) return;
    sink(
      JSON.stringify({ time: new Date().toISOString(), level, message, ...base, ...fields }, errorReplacer),
    );
  };
  return {
    debug: (message, fields) => write('debug', message, fields),
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
    child: (fields) => createLogger(service, { ...options, fields: { ...options.fields, ...fields } }),
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, code: (value as { code?: unknown }).code };
  }
  return value;
}

/** A logger that drops everything: for tests and benchmarks that assert on results, not logs. */
export const silentLogger: Logger = createLogger('silent', { level: 'silent' });
