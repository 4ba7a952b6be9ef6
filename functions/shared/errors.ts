/**
 * The one error type of amibake. `code` names the failure for people and for build records;
 * `cause` keeps the underlying error (an AWS SDK error, a parse error) for the logs.
 */
export class AmiBakeError extends Error {
  override readonly name: string = 'AmiBakeError';
  readonly code: string;

  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? 'AmiBakeError';
  }
}

/** A recipe, document or configuration that cannot be used. Callers skip the input it names. */
export class InvalidInputError extends AmiBakeError {
  override readonly name = 'InvalidInputError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.join('\n'), { code: 'InvalidInput' });
    this.problems = problems;
  }
}

/** The `name` of an AWS SDK error (`InvalidAMIID.NotFound`), or undefined for anything else. */
export function awsErrorName(error: unknown): string | undefined {
  if (error instanceof Error && error.name !== 'Error') return error.name;
  return undefined;
}

/** A short, readable description of any thrown value, for logs and build records. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** Errors the SDK marks as client faults but that a later retry can clear. */
const TRANSIENT_CLIENT_ERRORS = new Set([
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'SlowDown',
  'ProvisionedThroughputExceededException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TransactionInProgressException',
  'TransactionConflictException',
]);

/**
 * An AWS refusal that no retry will change: a client fault (AccessDenied, UnauthorizedOperation,
 * a validation error...) other than throttling. A build that meets one must end rather than wait.
 */
export function isRefusedForGood(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const fault = (error as { $fault?: string }).$fault;
  return fault === 'client' && !TRANSIENT_CLIENT_ERRORS.has(error.name);
}
