/**
 * One data folder, several processes (functions/local/live.ts): a command beside an open store
 * uses the store it serves; a stale live.json is ignored and replaced; openers racing for the
 * folder all get to the books; a runtime is refused beside a loop, naming its pid.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { dynamoStores } from '../../functions/adapters/dynamodb/store.ts';
import { initialState } from '../../functions/core/state.ts';
import {
  DataFolderBusyError,
  LIVE_FILE,
  openFolderStore,
  readLive,
} from '../../functions/local/live.ts';
import { withLocalStore } from '../../functions/local/local-store.ts';
import { startLocalRuntime } from '../../functions/local/runtime.ts';
import { AS_OF, specConfig } from '../core/fixtures.ts';
import { root, tsxAsync } from '../helpers/cli.ts';

const config = specConfig();
const tempDir = () => mkdtempSync(join(tmpdir(), 'botfolio-live-'));

const pidAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A pid no process has: one that has just exited. */
const deadPid = () => {
  const r = spawnSync(process.execPath, ['-e', '']);
  if (r.pid === undefined) throw new Error('could not start a process');
  return r.pid;
};

const staleLive = (dir: string, pid: number) =>
  writeFileSync(
    join(dir, LIVE_FILE),
    JSON.stringify({
      pid,
      holder: 'a crashed loop',
      store: 'http://127.0.0.1:9', // nothing listens on the discard port
      token: 'f'.repeat(48),
      control: 'http://127.0.0.1:9',
    }),
  );

