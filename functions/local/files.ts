/** Reading the user's files: a missing file or bad JSON is reported with the path, never a stack trace. */
import { readFileSync } from 'node:fs';
import { type Config, parseConfig } from '../core/config.ts';
import { JsonTextError, parseJsonText } from '../core/json-text.ts';
import { InvalidConfigError } from '../core/problems.ts';

export class UserFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserFileError';
  }
}

export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserFileError(
      `cannot read ${what} file ${path}: ${code === 'ENOENT' ? 'no such file' : String(e)}`,
    );
  }
  try {
    return parseJsonText(text);
  } catch (e) {
    if (e instanceof JsonTextError) throw new UserFileError(`${what} file ${path}: ${e.message}`);
    throw e;
  }
}

/** Reads and validates a config file; InvalidConfigError names the file. */
export function loadConfigFile(path: string): Config {
  const raw = readJsonFile(path, 'config');
  try {
    return parseConfig(raw);
  } catch (e) {
    if (e instanceof InvalidConfigError) throw new InvalidConfigError(e.problems, `config ${path}`);
    throw e;
  }
}
