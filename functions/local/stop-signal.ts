/**
 * Ctrl+C for the long-running commands (`run`, `demo`): the first SIGINT or SIGTERM lets the
 * current cycle finish — no transfer is left half-recorded — and the command then exits with the
 * shell's code for that signal (130, 143), the same for both; a second one quits at once.
 */
import { styleText } from 'node:util';

const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;
type StopSignal = keyof typeof SIGNAL_EXIT_CODES;

export interface GracefulStop {
  /** A signal arrived (or `stop` was called): finish the cycle under way and start no other. */
  readonly stopping: boolean;
  /** Aborted on the first signal: a wait between cycles ends early. */
  readonly signal: AbortSignal;
  /** Stops as a signal would, without its exit code (a caller's own AbortSignal). */
  stop(): void;
  /** The command's exit code: the signal's when one stopped it, else `code`. */
  exitCode(code: number): number;
  /** Stops listening for signals. */
  dispose(): void;
}

export function onStopSignal(print: (line: string) => void): GracefulStop {
  const controller = new AbortController();
  let received: StopSignal | undefined;
  const handlers = (Object.keys(SIGNAL_EXIT_CODES) as StopSignal[]).map((name) => {
    const handler = () => {
      if (controller.signal.aborted && received !== undefined)
        process.exit(SIGNAL_EXIT_CODES[name]);
      received = name;
      controller.abort();
      print(styleText('yellow', 'stopping after this cycle (Ctrl+C again to quit at once)…'));
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  return {
    get stopping() {
      return controller.signal.aborted;
    },
    signal: controller.signal,
    stop: () => controller.abort(),
    exitCode: (code) => (received === undefined ? code : SIGNAL_EXIT_CODES[received]),
    dispose() {
      for (const [name, handler] of handlers) process.off(name, handler);
    },
  };
}