describe('a data folder opened by several processes', () => {
  it('announces an open store in live.json (mode 0600) and a second opener borrows it', async () => {
    // Prepare
    const dir = tempDir();
    const owner = await openFolderStore(dir, { holder: 'test owner', borrow: false });
    try {
      const live = readLive(dir);
      expect(live).toMatchObject({ pid: process.pid, holder: 'test owner' });
      expect(statSync(join(dir, LIVE_FILE)).mode & 0o777).toBe(0o600);
      // Act: the books written through the owner, read by a command beside it.
      const { portfolio } = dynamoStores(owner.dynamo.client, owner.dynamo.tableNames);
      await portfolio.init('main', initialState(config, AS_OF));
      const halted = await withLocalStore(config, dir, async (stores) => {
        await stores.portfolio.setHalted('main', true);
        return (await stores.portfolio.load('main'))?.flags.halted;
      });
      // Assess: the command used the owner's store (LevelDB allows one opener: it could not
      // have opened its own), and the owner sees the flag.
      expect(halted).toBe(true);
      expect((await portfolio.load('main'))?.flags.halted).toBe(true);
      expect(readLive(dir)?.holder).toBe('test owner');
    } finally {
      await owner.close();
    }
    expect(readLive(dir)).toBeUndefined();
  });

  it('ignores a live.json whose process is dead, replaces it, and removes it on close', async () => {
    const dir = tempDir();
    staleLive(dir, deadPid());
    const during = await withLocalStore(config, dir, async () => readLive(dir));
    expect(during).toMatchObject({ pid: process.pid, holder: 'a botfolio command' });
    expect(during?.control).toBeUndefined();
    expect(readLive(dir)).toBeUndefined();
  });

  it('ignores a live.json whose process lives but whose store does not answer (a reused pid)', async () => {
    const dir = tempDir();
    staleLive(dir, process.pid);
    // A runtime would refuse a live loop: it opens the folder, so the file was judged stale.
    const rt = await startLocalRuntime({ config, dataDir: dir });
    try {
      expect(readLive(dir)).toMatchObject({ pid: process.pid, holder: 'a botfolio command' });
    } finally {
      await rt.close();
    }
  }, 60_000);

  it('gives up on a holder that does not announce itself, naming the folder', async () => {
    const dir = tempDir();
    const owner = await openFolderStore(dir, { holder: 'test owner', borrow: false });
    try {
      // As a process would be whose live.json is lost: LevelDB's lock is all there is.
      writeFileSync(join(dir, LIVE_FILE), 'not json');
      const opening = openFolderStore(dir, { holder: 'test', borrow: true, waitMs: 300 });
      await expect(opening).rejects.toThrow(DataFolderBusyError);
      await expect(opening).rejects.toThrow(
        `data folder ${dir}: its store is open in another process that does not announce itself`,
      );
    } finally {
      await owner.close();
    }
  });

  it('refuses a runtime beside a loop, naming its pid', async () => {
    const dir = tempDir();
    const loop = await openFolderStore(dir, { holder: 'botfolio run', borrow: false });
    try {
      loop.announceControl('http://127.0.0.1:9');
      await expect(startLocalRuntime({ config, dataDir: dir })).rejects.toThrow(
        `data folder ${dir} is in use by botfolio run (pid ${process.pid}), which runs the cycles and holds the exchange`,
      );
    } finally {
      await loop.close();
    }
  });

  it('lets a runtime wait for a short command to let go of the folder', async () => {
    const dir = tempDir();
    const command = await openFolderStore(dir, { holder: 'a botfolio command', borrow: false });
    const released = new Promise((ok) => setTimeout(ok, 300)).then(() => command.close());
    const runtimeStore = await openFolderStore(dir, { holder: 'runtime', borrow: false });
    await released;
    expect(runtimeStore.kind).toBe('owned');
    expect(readLive(dir)?.holder).toBe('runtime');
    await runtimeStore.close();
  });

  it('gets every one of three processes opening the folder at the same moment to the books', async () => {
    // Prepare: each opens at the same instant and holds the books 300 ms. Before live.ts the
    // losers of the race crashed with `Database is closed`.
    const dir = tempDir();
    const startAt = Date.now() + 6_000; // after the three have started
    const opener = () => tsxAsync('test/helpers/open-folder.ts', dir, String(startAt));
    // Act
    const answers = await Promise.all([opener(), opener(), opener()]);
    // Assess: all three reached one store — one claimed the alert key, the others saw it claimed.
    for (const a of answers)
      expect({ code: a.code, stderr: a.stderr }).toEqual({ code: 0, stderr: '' });
    expect(answers.map((a) => a.stdout).sort()).toEqual([
      'claimed\n',
      'not claimed\n',
      'not claimed\n',
    ]);
    expect(readLive(dir)).toBeUndefined();
  }, 120_000);

  it('lets a command that borrowed the store finish on it while its owner closes', async () => {
    const dir = tempDir();
    const owner = await openFolderStore(dir, { holder: 'botfolio run', borrow: false });
    const { portfolio } = dynamoStores(owner.dynamo.client, owner.dynamo.tableNames);
    await portfolio.init('main', initialState(config, AS_OF));
    let closing: Promise<void> | undefined;
    const halted = await withLocalStore(config, dir, async (stores) => {
      await stores.portfolio.load('main');
      closing = owner.close(); // Ctrl+C of the loop, between the command's reads and its write
      await sleep(100);
      await stores.portfolio.setHalted('main', true);
      return (await stores.portfolio.load('main'))?.flags.halted;
    });
    await closing;
    expect(halted).toBe(true);
    expect(
      await withLocalStore(config, dir, async (s) => (await s.portfolio.load('main'))?.flags),
    ).toEqual({
      halted: true,
      blackSwan: false,
    });
  });

  it('says in one line that the store went away when its owner dies mid-command', async () => {
    // Prepare: another process holds the folder for 20 s.
    const dir = tempDir();
    const child = spawn(
      join(root, 'node_modules/.bin/tsx'),
      ['test/helpers/open-folder.ts', dir, '0', '20000'],
      { cwd: root, stdio: 'ignore' },
    );
    try {
      const deadline = Date.now() + 60_000;
      let holder = readLive(dir);
      while (holder === undefined) {
        if (Date.now() > deadline) throw new Error('the holder never announced itself');
        await sleep(100);
        holder = readLive(dir);
      }
      const { pid } = holder; // tsx runs the script in a process of its own
      // Act
      const command = withLocalStore(config, dir, async (stores) => {
        await stores.portfolio.load('main');
        process.kill(pid, 'SIGKILL');
        while (pidAlive(pid)) await sleep(50);
        return stores.portfolio.load('main');
      });
      // Assess
      await expect(command).rejects.toThrow(
        `data folder ${dir}: the store served by a botfolio command (pid ${pid}) went away while this command ran`,
      );
    } finally {
      child.kill('SIGKILL');
    }
  }, 90_000);
});
