/**
 * The config of a read-only command (`status`, `state`, `transfers`, `bot`), remembered by its
 * bytes: a config file the shipped CLI has validated before, byte for byte and by the same build,
 * is read back as the validation returned it instead of validated again. Validating costs more than
 * a Node start (zod builds the config's schemas, then runs them, ~45 ms) and `status` is the
 * command a trader types all day (README "Start-up"). Commands that move money or change the books
 * always validate.
 *
 * It is exact because validation is a pure function of the file's text: the memo's key is the
 * SHA-256 of the build's id and the bytes, so an edited file, or a new build, is validated afresh;
 * only a valid config is remembered. The value is the `Config` itself through V8's serializer
 * (its bigints and Maps round-trip; it holds no class instances), written to a temporary file and
 * renamed, so a reader never sees half a file. A memo file that cannot be trusted — not owned by
 * this user, writable by others, unreadable, from another key — is a miss, never an error.
 *
 * Where: `BOTFOLIO_CACHE_DIR`, else `$XDG_CACHE_HOME/botfolio`, else `~/.cache/botfolio`
 * (`BOTFOLIO_CACHE_DIR=` empty turns the memo off). At most `KEEP` files are kept, newest first.
 * Running the sources (tsx) there is no build id, so no memo.
 */
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { Config } from '../core/config.ts';
import { readUserText } from './user-file.ts';

/** Set by the CLI's build (bin/build-cli.ts): a hash of the sources it was built from. */
declare const __BOTFOLIO_BUILD_ID__: string | undefined;

const KEEP = 32;

export interface MemoPlace {
  readonly dir: string;
  readonly buildId: string;
}

/** Where this process keeps its memo, or `undefined` when it keeps none. */
export function memoPlace(env: NodeJS.ProcessEnv = process.env): MemoPlace | undefined {
  const buildId = typeof __BOTFOLIO_BUILD_ID__ === 'string' ? __BOTFOLIO_BUILD_ID__ : undefined;
  if (buildId === undefined) return undefined;
  const dir =
    env.BOTFOLIO_CACHE_DIR ?? join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'botfolio');
  return dir === '' ? undefined : { dir, buildId };
}

/** Owned by this user and writable by no one else (a memo anyone could write is not believed). */
function trusted(path: string): boolean {
  const s = statSync(path);
  return (process.getuid === undefined || s.uid === process.getuid()) && (s.mode & 0o022) === 0;
}

function recall(place: MemoPlace, key: string): Config | undefined {
  const file = join(place.dir, `config-${key}.v8`);
  try {
    if (!trusted(place.dir) || !trusted(file)) return undefined;
    const kept = deserialize(readFileSync(file)) as { key?: unknown; config?: Config };
    return kept.key === key ? kept.config : undefined;
  } catch {
    return undefined; // no memo yet, or one that cannot be read: validate
  }
}

function remember(place: MemoPlace, key: string, config: Config): void {
  try {
    mkdirSync(place.dir, { recursive: true, mode: 0o700 });
    if (!trusted(place.dir)) return;
    const file = join(place.dir, `config-${key}.v8`);
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, serialize({ key, config }), { mode: 0o600 });
    renameSync(temp, file);
    const kept = readdirSync(place.dir)
      .filter((f) => f.startsWith('config-') && f.endsWith('.v8'))
      .map((f) => ({ f, at: statSync(join(place.dir, f)).mtimeMs }))
      .sort((a, b) => b.at - a.at);
    for (const { f } of kept.slice(KEEP)) unlinkSync(join(place.dir, f));
  } catch {
    // A memo that cannot be written costs the next command a validation, nothing else.
  }
}

/**
 * The validated config in `path`: from the memo when this build validated these bytes before,
 * else validated (files.ts, loaded only then) and remembered. Errors are the validation's own.
 */
export async function rememberedConfig(
  path: string,
  place: MemoPlace | undefined = memoPlace(),
): Promise<Config> {
  const text = readUserText(path, 'config');
  const key =
    place && createHash('sha256').update(place.buildId).update('\0').update(text).digest('hex');
  const known = place && key ? recall(place, key) : undefined;
  if (known) return known;
  const { parseConfigText } = await import('./files.ts');
  const config = parseConfigText(path, text);
  if (place && key) remember(place, key, config);
  return config;
}
