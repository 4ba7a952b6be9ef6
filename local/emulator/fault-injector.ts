import type { Answer } from './answers';
import { errorAnswer } from './answers';
import { type AwsRequest, callName } from './aws-request';
import type { Layer } from './gateway';

/**
 * Fault injection: fails the Nth AWS call the functions make, the way AWS can. `throttle` and
 * `server-error` fail that call once (the SDK retries them); `permanent` refuses that function's
 * action from then on, as a missing permission would; `crash` lets the call take effect, then
 * kills the execution environment that made it (Lambda's retries take over).
 */
export type FaultKind = 'throttle' | 'server-error' | 'permanent' | 'crash';

export interface TracedCall {
  /** The function that made the call. */
  fn: string;
  /** "ec2:RunInstances", "dynamodb:TransactWriteItems", "s3:GetObject", "lambda:Invoke"... */
  action: string;
  /** The region the call went to. */
  region: string;
  /** The invocation that made it. */
  requestId: string;
}

/** The Nth call fails (or the first call of `action`); `code` and `status` replace the kind's error. */
export interface Fault {
  at?: number;
  action?: string;
  kind: FaultKind;
  code?: string;
  status?: number;
}

/** Which invocation an execution environment is running (from the emulated Lambda service). */
export type InvocationOf = (environmentId: string) => { functionName: string; requestId: string } | undefined;

export class FaultInjector {
  /** Every call the functions made since the last reset, in order. */
  readonly trace: TracedCall[] = [];
  /** Where the armed fault fired, once it has. */
  fired: (TracedCall & { kind: FaultKind }) | undefined;
  private armed: Fault | undefined;
  private refused: (TracedCall & { answer: (request: AwsRequest) => Answer }) | undefined;

  constructor(
    private readonly invocationOf: InvocationOf,
    private readonly crash: (environmentId: string) => void,
  ) {}

  reset(fault?: Fault): void {
    this.trace.length = 0;
    this.armed = fault;
    this.fired = undefined;
    this.refused = undefined;
  }

  readonly layer: Layer = async ({ request, caller }, next) => {
    if (caller?.kind !== 'function' || request.presigned) return next();
    const invocation = this.invocationOf(caller.environmentId);
    if (!invocation) return next();
    const call = {
      fn: invocation.functionName,
      action: callName(request),
      region: request.region,
      requestId: invocation.requestId,
    };
    this.trace.push(call);
    if (this.refused && this.refused.fn === call.fn && this.refused.action === call.action) {
      return this.refused.answer(request);
    }
    const fault = this.armed;
    const hit =
      fault &&
      (fault.at === undefined || this.trace.length === fault.at) &&
      (fault.action === undefined || fault.action === call.action);
    if (!fault || this.fired || !hit) return next();
    this.fired = { ...call, kind: fault.kind };
    if (fault.kind === 'crash') {
      const answer = await next();
      this.crash(caller.environmentId);
      return answer;
    }
    const answer = (r: AwsRequest) =>
      fault.code
        ? errorAnswer(r, fault.status ?? 400, fault.code, `injected fault: ${fault.code}`)
        : this.failure(r, fault.kind as Exclude<FaultKind, 'crash'>);
    if (fault.kind === 'permanent') this.refused = { ...call, answer };
    return answer(request);
  };

  private failure(request: AwsRequest, kind: Exclude<FaultKind, 'crash'>): Answer {
    if (kind === 'server-error')
      return errorAnswer(request, 500, 'InternalError', 'injected fault: InternalError');
    const codes: Record<AwsRequest['protocol'], Record<'throttle' | 'permanent', [number, string]>> = {
      query: { throttle: [503, 'RequestLimitExceeded'], permanent: [403, 'UnauthorizedOperation'] },
      json: { throttle: [400, 'ThrottlingException'], permanent: [400, 'AccessDeniedException'] },
      s3: { throttle: [503, 'SlowDown'], permanent: [403, 'AccessDenied'] },
      'rest-json': { throttle: [429, 'TooManyRequestsException'], permanent: [403, 'AccessDeniedException'] },
    };
    const [status, code] = codes[request.protocol][kind];
    const permanentCode = request.service === 'sns' && kind === 'permanent' ? 'AuthorizationError' : code;
    return errorAnswer(request, status, permanentCode, `injected fault: ${permanentCode}`);
  }
}
