/**
 * Where a board that changes goes: a terminal gets it redrawn in place (log-update, sindresorhus's
 * — the renderer Ink and listr build on: it erases exactly the lines it drew last, and wraps to the
 * terminal's width), a pipe gets one plain line per update (a log, not 30 tables), `--json` one
 * JSON object per line.
 */
import { createLogUpdate } from 'log-update';

export type BoardOutput = 'redraw' | 'lines' | 'json';

export interface LiveBoard {
  /** The board's new state: `board` for a terminal, `line` for a pipe, `json` for machines. */
  update(view: { board: string; line: string; json: unknown }): void;
  /** Leaves the last board on the screen; what follows is printed below it. */
  done(): void;
}

/** Redraws on a terminal (`process.stdout` unless `out` is given), else prints plain lines. */
export function liveBoard(output: BoardOutput, print: (line: string) => void): LiveBoard {
  if (output === 'redraw') {
    const draw = createLogUpdate(process.stdout, { showCursor: false });
    return { update: (v) => draw(v.board), done: () => draw.done() };
  }
  return {
    update: (v) => print(output === 'json' ? JSON.stringify(v.json) : v.line),
    done: () => {},
  };
}

/** What suits this process: redraw on a terminal, plain lines in a pipe, JSON when asked. */
export const boardOutputFor = (json: boolean, tty = process.stdout.isTTY === true): BoardOutput =>
  json ? 'json' : tty ? 'redraw' : 'lines';
