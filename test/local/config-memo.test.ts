/**
 * The read-only commands' config memo (functions/local/config-memo.ts): what it returns is what
 * validation returns, an edited file or another build is validated again, and a memo it cannot
 * trust is never believed.
 */
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serialize } from 'node:v8';
import { beforeEach, describe, expect, it } from 'vitest';
import { type MemoPlace, rememberedConfig } from '../../functions/local/config-memo.ts';
import { loadConfigFile } from '../../functions/local/files.ts';

const SPEC = new URL('../../examples/spec-portfolio.json', import.meta.url).pathname;

let dir: string;
let place: MemoPlace;
let configFile: string;
const memoFiles = () => readdirSync(place.dir).filter((f) => f.endsWith('.v8'));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'botfolio-memo-'));
  place = { dir: join(dir, 'cache'), buildId: 'build-a' };
  configFile = join(dir, 'config.json');
  writeFileSync(configFile, readFileSync(SPEC));
});

describe('the config memo', () => {
  it('returns exactly what validation returns, first validated, then remembered', async () => {
    // Act
    const first = await rememberedConfig(configFile, place);
    const second = await rememberedConfig(configFile, place);

    // Assert: the same Config as the validation's, down to its Maps, bigints and prototypes
    const validated = loadConfigFile(configFile);
    expect(first).toStrictEqual(validated);
    expect(second).toStrictEqual(validated);
    expect(memoFiles()).toHaveLength(1);
  });

  it('serves what it remembered for the same bytes and build (so a read is not a validation)', async () => {
    // Prepare: remember the file, then put another valid config under its key
    await rememberedConfig(configFile, place);
    const [file] = memoFiles();
    const key = file?.slice('config-'.length, -'.v8'.length);
    const other = { ...loadConfigFile(configFile), portfolioId: 'remembered' };
    writeFileSync(join(place.dir, file ?? ''), serialize({ key, config: other }));

    // Act
    const read = await rememberedConfig(configFile, place);

    // Assert
    expect(read.portfolioId).toBe('remembered');
  });

  it('validates an edited file again, and reports its problems', async () => {
    // Prepare
    await rememberedConfig(configFile, place);
    const edited = JSON.parse(readFileSync(configFile, 'utf8'));
    edited.total_capital = -5;
    writeFileSync(configFile, JSON.stringify(edited));

    // Act
    const read = rememberedConfig(configFile, place);

    // Assert
    await expect(read).rejects.toThrow(/total_capital/);
    expect(memoFiles()).toHaveLength(1); // an invalid config is never remembered
  });

  it('validates again under another build', async () => {
    // Prepare
    await rememberedConfig(configFile, place);

    // Act
    await rememberedConfig(configFile, { ...place, buildId: 'build-b' });

    // Assert
    expect(memoFiles()).toHaveLength(2);
  });

  it('does not believe a memo file it cannot read, nor one filed under another key', async () => {
    // Prepare
    await rememberedConfig(configFile, place);
    const [file = ''] = memoFiles();
    writeFileSync(join(place.dir, file), 'not a memo');
    const validated = loadConfigFile(configFile);

    // Act
    const afterCorruption = await rememberedConfig(configFile, place);
    writeFileSync(
      join(place.dir, file),
      serialize({ key: 'another', config: { ...validated, portfolioId: 'forged' } }),
    );
    const afterMisfiling = await rememberedConfig(configFile, place);

    // Assert
    expect(afterCorruption).toStrictEqual(validated);
    expect(afterMisfiling).toStrictEqual(validated);
  });

  it('neither reads nor writes a memo folder others may write to', async () => {
    // Prepare
    mkdirSync(place.dir, { recursive: true });
    chmodSync(place.dir, 0o777);

    // Act
    const read = await rememberedConfig(configFile, place);

    // Assert
    expect(read).toStrictEqual(loadConfigFile(configFile));
    expect(memoFiles()).toHaveLength(0);
  });

  it('names an unreadable config file as validation does', async () => {
    await expect(rememberedConfig(join(dir, 'missing.json'), place)).rejects.toThrow(
      `cannot read config file ${join(dir, 'missing.json')}: no such file`,
    );
  });

  it('keeps at most 32 memo files, the newest', async () => {
    // Act: 34 builds remember the same file
    for (let i = 0; i < 34; i++) await rememberedConfig(configFile, { ...place, buildId: `b${i}` });

    // Assert
    expect(memoFiles()).toHaveLength(32);
  });
});
