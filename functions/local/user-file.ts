/** A user's file as text; a file that cannot be read is reported with its path, never a stack trace. */
import { readFileSync } from 'node:fs';

export class UserFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserFileError';
  }
}

/** The text of `path`; `what` names the file in the message (`config`, `state`, …). */
export function readUserText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserFileError(
      `cannot read ${what} file ${path}: ${code === 'ENOENT' ? 'no such file' : String(e)}`,
    );
  }
}
