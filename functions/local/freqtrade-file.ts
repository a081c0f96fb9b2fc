/**
 * Reading a Freqtrade backtest result from disk: a `backtest-result-*.json`, or the `.zip` newer
 * Freqtrade writes around it (freqtrade/freqtrade, freqtrade/data/btanalysis/bt_fileutils.py:
 * `load_backtest_stats` reads `<name>.json` out of `<name>.zip`; the zip also holds the
 * `_config.json`, `_market_change.feather`… of the run). fflate unzips: a kept, dependency-free
 * library rather than a hand-written ZIP reader.
 */
import { basename } from 'node:path';
import { unzipSync } from 'fflate';
import type { EquityCurves } from '../core/backtest.ts';
import {
  type CurveTarget,
  FreqtradeResultsError,
  freqtradeCurves,
  parseFreqtradeResults,
} from '../core/freqtrade.ts';
import { JsonTextError, parseJsonText } from '../core/json-text.ts';
import { UserFileError } from './files.ts';

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

const isZip = (bytes: Uint8Array) => ZIP_MAGIC.every((b, i) => bytes[i] === b);

/** The first non-blank character is `{`: a JSON object, not a CSV (whose header starts `time`). */
const isJsonObject = (bytes: Uint8Array) => {
  for (const b of bytes) {
    if (
      b === 0x20 ||
      b === 0x09 ||
      b === 0x0a ||
      b === 0x0d ||
      b === 0xef ||
      b === 0xbb ||
      b === 0xbf
    )
      continue;
    return b === 0x7b;
  }
  return false;
};

/** True when `bytes` (a curves file's content) is a ZIP or a JSON object, i.e. not a CSV. */
export const isResultsFile = (path: string, bytes: Uint8Array): boolean =>
  /\.(zip|json)$/i.test(path) || isZip(bytes) || isJsonObject(bytes);

/** The backtest JSON's text: the file's, or that of the zip's `<name>.json` (else its only result JSON). */
function jsonText(path: string, bytes: Uint8Array): string {
  if (!isZip(bytes)) return new TextDecoder().decode(bytes);
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, { filter: (f) => f.name.endsWith('.json') });
  } catch (e) {
    throw new UserFileError(`${path}: not a readable zip (${(e as Error).message})`);
  }
  const own = `${basename(path).replace(/\.zip$/i, '')}.json`;
  const candidates = Object.keys(entries).filter(
    (n) => !/(_config|\.meta)\.json$/.test(n) && !n.endsWith('/'),
  );
  const name = entries[own] ? own : candidates.length === 1 ? candidates[0] : undefined;
  if (name === undefined) {
    throw new UserFileError(
      `${path}: no backtest result in the zip (expected ${own}; it holds ${Object.keys(entries).join(', ') || 'no .json'})`,
    );
  }
  return new TextDecoder().decode(entries[name]);
}

/** The equity curves of a Freqtrade results file (bytes already read), for `target`'s bots. */
export function freqtradeFileCurves(
  path: string,
  bytes: Uint8Array,
  target: CurveTarget,
): EquityCurves {
  let json: unknown;
  try {
    json = parseJsonText(jsonText(path, bytes));
  } catch (e) {
    if (e instanceof JsonTextError) throw new UserFileError(`${path}: ${e.message}`);
    throw e;
  }
  try {
    return freqtradeCurves(parseFreqtradeResults(json), target);
  } catch (e) {
    if (e instanceof FreqtradeResultsError) throw new UserFileError(`${path}: ${e.message}`);
    throw e;
  }
}
