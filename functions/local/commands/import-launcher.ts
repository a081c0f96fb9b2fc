/**
 * `botfolio import-launcher FILE [--out FILE]`: a launcher portfolio file turned into a Botfolio
 * config (core/launcher-import.ts decides what maps onto what). The config goes to `--out` (never
 * over an existing file) or to stdout; the notes — what was carried over, how profit sharing maps,
 * and every blank still to fill in — go to stdout with `--out`, else to stderr, so `> file` works.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { InvalidLauncherFileError, parseLauncherFile } from '../../core/launcher-file.ts';
import { importLauncher, portfolioIdOf } from '../../core/launcher-import.ts';
import { readJsonFile, UserFileError } from '../files.ts';

export interface ImportLauncherOptions {
  readonly out?: string;
  /** The bots' exchange (the launcher's `-exchange`); a blank when absent. */
  readonly exchange?: string;
  readonly currency: string;
}

export async function importLauncherCommand(
  file: string,
  opts: ImportLauncherOptions,
  write: { out: (t: string) => void; err: (t: string) => void } = {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
  },
): Promise<number> {
  const raw = readJsonFile(file, 'launcher portfolio');
  let launcher: ReturnType<typeof parseLauncherFile>;
  try {
    launcher = parseLauncherFile(raw);
  } catch (e) {
    if (e instanceof InvalidLauncherFileError)
      throw new UserFileError(`launcher portfolio file ${file}: ${e.message}`);
    throw e;
  }
  const imported = importLauncher(launcher, {
    portfolioId: portfolioIdOf(file),
    currency: opts.currency,
    ...(opts.exchange !== undefined && { exchange: opts.exchange }),
  });
  const text = `${JSON.stringify(imported.config, null, 2)}\n`;
  if (opts.out !== undefined && existsSync(opts.out)) {
    throw new UserFileError(
      `--out ${opts.out} exists: not overwritten (remove it or choose another)`,
    );
  }
  const width = Math.max(...imported.blanks.map((b) => b.path.length));
  const report = [
    `imported ${file} → ${opts.out ?? 'stdout'}: a Botfolio config that \`botfolio validate\` refuses until every blank below is filled in`,
    '',
    'notes',
    ...imported.notes.map((n) => `  - ${n}`),
    '',
    `fill in (${imported.blanks.length}; each holds "<fill in: …>" now)`,
    ...imported.blanks.map((b) => `  ${b.path.padEnd(width)}  ${b.what}`),
    '',
  ].join('\n');
  if (opts.out === undefined) {
    write.out(text);
    write.err(report);
  } else {
    try {
      writeFileSync(opts.out, text, { flag: 'wx' });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UserFileError(
        `--out ${opts.out}: cannot write it (${code === 'EEXIST' ? 'it exists: not overwritten' : code === 'ENOENT' ? 'no such folder' : String(e)})`,
      );
    }
    write.out(report);
  }
  return 0;
}
