/**
 * Every path through a step-by-step plan: from a starting set of facts, the plan names a step;
 * each answer the step can receive (a success, an error from the call, a refusal for good, a
 * refused clean-up, a report not attested yet) gives the facts the plan is asked again with,
 * until it names a step that ends the invocation. The table tests walk every path and check
 * where it ends against what its answers say it must.
 */

/** What an answer does to the build: it goes on, it waits for an event or the sweep, or it ends with a code. */
export type Effect = { goesOn: true } | { waits: true } | { ends: string };

/** One answer a step can receive, named for the table, with the facts it leaves. */
export interface Answer<F> {
  name: string;
  effect: Effect;
  facts: F;
}

export interface Path<F, S> {
  /** The steps in order, the last one ending the invocation. */
  steps: S[];
  answers: Answer<F>[];
  /** The facts the last step was planned from. */
  facts: F;
}

/** The effect of a path's answers: the first one that ends or waits decides; otherwise it goes on. */
export function effectOf(answers: readonly Answer<unknown>[]): Effect {
  return answers.find((a) => !('goesOn' in a.effect))?.effect ?? { goesOn: true };
}

/** A path as one line of a table: `start → step (answer) → … → last step`. */
export function describePath<F, S extends { kind: string }>(start: string, path: Path<F, S>): string {
  const hops = path.answers.map((a, i) => `${path.steps[i]?.kind} (${a.name})`);
  return [start, ...hops, path.steps.at(-1)?.kind].join(' → ');
}

/**
 * Walks every path of `plan` from `start`. `answersTo` lists what a step can receive, or
 * undefined for a step that ends the invocation. A path longer than `maxSteps` is a loop in
 * the plan: it throws, naming the path.
 */
export function explore<F, S extends { kind: string }>(
  start: F,
  plan: (facts: F) => S,
  answersTo: (step: S, facts: F) => readonly Answer<F>[] | undefined,
  maxSteps = 16,
): Path<F, S>[] {
  const paths: Path<F, S>[] = [];
  const walk = (facts: F, steps: S[], answers: Answer<F>[]) => {
    const step = plan(facts);
    const sofar = [...steps, step];
    if (sofar.length > maxSteps) {
      const names = answers.map((a) => a.name).join(', ');
      throw new Error(
        `the plan did not end within ${maxSteps} steps: ${sofar.map((s) => s.kind).join(' → ')} (answers: ${names})`,
      );
    }
    const next = answersTo(step, facts);
    if (!next) {
      paths.push({ steps: sofar, answers, facts });
      return;
    }
    if (next.length === 0) throw new Error(`step ${step.kind} has no answers: list what it can receive`);
    for (const answer of next) walk(answer.facts, sofar, [...answers, answer]);
  };
  walk(start, [], []);
  return paths;
}
