/**
 * `status` reads the embedded store's own files (functions/local/store-file.ts): what it reads
 * is what the store adapter answers over dynalite on the same folder, and it steps aside (so the
 * command takes the usual way) whenever it cannot hold the store alone.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dynamoStores } from '../../functions/adapters/dynamodb/store.ts';
import { botAccount, reserveAccount } from '../../functions/core/accounts.ts';
import { money } from '../../functions/core/money.ts';
import type { Stores } from '../../functions/core/store-ports.ts';
import { OPEN_STATUSES, plannedEntry } from '../../functions/core/transfer.ts';
import { localTableNames, storeDirOf } from '../../functions/local/data-folder.ts';
import { startEmbeddedDynamo } from '../../functions/local/dynamo.ts';
import { openStoreFile } from '../../functions/local/store-file.ts';
import { AS_OF, specConfig, stateOf } from '../core/fixtures.ts';

const config = specConfig();
const pid = config.portfolioId;
const BOTS = ['bot_a', 'bot_b'];
const DAYS = ['2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23'];

/** A harvest of `botId` planned in cycle `cycle` (two share a `createdAt` when `cycle` does). */
const harvest = (botId: string, cycle: number, leg = 0) =>
  plannedEntry(
    {
      kind: 'harvest',
      botId,
      from: botAccount(botId),
      to: reserveAccount('low_frequency'),
      amount: money(1 + leg),
      reason: 'balance above the harvest threshold',
      leg,
    },
    {
      portfolioId: pid,
      cycleId: `c-${cycle}`,
      exchange: 'paper',
      now: new Date(Date.parse(AS_OF) + cycle * 900_000).toISOString(),
    },
  );

/** Books with completed, open and failed entries, ties on `createdAt`, and sent alerts. */
async function fillBooks(stores: Stores): Promise<void> {
  await stores.portfolio.init(pid, stateOf(config));
  for (let cycle = 0; cycle < 6; cycle++) {
    for (const botId of BOTS) {
      const legs = [harvest(botId, cycle, 0), harvest(botId, cycle, 1)];
      await stores.journal.putPlanned(legs);
      for (const e of legs) {
        if (cycle < 3) {
          await stores.journal.transition(e.id, ['planned'], 'validated');
          await stores.journal.transition(e.id, ['validated'], 'submitted');
          const done = await stores.journal.transition(e.id, ['submitted'], 'completed');
          if (done) await stores.ledger.applyCompleted(done);
        } else if (cycle === 3) {
          await stores.journal.transition(e.id, ['planned'], 'validated');
        } else if (cycle === 4) {
          await stores.journal.transition(e.id, ['planned'], 'rejected');
        }
      }
    }
  }
  // Snapshots every 8 hours over three days, none on 2026-11-22, and one on each side of the days
  // read (2026-11-18 and 2026-11-24): end-of-day equity reads them.
  for (const botId of BOTS) {
    await stores.performance.putSnapshots(
      pid,
      [-4, 0, 1, 2, 3, 4, 5, 9, 10, 11, 12].map((i) => {
        const m = money(100 + i);
        const at = new Date(Date.parse('2026-11-20T02:00:00.000Z') + i * 8 * 3_600_000);
        return {
          botId,
          cycleId: `c-${i}`,
          at: at.toISOString(),
          balance: m,
          capitalBase: m,
          contributed: m,
          harvested: money(0),
          protected: money(0),
          netContributed: m,
          pnl: money(0),
        };
      }),
    );
  }
  const now = Date.now();
  await stores.cooldowns.claimAlert(pid, 'drawdown', now - 60_000, 0);
  await stores.cooldowns.claimAlert(pid, 'reserve-low', now - 3_600_000, 0);
  await stores.cooldowns.claimAlert(pid, 'old', now - 3 * 86_400_000, 0);
}

/** What the store adapter answers on the folder, through dynalite. */
async function overDynalite(dataDir: string) {
  const dynamo = await startEmbeddedDynamo({ dataDir: storeDirOf(dataDir) });
  try {
    const stores = dynamoStores(dynamo.client, dynamo.tableNames);
    return {
      state: await stores.portfolio.load(pid),
      alerts: await stores.cooldowns.sentSince(pid, Date.now() - 86_400_000),
      open: await stores.journal.byStatus(pid, OPEN_STATUSES),
      lasts: await Promise.all(BOTS.map((b) => stores.journal.byBot(pid, b, 1))),
      threes: await Promise.all(BOTS.map((b) => stores.journal.byBot(pid, b, 3))),
      closes: await Promise.all(BOTS.map((b) => stores.performance.endOfDay(pid, b, DAYS))),
    };
  } finally {
    await dynamo.close();
  }
}

describe("status's reader of the store's files", () => {
  it('reads the state, alerts and journal exactly as the store adapter answers them', async () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'botfolio-store-file-'));
    const dynamo = await startEmbeddedDynamo({ dataDir: storeDirOf(dataDir) });
    try {
      await fillBooks(dynamoStores(dynamo.client, dynamo.tableNames));
    } finally {
      await dynamo.close();
    }
    const expected = await overDynalite(dataDir);

    // Act
    const file = await openStoreFile(storeDirOf(dataDir), localTableNames());
    if (!file) throw new Error('the store file did not open');
    const read = await (async () => {
      try {
        return {
          state: await file.loadState(pid),
          alerts: await file.sentSince(pid, Date.now() - 86_400_000),
          open: await file.byStatus(pid, OPEN_STATUSES),
          lasts: await Promise.all(BOTS.map((b) => file.byBot(pid, b, 1))),
          threes: await Promise.all(BOTS.map((b) => file.byBot(pid, b, 3))),
          closes: await Promise.all(BOTS.map((b) => file.endOfDay(pid, b, DAYS))),
        };
      } finally {
        await file.close();
      }
    })();

    // Assess
    expect(expected.state).toBeDefined();
    expect(expected.open).toHaveLength(8);
    expect(expected.alerts.map((a) => a.key)).toEqual(['drawdown', 'reserve-low']);
    // each day's last snapshot (18:00), none for the day without one
    expect(expected.closes[0]?.map((s) => s.at)).toEqual([
      '2026-11-20T18:00:00.000Z',
      '2026-11-21T18:00:00.000Z',
      '2026-11-23T18:00:00.000Z',
    ]);
    expect(read).toEqual(expected);
  });

  it('steps aside while another holder has the store open', async () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'botfolio-store-file-'));
    const dynamo = await startEmbeddedDynamo({ dataDir: storeDirOf(dataDir) });
    try {
      // Act
      const file = await openStoreFile(storeDirOf(dataDir), localTableNames());

      // Assess
      expect(file).toBeUndefined();
    } finally {
      await dynamo.close();
    }
  });

  it('steps aside, creating nothing, where there is no store yet', async () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'botfolio-store-file-'));

    // Act
    const file = await openStoreFile(storeDirOf(dataDir), localTableNames());

    // Assess
    expect(file).toBeUndefined();
    expect(readdirSync(dataDir)).toEqual([]);
  });
});
