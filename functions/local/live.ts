/**
 * One data folder, several processes (README, "Operating while `run` runs"). The embedded store is
 * LevelDB, which one process may open at a time — but dynalite serves it over HTTP on 127.0.0.1
 * anyway. So the process that opens a folder's store publishes it in `<data>/live.json`: its pid,
 * the store's endpoint, a random token and, for `botfolio run`, the URL of its control endpoint
 * (control.ts). The file is written aside and renamed (never half a file), mode 0600 (the token
 * is for this user only), and removed on close if it is still this process's own.
 *
 * Another process first looks there. A live.json whose pid is alive and whose store answers one
 * ListTables within a second is used over HTTP — the command borrows the store — instead of
 * opening LevelDB; anything else (a dead pid, a store that does not answer, a broken file) is
 * stale: ignored, and replaced by the next process that opens the folder. Two processes racing
 * to open it: the loser (LevelDB's lock) looks for the winner's live.json again, a bounded while,
 * then stops with a message naming the folder. An owner closing withdraws live.json first and
 * waits for its store to be quiet, so a command that borrowed it finishes on it.
 *
 * Only the books are shared this way. The paper exchange (`paper-exchange.json`, `market.json`)
 * lives in the memory of the runtime that loaded it and is rewritten after each of its cycles: a
 * second runtime loading the file would move money on a copy, and the two copies would part. So a
 * runtime never borrows: it owns the folder's store or waits, bounded, for a short command to let
 * go of it; beside `botfolio run` it is refused (DataFolderBusyError names the pid), and the
 * commands that need the exchange are sent to the loop's control endpoint instead.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import type { TableNames } from '../adapters/dynamodb/context.ts';
import {
  type EmbeddedDynamo,
  localDynamoClient,
  localTableNames,
  StoreLockedError,
  startEmbeddedDynamo,
} from './dynamo.ts';
import { UserFileError } from './files.ts';

export const LIVE_FILE = 'live.json';

const liveSchema = z.object({
  pid: z.number().int().positive(),
  /** What holds the folder, for other processes' messages: `botfolio run`, a command. */
  holder: z.string(),
  store: z.url(),
  token: z.string().min(32),
  control: z.url().optional(),
});
/** A process's announcement that it has a data folder's store open. */
export type Live = z.infer<typeof liveSchema>;

/** The data folder is held by a process this one cannot work beside, or cannot reach. */
export class DataFolderBusyError extends UserFileError {
  /** The holder, when it announced itself. */
  readonly live: Live | undefined;
  constructor(message: string, live?: Live) {
    super(message);
    this.name = 'DataFolderBusyError';
    this.live = live;
  }
}

/**
 * Before closing, the owner waits for its store to be quiet this long (borrowers are then done:
 * a command's requests follow each other within milliseconds), at most QUIET_MAX_MS.
 */
const QUIET_MS = 500;
const QUIET_MAX_MS = 5_000;

/** How long an opener waits for a holder to let go (or to announce itself). */
export const OPEN_WAIT_MS = 15_000;
const RETRY_MS = 100;
/** One ListTables, one attempt: a live holder answers at once. */
const PROBE = { maxAttempts: 1, requestTimeout: 1_000 } as const;

