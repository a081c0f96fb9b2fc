/**
 * The user's JSON files as text, read strictly: a money setting must not have two values for one
 * key (JSON.parse lets the last win, silently) nor a number JSON.parse turns into Infinity. A
 * UTF-8 byte order mark, which some editors write, is accepted. Problems name the path and line.
 * jsonc-parser (Microsoft's, the VS Code JSON scanner) walks the text with each key's path.
 */
import { visit } from 'jsonc-parser';

export class JsonTextError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonTextError';
  }
}

const pathText = (path: readonly (string | number)[]) =>
  path.length === 0
    ? '(top level)'
    : path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');

/**
 * Parses `text` (a file's content, a byte order mark allowed) as JSON. Throws JsonTextError for
 * invalid JSON, a key given twice in one object, or a number out of the range of a double.
 */
export function parseJsonText(text: string): unknown {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (e) {
    throw new JsonTextError(`is not valid JSON: ${(e as Error).message}`);
  }
  const problems: string[] = [];
  const keys: Set<string>[] = [];
  visit(body, {
    onObjectBegin: () => void keys.push(new Set()),
    onObjectEnd: () => void keys.pop(),
    onObjectProperty: (key, _offset, _length, line, _column, path) => {
      const seen = keys.at(-1);
      if (seen?.has(key))
        problems.push(
          `${pathText([...path(), key])} is given twice (line ${line + 1}): JSON would keep only the last one — remove one`,
        );
      seen?.add(key);
    },
    onLiteralValue: (_value, offset, length, line, _column, path) => {
      const source = body.slice(offset, offset + length);
      if (/^-?\d/.test(source) && !Number.isFinite(Number(source)))
        problems.push(
          `${pathText(path())}: ${source} is out of range (line ${line + 1}): a number must be below 1.8e308`,
        );
    },
  });
  if (problems.length > 0) throw new JsonTextError(problems.join('; '));
  return value;
}
