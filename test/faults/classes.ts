import type { FaultKind, TracedCall } from '../../local/emulator/fault-injector';

/**
 * Where the fault layer injects, read from a clean cycle's trace. A refusal for good and a crash
 * are handled by the code around each call, so they go to every class of calls: one point per
 * run of one action in one invocation (repeated calls of an action in one step are one point; a
 * step is a run of the invocation's calls). A throttle and a 500 are handled by the retry strategy
 * every client of a function shares (proven per client in `test/unit/shared/retry.test.ts`):
 * they go to one point per function. `everyCall` keeps the per-call sweep instead: every call a
 * refusal and a crash, the first call of each (function, action, region) also a throttle and a 500.
 */
export interface FaultClass {
  /** The call's position in the trace, from 1 (the fault injector's `at`). */
  at: number;
  call: TracedCall;
  kinds: readonly FaultKind[];
  /** What the class stands for. */
  what: 'calls' | 'retries';
}

const REFUSED: readonly FaultKind[] = ['permanent', 'crash'];
const RETRIED: readonly FaultKind[] = ['throttle', 'server-error'];

export const pairOf = (call: TracedCall) => `${call.fn} ${call.action} ${call.region}`;

export function faultClasses(
  trace: readonly TracedCall[],
  select: (call: TracedCall) => boolean,
  everyCall = false,
): FaultClass[] {
  const classes: FaultClass[] = [];
  const retried = new Set<string>();
  trace.forEach((call, index) => {
    if (!select(call)) return;
    const at = index + 1;
    const retryKey = everyCall ? pairOf(call) : call.fn;
    const first = !retried.has(retryKey);
    retried.add(retryKey);
    if (everyCall) {
      classes.push({ at, call, kinds: first ? [...RETRIED, ...REFUSED] : REFUSED, what: 'calls' });
      return;
    }
    if (first) classes.push({ at, call, kinds: RETRIED, what: 'retries' });
    const previous = trace[index - 1];
    const sameRun =
      previous !== undefined &&
      previous.requestId === call.requestId &&
      previous.action === call.action &&
      previous.region === call.region;
    if (!sameRun) classes.push({ at, call, kinds: REFUSED, what: 'calls' });
  });
  return classes;
}
