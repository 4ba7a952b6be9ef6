import { stopTerraform } from './deploy/terraform';

type Hook = () => Promise<void> | void;

const REPEAT_MS = 1500;

const SIGNAL_CODES: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/**
 * What a local run undoes on every way out: its end, an error, Ctrl-C, a TERM or a closed
 * terminal. Hooks run once, newest first (what was started last is stopped first), and a hook
 * that fails does not keep the others from running. A signal first stops any terraform the run
 * started (with its provider plugins), then runs the hooks and exits with 128 + the signal's
 * number; a second signal exits at once. Ctrl-C reaches every process of the terminal's group,
 * and the launchers in front of this one (npm, the Node toolchain, tsx) pass it on too: copies
 * that arrive within `REPEAT_MS` of the first are the same interrupt, not a second one.
 */
export class Shutdown {
  private readonly hooks: { name: string; hook: Hook }[] = [];
  private running: Promise<string[]> | undefined;

  /** Adds something to undo; `name` is what a failure of it is reported as. */
  add(name: string, hook: Hook): void {
    this.hooks.push({ name, hook });
  }

  /** Runs the hooks (once; later calls wait for the first) and returns the failures. */
  run(): Promise<string[]> {
    this.running ??= (async () => {
      const failures: string[] = [];
      for (const { name, hook } of [...this.hooks].reverse()) {
        try {
          await hook();
        } catch (error) {
          failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      return failures;
    })();
    return this.running;
  }

  /** Stops everything on SIGINT, SIGTERM and SIGHUP, saying so, and exits. */
  onSignals(say: (line: string) => void, exit: (code: number) => void = (code) => process.exit(code)): void {
    let stopping: number | undefined;
    for (const signal of Object.keys(SIGNAL_CODES) as NodeJS.Signals[]) {
      process.on(signal, () => {
        const code = SIGNAL_CODES[signal] ?? 1;
        if (stopping !== undefined) {
          if (Date.now() - stopping > REPEAT_MS) exit(code);
          return;
        }
        stopping = Date.now();
        say(`\n${signal}: stopping, and removing what this run started (again to quit at once)`);
        void stopTerraform()
          .then(() => this.run())
          .then((failures) => {
            for (const f of failures) say(`  could not undo ${f}`);
            exit(code);
          });
      });
    }
  }
}
