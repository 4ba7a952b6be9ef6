import type { IncomingHttpHeaders } from 'node:http';

/**
 * Fault injection for the local run: fails the Nth AWS call that the functions make, the way
 * AWS can. `throttle` and `server-error` are retried by the SDK; `permanent` is an error no
 * retry fixes; `crash` lets the call take effect and then kills the invocation (every later
 * call of that invocation fails without effect, and the invocation counts as a crash, so
 * Lambda's retries take over).
 */
export type FaultKind = 'throttle' | 'server-error' | 'permanent' | 'crash';
export const FAULT_KINDS: readonly FaultKind[] = ['throttle', 'server-error', 'permanent', 'crash'];

/** How the service encodes its errors on the wire. */
export type Protocol = 'query' | 'json' | 's3' | 'lambda';

export interface Call {
  /** The function that made the call. */
  fn: string;
  /** "ec2:RunInstances", "dynamodb:TransactWriteItems", "s3:GET", "lambda:Invoke"... */
  action: string;
}

/** The Nth call fails; `code` and `status` override the kind's error; `times` fails that many calls in a row. */
export interface Fault {
  at: number;
  kind: FaultKind;
  code?: string;
  status?: number;
  times?: number;
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type Verdict = { kind: 'pass' } | { kind: 'answer'; answer: Answer } | { kind: 'crash-after' };

/** Watches the invocations of the local Lambda runtime. */
export interface InvocationObserver {
  begin(functionName: string): void;
  /** Ends the current invocation; `crashed` when a fault killed it. */
  end(): { crashed: boolean; at?: string };
}

export class FaultInjector implements InvocationObserver {
  /** Every AWS call the functions made since the last reset, in order. */
  readonly trace: Call[] = [];
  private current: string | undefined;
  private crashedAt: string | undefined;
  private armed: Fault | undefined;
  private firings = 0;
  /** Where the armed fault fired, once it has. */
  fired: (Call & { kind: FaultKind }) | undefined;

  reset(fault?: Fault): void {
    this.trace.length = 0;
    this.armed = fault;
    this.fired = undefined;
    this.firings = 0;
  }

  begin(functionName: string): void {
    this.current = functionName;
    this.crashedAt = undefined;
  }

  end(): { crashed: boolean; at?: string } {
    const crashed = this.crashedAt;
    this.current = undefined;
    this.crashedAt = undefined;
    return crashed ? { crashed: true, at: crashed } : { crashed: false };
  }

  /** Decides what happens to one call; calls made outside an invocation (the harness's) pass. */
  onCall(action: string, protocol: Protocol): Verdict {
    if (!this.current) return { kind: 'pass' };
    if (this.crashedAt) return { kind: 'answer', answer: errorAnswer(protocol, 400, 'InvocationCrashed') };
    const call = { fn: this.current, action };
    this.trace.push(call);
    const fault = this.armed;
    if (!fault || this.trace.length < fault.at || this.firings >= (fault.times ?? 1)) return { kind: 'pass' };
    this.firings++;
    this.fired ??= { ...call, kind: fault.kind };
    if (fault.kind === 'crash') {
      this.crashedAt = action;
      return { kind: 'crash-after' };
    }
    const answer = fault.code
      ? errorAnswer(protocol, fault.status ?? 400, fault.code)
      : faultAnswer(protocol, fault.kind);
    return { kind: 'answer', answer };
  }

  /** What the crashed call answers after taking effect. */
  crashAnswer(protocol: Protocol): Answer {
    return errorAnswer(protocol, 400, 'InvocationCrashed');
  }
}

function faultAnswer(protocol: Protocol, kind: Exclude<FaultKind, 'crash'>): Answer {
  if (kind === 'server-error') return errorAnswer(protocol, 500, 'InternalError');
  const codes: Record<Protocol, Record<'throttle' | 'permanent', [number, string]>> = {
    query: { throttle: [503, 'RequestLimitExceeded'], permanent: [403, 'UnauthorizedOperation'] },
    json: { throttle: [400, 'ThrottlingException'], permanent: [400, 'AccessDeniedException'] },
    s3: { throttle: [503, 'SlowDown'], permanent: [403, 'AccessDenied'] },
    lambda: { throttle: [429, 'TooManyRequestsException'], permanent: [403, 'AccessDeniedException'] },
  };
  const [status, code] = codes[protocol][kind];
  return errorAnswer(protocol, status, code);
}

/** An error answer in the service's own encoding, so that the SDK reads its code. */
export function errorAnswer(protocol: Protocol, status: number, code: string): Answer {
  const message = `injected fault: ${code}`;
  if (protocol === 'json' || protocol === 'lambda') {
    return {
      status,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': code },
      body: Buffer.from(JSON.stringify({ __type: code, message })),
    };
  }
  const xml =
    protocol === 'query'
      ? `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>fault</RequestID></Response>`
      : `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>fault</RequestId></Error>`;
  return { status, headers: { 'content-type': 'text/xml' }, body: Buffer.from(xml) };
}
