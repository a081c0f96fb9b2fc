/** Reading the user's files: a missing file or bad JSON is reported with the path, never a stack trace. */
import { type Config, parseConfig } from '../core/config.ts';
import { JsonTextError, parseJsonText } from '../core/json-text.ts';
import { InvalidConfigError } from '../core/problems.ts';
import { readUserText, UserFileError } from './user-file.ts';

export { UserFileError };

export function readJsonFile(path: string, what: string): unknown {
  return parseJson(path, what, readUserText(path, what));
}

function parseJson(path: string, what: string, text: string): unknown {
  try {
    return parseJsonText(text);
  } catch (e) {
    if (e instanceof JsonTextError) throw new UserFileError(`${what} file ${path}: ${e.message}`);
    throw e;
  }
}

/** Reads and validates a config file; InvalidConfigError names the file. */
export function loadConfigFile(path: string): Config {
  return parseConfigText(path, readUserText(path, 'config'));
}

/** Validates a config file's text (read from `path`); InvalidConfigError names the file. */
export function parseConfigText(path: string, text: string): Config {
  const raw = parseJson(path, 'config', text);
  try {
    return parseConfig(raw);
  } catch (e) {
    if (e instanceof InvalidConfigError) throw new InvalidConfigError(e.problems, `config ${path}`);
    throw e;
  }
}