/** The folder's live.json as written, or undefined (none, or not one of ours). */
export function readLive(dataDir: string): Live | undefined {
  let text: string;
  try {
    text = readFileSync(join(dataDir, LIVE_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = liveSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, run by another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function storeAnswers(endpoint: string, tableNames: TableNames): Promise<boolean> {
  const client = localDynamoClient(endpoint, PROBE);
  try {
    const { TableNames: names = [] } = await client.send(new ListTablesCommand({}));
    return names.includes(tableNames.state);
  } catch {
    return false;
  } finally {
    client.destroy();
  }
}

/** The folder's holder if it is alive and its store answers; undefined if none or stale. */
export async function findLive(
  dataDir: string,
  tableNames: TableNames = localTableNames(),
): Promise<Live | undefined> {
  const live = readLive(dataDir);
  if (!live || !pidAlive(live.pid)) return undefined;
  return (await storeAnswers(live.store, tableNames)) ? live : undefined;
}

function publish(dataDir: string, live: Live): void {
  const path = join(dataDir, LIVE_FILE);
  const aside = `${path}.${process.pid}.tmp`;
  rmSync(aside, { force: true }); // `mode` applies only to a file it creates
  writeFileSync(aside, `${JSON.stringify(live, null, 2)}\n`, { mode: 0o600 });
  renameSync(aside, path);
}

function unpublish(dataDir: string, live: Live): void {
  const now = readLive(dataDir);
  // Nobody else can have replaced it while this process holds LevelDB's lock; checked anyway.
  if (now?.pid === live.pid && now.token === live.token) {
    rmSync(join(dataDir, LIVE_FILE), { force: true });
  }
}

/** The store this process opened, announced in live.json until `close`. */
export interface OwnedStore {
  readonly kind: 'owned';
  readonly dynamo: EmbeddedDynamo;
  /** The secret a caller of the control endpoint must present. */
  readonly token: string;
  /** Adds the control endpoint's URL to live.json. */
  announceControl(url: string): void;
  /** Withdraws live.json, lets borrowers at work finish (a quiet store), then closes it. */
  close(): Promise<void>;
}

/** Another process's store, reached over HTTP. */
export interface BorrowedStore {
  readonly kind: 'borrowed';
  readonly live: Live;
  readonly dynamo: Pick<EmbeddedDynamo, 'client' | 'tableNames' | 'endpoint'>;
  close(): Promise<void>;
}

export interface OpenFolderOptions {
  /** Named in other processes' messages, e.g. `botfolio run`. */
  readonly holder: string;
  /** Use another process's served store if there is one (commands on the books only). */
  readonly borrow: boolean;
  /** @default OPEN_WAIT_MS */
  readonly waitMs?: number;
  /** @default localTableNames() */
  readonly tableNames?: TableNames;
}

/**
 * The data folder's store: borrowed from the process announcing it (with `borrow`), or opened
 * here and announced. A runtime (no `borrow`) is refused beside a loop and waits for any other
 * holder to let go; either waits at most `waitMs`.
 */
export async function openFolderStore(
  dataDir: string,
  opts: OpenFolderOptions & { readonly borrow: false },
): Promise<OwnedStore>;
export async function openFolderStore(
  dataDir: string,
  opts: OpenFolderOptions,
): Promise<OwnedStore | BorrowedStore>;
export async function openFolderStore(
  dataDir: string,
  opts: OpenFolderOptions,
): Promise<OwnedStore | BorrowedStore> {
  const tableNames = opts.tableNames ?? localTableNames();
  const deadline = Date.now() + (opts.waitMs ?? OPEN_WAIT_MS);
  for (;;) {
    const live = await findLive(dataDir, tableNames);
    if (live && opts.borrow) return borrow(live, tableNames);
    if (live?.control) throw loopHolds(dataDir, live);
    if (!live) {
      try {
        return await own(dataDir, opts.holder, tableNames);
      } catch (error) {
        if (!(error instanceof StoreLockedError)) throw error;
      }
    }
    if (Date.now() >= deadline) {
      throw new DataFolderBusyError(
        live
          ? `data folder ${dataDir} is in use by ${live.holder} (pid ${live.pid}) for more than ${Math.round((opts.waitMs ?? OPEN_WAIT_MS) / 1000)} s: try again once it has finished`
          : `data folder ${dataDir}: its store is open in another process that does not announce itself in ${LIVE_FILE} (or no longer answers): stop that process, then try again`,
        live,
      );
    }
    await sleep(RETRY_MS);
  }
}

/** Refusal of a second runtime beside `botfolio run`. */
export function loopHolds(dataDir: string, live: Live): DataFolderBusyError {
  return new DataFolderBusyError(
    `data folder ${dataDir} is in use by ${live.holder} (pid ${live.pid}), which runs the cycles and holds the exchange: stop it (Ctrl+C) first; halt, resume, status, state, transfers and reconcile work beside it`,
    live,
  );
}

function borrow(live: Live, tableNames: TableNames): BorrowedStore {
  const client = localDynamoClient(live.store);
  return {
    kind: 'borrowed',
    live,
    dynamo: { client, tableNames, endpoint: live.store },
    close: async () => client.destroy(),
  };
}

async function own(dataDir: string, holder: string, tableNames: TableNames): Promise<OwnedStore> {
  const dynamo = await startEmbeddedDynamo({ dataDir: join(dataDir, 'dynamo'), tableNames });
  let live: Live = {
    pid: process.pid,
    holder,
    store: dynamo.endpoint,
    token: randomBytes(24).toString('hex'),
  };
  try {
    publish(dataDir, live);
  } catch (error) {
    await dynamo.close();
    throw error;
  }
  return {
    kind: 'owned',
    dynamo,
    token: live.token,
    announceControl(url) {
      live = { ...live, control: url };
      publish(dataDir, live);
    },
    async close() {
      unpublish(dataDir, live); // no new borrowers; those at work finish first
      const until = Date.now() + QUIET_MAX_MS;
      while (dynamo.msSinceLastRequest() < QUIET_MS && Date.now() < until) await sleep(50);
      await dynamo.close();
    },
  };
}

/**
 * A borrowed store that stopped answering mid-command (its process stopped) as a one-line
 * refusal; any other error as it was.
 */
export function lostStore(dataDir: string, live: Live, error: unknown): unknown {
  const codes = [error, (error as { cause?: unknown })?.cause].map(
    (e) => (e as { code?: string; name?: string } | undefined)?.code ?? (e as Error)?.name,
  );
  const lost = codes.some(
    (c) => c === 'ECONNREFUSED' || c === 'ECONNRESET' || c === 'TimeoutError',
  );
  return lost
    ? new DataFolderBusyError(
        `data folder ${dataDir}: the store served by ${live.holder} (pid ${live.pid}) went away while this command ran (it stopped?): run the command again`,
        live,
      )
    : error;
}
