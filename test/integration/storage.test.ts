/**
 * The DynamoDB store against real emulators: dynalite (in-process) and AWS's DynamoDB Local.
 * Every test uses its own portfolio in one shared set of tables.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Expr, journalItem } from '../../functions/adapters/dynamodb/codec.ts';
import { compact } from '../../functions/adapters/dynamodb/context.ts';
import { NotCompletedError, StateNotFoundError } from '../../functions/adapters/dynamodb/errors.ts';
import { split } from '../../functions/adapters/dynamodb/ledger-split.ts';
import { botItemKey, stateKey } from '../../functions/adapters/dynamodb/state-item.ts';
import { dynamoStores } from '../../functions/adapters/dynamodb/store.ts';
import { alert } from '../../functions/core/alerts.ts';
import { DAY_MS } from '../../functions/core/duration.ts';
import { type Money, money, moneyFromUnits } from '../../functions/core/money.ts';
import { FULL_RESOLUTION_DAYS, snapshotExpiry } from '../../functions/core/retention.ts';
import type { BotSnapshot, Stores } from '../../functions/core/store-ports.ts';
import { IllegalTransitionError, type JournalEntry } from '../../functions/core/transfer.ts';
import { localDynamoClient } from '../../functions/local/dynamo.ts';
import { BACKENDS, type RunningDynamo } from '../helpers/dynamo.ts';
import {
  completed,
  entry,
  flatLedger,
  freshPortfolio,
  HF_BOT,
  LF_BOT,
  ledgerAfter,
  manualClock,
  startingState,
} from '../helpers/dynamo-fixtures.ts';

describe.each(BACKENDS)('the DynamoDB stores on $name', (backend) => {
  if (backend.skipReason !== undefined) {
    console.warn(backend.skipReason);
    it.skip(backend.skipReason, () => {});
    return;
  }

  let db: RunningDynamo;
  let store: Stores;
  /** Extra clients (a second "Lambda", a raw writer): destroyed after the suite. */
  const clients: DynamoDBClient[] = [];
  const newClient = () => {
    const c = localDynamoClient(db.endpoint);
    clients.push(c);
    return c;
  };
  /** Another store on its own connection, as another Lambda container would be. */
  const otherStore = (now?: () => Date) =>
    dynamoStores(newClient(), db.tableNames, now ? { now } : {});

  beforeAll(async () => {
    db = await backend.start();
    store = dynamoStores(db.client, db.tableNames);
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await db?.close();
  });

  async function portfolioWithState() {
    const p = freshPortfolio();
    await store.portfolio.init(p, startingState());
    return p;
  }

  describe('journal', () => {
    it('creates each entry once: a repeated putPlanned creates nothing and leaves the entry as it was', async () => {
      const p = freshPortfolio();
      const a = entry(p, { cycleId: 'c-1' });
      const b = entry(p, { cycleId: 'c-2' });

      expect(await store.journal.putPlanned([a, b])).toEqual([a.id, b.id]);
      await store.journal.transition(a.id, ['planned'], 'validated');
      const again = await store.journal.putPlanned([a, b]);

      expect(again).toEqual([]);
      expect((await store.journal.get(a.id))?.status).toBe('validated');
      expect(await store.journal.get(b.id)).toEqual(b);
    });

    it('moves an entry along legal edges, recording each change and its patch', async () => {
      const clock = manualClock();
      const s = otherStore(clock.now);
      const p = freshPortfolio();
      const e = entry(p);
      await s.journal.putPlanned([e]);

      clock.advance(1_000);
      await s.journal.transition(e.id, ['planned'], 'validated', { note: 'guards passed' });
      clock.advance(1_000);
      await s.journal.transition(e.id, ['validated'], 'submitted', { exchangeTransferId: 'x-42' });
      clock.advance(1_000);
      const done = await s.journal.transition(e.id, ['submitted', 'uncertain'], 'completed');

      expect(done?.status).toBe('completed');
      expect(done?.exchangeTransferId).toBe('x-42');
      expect(done?.updatedAt).toBe('2026-11-20T12:00:03.000Z');
      expect(done?.history).toEqual([
        { status: 'planned', at: '2026-11-20T12:00:00.000Z' },
        { status: 'validated', at: '2026-11-20T12:00:01.000Z', note: 'guards passed' },
        { status: 'submitted', at: '2026-11-20T12:00:02.000Z' },
        { status: 'completed', at: '2026-11-20T12:00:03.000Z' },
      ]);
      expect(await store.journal.get(e.id)).toEqual(done);
      expect((await store.journal.byStatus(p, ['completed'])).map((x) => x.id)).toEqual([e.id]);
      expect(await store.journal.byStatus(p, ['planned', 'validated', 'submitted'])).toEqual([]);
    });

    it('sets the amount a re-check shrank the entry to with its move to validated', async () => {
      const p = freshPortfolio();
      const e = entry(p, { amount: money(150) });
      await store.journal.putPlanned([e]);

      const moved = await store.journal.transition(e.id, ['planned'], 'validated', {
        amount: money(120),
        note: 'amount 150 → 120',
      });

      expect(moved?.amount).toBe(money(120));
      expect((await store.journal.get(e.id))?.amount).toBe(money(120));
    });

    it('refuses an illegal transition and leaves the entry untouched', async () => {
      const p = freshPortfolio();
      const e = entry(p);
      await store.journal.putPlanned([e]);

      await expect(store.journal.transition(e.id, ['planned'], 'completed')).rejects.toThrow(
        IllegalTransitionError,
      );
      await expect(
        store.journal.transition(e.id, ['submitted', 'planned'], 'submitted'),
      ).rejects.toThrow(IllegalTransitionError);
      expect(await store.journal.get(e.id)).toEqual(e);
    });

    it('returns undefined when the entry is no longer in a from status, and changes nothing', async () => {
      const p = freshPortfolio();
      const e = entry(p);
      await store.journal.putPlanned([e]);
      const validated = await store.journal.transition(e.id, ['planned'], 'validated');

      const late = await store.journal.transition(e.id, ['planned'], 'rejected', {
        error: 'too late',
      });

      expect(late).toBeUndefined();
      expect(await store.journal.get(e.id)).toEqual(validated);
      expect(
        await store.journal.transition('no-such-transfer', ['planned'], 'validated'),
      ).toBeUndefined();
    });

    it('lets exactly one of two concurrent planned→validated transitions win', async () => {
      const p = freshPortfolio();
      const e = entry(p);
      await store.journal.putPlanned([e]);

      const results = await Promise.all([
        otherStore().journal.transition(e.id, ['planned'], 'validated', { note: 'first' }),
        otherStore().journal.transition(e.id, ['planned'], 'validated', { note: 'second' }),
      ]);

      expect(results.filter((r) => r !== undefined)).toHaveLength(1);
      const stored = await store.journal.get(e.id);
      expect(stored?.history.map((h) => h.status)).toEqual(['planned', 'validated']);
    });

    it("finds a portfolio's entries by status, and only in the statuses asked for", async () => {
      const p = freshPortfolio();
      const planned = entry(p, { cycleId: 'c-1' });
      const validated = entry(p, { cycleId: 'c-2' });
      const elsewhere = entry(freshPortfolio(), { cycleId: 'c-1' });
      await store.journal.putPlanned([planned, validated, elsewhere]);
      await store.journal.transition(validated.id, ['planned'], 'validated');

      const open = await store.journal.byStatus(p, ['planned', 'validated']);

      expect(open.map((x) => x.id).sort()).toEqual([planned.id, validated.id].sort());
      expect((await store.journal.byStatus(p, ['validated'])).map((x) => x.id)).toEqual([
        validated.id,
      ]);
      expect(await store.journal.byStatus(p, ['completed', 'uncertain'])).toEqual([]);
    });

    it("lists one bot's entries newest first, at most the limit", async () => {
      const p = freshPortfolio();
      const at = (h: number) => `2026-11-20T${String(h).padStart(2, '0')}:00:00.000Z`;
      const mine = [1, 3, 2].map((h) => entry(p, { cycleId: `c-${h}`, now: at(h) }));
      const other = entry(p, { botId: HF_BOT, from: 'reserve:high_frequency', now: at(4) });
      await store.journal.putPlanned([...mine, other]);

      const all = await store.journal.byBot(p, LF_BOT);
      const newest = await store.journal.byBot(p, LF_BOT, 2);

      expect(all.map((x) => x.cycleId)).toEqual(['c-3', 'c-2', 'c-1']);
      expect(newest.map((x) => x.cycleId)).toEqual(['c-3', 'c-2']);
      expect((await store.journal.byBot(p, HF_BOT)).map((x) => x.id)).toEqual([other.id]);
    });

    it('keeps a running entry out of the status index and puts it there, under its bot, once settled', async () => {
      const p = await portfolioWithState();
      const e = entry(p);
      await store.journal.putPlanned([e]);
      const item = async () =>
        (
          await raw().send(
            new GetCommand({ TableName: db.tableNames.transactions, Key: { id: e.id } }),
          )
        ).Item;
      expect(await item()).toMatchObject({ bot_key: `${p}#_unsettled` });
      expect((await item())?.status_key).toBeUndefined();

      const done = await completed(store.journal, e);
      expect((await item())?.status_key).toBeUndefined();
      expect((await store.journal.completedUnapplied(p)).map((x) => x.id)).toEqual([e.id]);
      await store.ledger.applyCompleted(done);

      expect(await item()).toMatchObject({
        bot_key: `${p}#${LF_BOT}`,
        status_key: `${p}#completed`,
      });
      expect(await store.journal.completedUnapplied(p)).toEqual([]);
      expect((await store.journal.byStatus(p, ['completed'])).map((x) => x.id)).toEqual([e.id]);
      expect((await store.journal.byBot(p, LF_BOT)).map((x) => x.id)).toEqual([e.id]);
    });

    it('reads the entries 0.1 journaled (each under its status and its bot) and moves each with its next write', async () => {
      const p = await portfolioWithState();
      const legacy = async (e: JournalEntry, statusKey: string) => {
        await raw().send(
          new PutCommand({
            TableName: db.tableNames.transactions,
            Item: {
              ...compact(journalItem(e)),
              status_key: statusKey,
              bot_key: `${p}#${e.botId}`,
            },
          }),
        );
        return e;
      };
      const submitted = await legacy(
        { ...entry(p, { cycleId: 'c-1', now: '2026-11-20T12:00:00.000Z' }), status: 'submitted' },
        `${p}#submitted`,
      );
      const unapplied = await legacy(
        {
          ...entry(p, {
            cycleId: 'c-2',
            botId: HF_BOT,
            from: 'reserve:high_frequency',
            now: '2026-11-20T12:05:00.000Z',
          }),
          status: 'completed',
        },
        `${p}#completed#unapplied`,
      );

      expect(
        (await store.journal.byStatus(p, ['submitted', 'uncertain'])).map((x) => x.id),
      ).toEqual([submitted.id]);
      expect((await store.journal.completedUnapplied(p)).map((x) => x.id)).toEqual([unapplied.id]);
      expect((await store.journal.byBot(p, LF_BOT)).map((x) => x.id)).toEqual([submitted.id]);

      await store.journal.transition(submitted.id, ['submitted'], 'failed', { error: 'refused' });
      await store.ledger.applyCompleted(unapplied);

      expect(
        await store.journal.byStatus(p, ['submitted', 'uncertain', 'completed', 'failed']),
      ).toEqual([
        expect.objectContaining({ id: submitted.id, status: 'failed' }),
        expect.objectContaining({ id: unapplied.id, status: 'completed', ledgerApplied: true }),
      ]);
      expect(await store.journal.completedUnapplied(p)).toEqual([]);
      expect((await store.journal.byBot(p, HF_BOT)).map((x) => x.id)).toEqual([unapplied.id]);
    });
  });

  describe('ledger', () => {
    it('applies a completed allocation to the reserve and the bot exactly as ledgerDeltas says', async () => {
      const p = await portfolioWithState();
      const e = await completed(store.journal, entry(p, { amount: money('150.5') }));

      await store.ledger.applyCompleted(e);

      expect(flatLedger(await loaded(p))).toEqual(ledgerAfter(startingState(), [e]));
      const recorded = await store.journal.get(e.id);
      expect(recorded?.potBefore).toBe(money(500));
      expect(recorded?.potAfter).toBe(money('349.5'));
    });

    it("applies every kind's deltas (refill legs, harvest, protect, rebalance both ways)", async () => {
      const p = await portfolioWithState();
      const specs = [
        { kind: 'allocation', amount: money(150) },
        { kind: 'harvest', from: `bot:${LF_BOT}`, to: 'reserve:low_frequency', amount: money(30) },
        { kind: 'refill', amount: money(50), leg: 0 },
        { kind: 'refill', from: 'reserve:emergency', amount: money('32.5'), leg: 1 },
        { kind: 'protect', from: `bot:${LF_BOT}`, to: 'reserve:emergency', amount: money('0.1') },
        {
          kind: 'rebalance',
          from: `bot:${LF_BOT}`,
          to: 'reserve:low_frequency',
          amount: money(20),
        },
        { kind: 'rebalance', amount: money(5), leg: 1 },
      ] as const;
      const done: JournalEntry[] = [];
      for (const [i, s] of specs.entries()) {
        done.push(await completed(store.journal, entry(p, { ...s, cycleId: `c-${i}` })));
      }

      for (const e of done) await store.ledger.applyCompleted(e);

      const after = await loaded(p);
      expect(flatLedger(after)).toEqual(ledgerAfter(startingState(), done));
      expect(after.bots.get(LF_BOT)?.refills).toBe(1);
    });

    it('applies an entry called twice only once', async () => {
      const p = await portfolioWithState();
      const e = await completed(store.journal, entry(p));

      await store.ledger.applyCompleted(e);
      await store.ledger.applyCompleted(e);

      expect(flatLedger(await loaded(p))).toEqual(ledgerAfter(startingState(), [e]));
    });

    it('applies an entry once when five callers apply it at the same time', async () => {
      const p = await portfolioWithState();
      const e = await completed(store.journal, entry(p));

      await Promise.all(Array.from({ length: 5 }, () => otherStore().ledger.applyCompleted(e)));

      expect(flatLedger(await loaded(p))).toEqual(ledgerAfter(startingState(), [e]));
      expect(await rawState(p)).not.toHaveProperty('applying');
    });

    it('applies concurrent completions of different entries, each once', async () => {
      const p = await portfolioWithState();
      const entries = await Promise.all(
        [1, 2, 3, 4].map((i) =>
          completed(
            store.journal,
            entry(p, {
              kind: 'refill',
              botId: HF_BOT,
              from: 'reserve:high_frequency',
              cycleId: `c-${i}`,
              amount: money(i),
            }),
          ),
        ),
      );

      await Promise.all(
        entries.flatMap((e) => [
          store.ledger.applyCompleted(e),
          otherStore().ledger.applyCompleted(e),
        ]),
      );

      expect(flatLedger(await loaded(p))).toEqual(ledgerAfter(startingState(), entries));
    });

    it('finishes an apply that crashed after the ledger write, without applying again', async () => {
      const p = await portfolioWithState();
      const e = await completed(store.journal, entry(p));
      await crashedAfterLedgerWrite(p, e);

      await store.ledger.applyCompleted(e);

      expect(flatLedger(await loaded(p))).toEqual(ledgerAfter(startingState(), [e]));
      expect(await rawState(p)).not.toHaveProperty('applying');
      await store.ledger.applyCompleted(e);
      expect(flatLedger(await loaded(p))).toEqual(ledgerAfter(startingState(), [e]));
    });

    it('tidies an apply that crashed after marking the journal, without applying again', async () => {
      const p = await portfolioWithState();
      const e = await completed(store.journal, entry(p));
      await crashedAfterLedgerWrite(p, e);
      await raw().send(
        new UpdateCommand({
          TableName: db.tableNames.transactions,
          Key: { id: e.id },
          UpdateExpression: 'SET ledger_applied = :t',
          ExpressionAttributeValues: { ':t': true },
        }),
      );

      await store.ledger.applyCompleted(e);

      expect(flatLedger(await loaded(p))).toEqual(ledgerAfter(startingState(), [e]));
      expect(await rawState(p)).not.toHaveProperty('applying');
      expect(await rawItem(botItemKey(p, e.botId))).not.toHaveProperty('applying');
    });

    it("finishes an apply that crashed between the header's write and the bot's, adding the bot's part once", async () => {
      const p = await portfolioWithState();
      const e = await completed(store.journal, entry(p));
      await crashedAfterHeaderWrite(p, e);

      await store.ledger.applyCompleted(e);
      await store.ledger.applyCompleted(e);

      expect(flatLedger(await loaded(p))).toEqual(ledgerAfter(startingState(), [e]));
      expect(await rawState(p)).not.toHaveProperty('applying');
      expect((await store.ledger.watermark(p)).applied).toBe(1n);
    });

    it("does not add the bot's part again for a caller whose journal read came before another finished", async () => {
      // The slow caller sees the entry half applied (the header's part in), reads the journal
      // ("not applied") and is held back; a fast caller applies the bot's part, marks the
      // journal and clears both marks. Released, the slow caller finds no mark on the bot item
      // and an epoch it may condition on: only its second journal read (J1') stops it.
      const p = await portfolioWithState();
      const e = await completed(store.journal, entry(p));
      await crashedAfterHeaderWrite(p, e);
      await appliedWhileOneCallerWaits(e);

      expect(flatLedger(await loaded(p))).toEqual(ledgerAfter(startingState(), [e]));
      expect(await rawItem(botItemKey(p, e.botId))).not.toHaveProperty('applying');
    });

    it('reads books written before bot items and moves them, finishing an entry the old protocol left half applied once', async () => {
      const p = freshPortfolio();
      const { harvest, expected } = await legacyBooks(p);

      // Act: a load moves the books; the half-applied entry is finished
      const before = await loaded(p);
      await store.ledger.applyCompleted(harvest);
      await store.ledger.applyCompleted(harvest);

      // Assess: nothing added twice, every field on its bot's item, none left on the header
      expect(flatLedger(before)).toEqual(expected);
      const after = await loaded(p);
      expect(flatLedger(after)).toEqual(expected);
      expect(after.confirmedBalances?.get(LF_BOT)?.balance).toBe(money(120));
      expect(after.retired?.get('gone-bot')).toBe('77');
      expect(after.protectedThisEpisode).toEqual(new Set([LF_BOT]));
      const header = (await rawState(p)) ?? {};
      expect(Object.keys(header).filter((k) => /^(bot|confirmed|retired):/.test(k))).toEqual([]);
      expect(header).not.toHaveProperty('applying');
      expect((await store.ledger.watermark(p)).applied).toBe(2n);
    });

    it('moves the old books whole when an apply comes before any load', async () => {
      // The ledger's first read of the header is a projection: the upgrade reads it all.
      const p = freshPortfolio();
      const { harvest, expected } = await legacyBooks(p);

      await store.ledger.applyCompleted(harvest);

      expect(flatLedger(await loaded(p))).toEqual(expected);
      expect((await store.ledger.watermark(p)).applied).toBe(2n);
    });

    it('does not apply again for a caller that read the journal just before another finished', async () => {
      const p = await portfolioWithState();
      const e = await completed(store.journal, entry(p));
      // The slow caller's first journal read returns "not applied" before the fast one applies.
      await appliedWhileOneCallerWaits(e);

      expect(flatLedger(await loaded(p))).toEqual(ledgerAfter(startingState(), [e]));
    });

    it('refuses to apply an entry that is not completed, and changes nothing', async () => {
      const p = await portfolioWithState();
      const e = entry(p);
      await store.journal.putPlanned([e]);
      const submitted = entry(p, { cycleId: 'c-2' });
      await store.journal.putPlanned([submitted]);
      await store.journal.transition(submitted.id, ['planned'], 'validated');
      await store.journal.transition(submitted.id, ['validated'], 'submitted');

      await expect(store.ledger.applyCompleted(e)).rejects.toThrow(NotCompletedError);
      await expect(
        store.ledger.applyCompleted({ ...submitted, status: 'completed' }),
      ).rejects.toThrow(NotCompletedError);
      expect(flatLedger(await loaded(p))).toEqual(flatLedger(startingState()));
    });

    it('refuses to apply to a portfolio that has no state', async () => {
      const e = await completed(store.journal, entry(freshPortfolio()));

      await expect(store.ledger.applyCompleted(e)).rejects.toThrow(StateNotFoundError);
    });
  });

  describe('exact amounts', () => {
    const eightDecimals = money('12345678.12345678');
    const beyondDoubles = moneyFromUnits(2n ** 53n + 1n);
    const huge = moneyFromUnits(123456789012345678901234567n);

    it('keeps amounts with 8 decimals and beyond 2^53 units exact in the journal', async () => {
      const p = freshPortfolio();
      const entries = [eightDecimals, beyondDoubles, huge].map((amount, i) =>
        entry(p, { amount, cycleId: `c-${i}` }),
      );
      await store.journal.putPlanned(entries);

      for (const e of entries) expect((await store.journal.get(e.id))?.amount).toBe(e.amount);
    });

    it('keeps them exact in the state and through the ledger additions', async () => {
      const p = freshPortfolio();
      const start = {
        ...startingState(),
        peakEquity: huge,
        reserves: new Map<string, Money>([
          ['emergency', beyondDoubles],
          ['low_frequency', huge],
        ]),
      };
      await store.portfolio.init(p, start);
      const e = await completed(store.journal, entry(p, { amount: eightDecimals }));

      await store.ledger.applyCompleted(e);

      const after = await loaded(p);
      expect(after.peakEquity).toBe(huge);
      expect(after.reserves.get('emergency')).toBe(beyondDoubles);
      expect(after.reserves.get('low_frequency')).toBe(huge - eightDecimals);
      expect(after.bots.get(LF_BOT)?.capitalBase).toBe(eightDecimals);
      expect((await store.journal.get(e.id))?.potBefore).toBe(huge);
    });

    it('keeps them exact in performance snapshots', async () => {
      const p = freshPortfolio();
      const s = snapshot(0, { balance: huge, pnl: moneyFromUnits(-(2n ** 53n) - 3n) });
      await store.performance.putSnapshots(p, [s]);

      expect(await store.performance.history(p, LF_BOT)).toEqual([s]);
    });
  });

  describe('portfolio state', () => {
    it('round-trips a state through init and load', async () => {
      const p = freshPortfolio();
      const state = startingState();
      const blocked = {
        balance: money('0.00000001'),
        capitalBase: money(100),
        contributed: money('182.5'),
        harvested: money(12),
        protected: money(3),
        refills: 2,
        refillBlocked: true,
        inFlight: false,
      };
      const full = {
        ...state,
        bots: new Map([[HF_BOT, blocked]]),
        flags: { halted: true, blackSwan: false },
      };

      expect(await store.portfolio.init(p, full)).toBe(true);

      expect(await store.portfolio.load(p)).toEqual(full);
    });

    it('creates the state once: a second init changes nothing', async () => {
      const p = await portfolioWithState();

      const second = await store.portfolio.init(p, { ...startingState(), peakEquity: money(1) });

      expect(second).toBe(false);
      expect((await loaded(p)).peakEquity).toBe(money(1000));
      expect(await store.portfolio.load(freshPortfolio())).toBeUndefined();
    });

    it('records a cycle (balances, peak, flags) and leaves the ledger fields alone', async () => {
      const p = await portfolioWithState();
      const e = await completed(store.journal, entry(p));
      await store.ledger.applyCompleted(e);
      const before = flatLedger(await loaded(p));

      await store.portfolio.saveCycle(p, {
        asOf: '2026-11-20T12:15:00.000Z',
        cycleId: 'c-2',
        peakEquity: money(1050),
        flags: { halted: false, blackSwan: true },
        balances: new Map([
          [LF_BOT, money('199.99999999')],
          [HF_BOT, money(90)],
          ['not.funded-yet', money(7)],
        ]),
      });

      const after = await loaded(p);
      expect(after.asOf).toBe('2026-11-20T12:15:00.000Z');
      expect(after.peakEquity).toBe(money(1050));
      expect(after.flags).toEqual({ halted: false, blackSwan: true });
      expect(after.bots.get(LF_BOT)?.balance).toBe(money('199.99999999'));
      expect(after.bots.get(HF_BOT)?.balance).toBe(money(90));
      expect(after.bots.has('not.funded-yet')).toBe(false);
      const {
        [`bot:${LF_BOT}:balance`]: _a,
        [`bot:${HF_BOT}:balance`]: _b,
        ...ledger
      } = flatLedger(after);
      const {
        [`bot:${LF_BOT}:balance`]: _c,
        [`bot:${HF_BOT}:balance`]: _d,
        ...ledgerBefore
      } = before;
      expect(ledger).toEqual(ledgerBefore);
      expect((await rawState(p))?.cycle_id).toBe('c-2');
    });

    it('lets a late cycle of an older slot write nothing over a newer one, nor clear a halt', async () => {
      // Prepare: the 12:30 cycle latched black swan; an operator halted meanwhile
      const p = await portfolioWithState();
      const cycle = (asOf: string, blackSwan: boolean) => ({
        asOf,
        cycleId: asOf,
        peakEquity: money(1000),
        flags: { halted: false, blackSwan },
        balances: new Map(),
      });
      await store.portfolio.saveCycle(p, cycle('2026-11-20T12:30:00.000Z', true));
      await store.portfolio.setHalted(p, true);
      // Act: the 12:15 cycle, slow, ends now; then the 12:45 one
      await store.portfolio.saveCycle(p, cycle('2026-11-20T12:15:00.000Z', false));
      const afterLate = await loaded(p);
      await store.portfolio.saveCycle(p, cycle('2026-11-20T12:45:00.000Z', true));
      // Assess
      expect(afterLate.asOf).toBe('2026-11-20T12:30:00.000Z');
      expect(afterLate.flags).toEqual({ halted: true, blackSwan: true });
      expect((await loaded(p)).flags).toEqual({ halted: true, blackSwan: true });
    });

    it('refuses to record a cycle for a portfolio without state', async () => {
      const snapshot = {
        asOf: '2026-11-20T12:15:00.000Z',
        cycleId: 'c-1',
        peakEquity: money(1),
        flags: { halted: false, blackSwan: false },
        balances: new Map(),
      };

      await expect(store.portfolio.saveCycle(freshPortfolio(), snapshot)).rejects.toThrow(
        StateNotFoundError,
      );
    });

    it("blocks and unblocks a bot's refills", async () => {
      const p = await portfolioWithState();

      await store.portfolio.setRefillBlocked(p, HF_BOT, true);
      expect((await loaded(p)).bots.get(HF_BOT)?.refillBlocked).toBe(true);
      await store.portfolio.setRefillBlocked(p, HF_BOT, false);
      expect((await loaded(p)).bots.get(HF_BOT)?.refillBlocked).toBe(false);
    });
  });

  describe('locks and alert cooldowns', () => {
    it("refuses a bot's lock to a second owner, lets the owner take it again, and frees it on expiry", async () => {
      const clock = manualClock();
      const s = otherStore(clock.now);
      const p = freshPortfolio();

      expect(await s.locks.lockBot(p, LF_BOT, 'transfer-a', 60_000)).toBe(true);
      expect(await s.locks.lockBot(p, LF_BOT, 'transfer-b', 60_000)).toBe(false);
      expect(await s.locks.lockBot(p, LF_BOT, 'transfer-a', 60_000)).toBe(true);
      expect(await s.locks.lockBot(p, HF_BOT, 'transfer-b', 60_000)).toBe(true);
      clock.advance(60_001);
      expect(await s.locks.lockBot(p, LF_BOT, 'transfer-b', 60_000)).toBe(true);
      expect(await s.locks.lockBot(p, LF_BOT, 'transfer-a', 60_000)).toBe(false);
    });

    it("leaves a lock held when someone else unlocks it, and frees it on the owner's unlock", async () => {
      const p = freshPortfolio();
      await store.locks.lockBot(p, LF_BOT, 'transfer-a', 60_000);

      await store.locks.unlockBot(p, LF_BOT, 'transfer-b');
      expect(await store.locks.lockBot(p, LF_BOT, 'transfer-b', 60_000)).toBe(false);
      await store.locks.unlockBot(p, LF_BOT, 'transfer-a');
      expect(await store.locks.lockBot(p, LF_BOT, 'transfer-b', 60_000)).toBe(true);
      await store.locks.unlockBot(freshPortfolio(), LF_BOT, 'nobody');
    });

    it('holds a transfer alert once, before and after its digest, and forgets it two days after', async () => {
      const clock = manualClock();
      const start = clock.now().getTime();
      const s = otherStore(clock.now);
      const p = freshPortfolio();
      const done = alert('harvest', 'harvest of a completed', 'a');
      const key = 'harvest#transfer#t1#completed';

      await s.cooldowns.hold(p, key, done);
      await s.cooldowns.hold(p, key, done);
      const held = await s.cooldowns.held(p);
      await s.cooldowns.release(p, [key]);
      await s.cooldowns.hold(p, key, done); // a notify step run again after the digest
      const after = await s.cooldowns.held(p);
      const sent = await s.cooldowns.sentSince(p, 0);
      clock.advance(2 * DAY_MS + 1_000);
      const later = await s.cooldowns.held(p);

      expect(held).toEqual([{ key, alert: done }]);
      expect(after).toEqual([]);
      expect(sent).toEqual([{ key, sentAt: start }]);
      expect(later).toEqual([]);
      expect(await s.cooldowns.sentSince(p, 0)).toEqual([]);
    });

    it('claims an alert once per cooldown, per key', async () => {
      const p = freshPortfolio();
      const t0 = Date.parse('2026-11-20T12:00:00.000Z');
      const hour = 3_600_000;

      expect(await store.cooldowns.claimAlert(p, `refill#${LF_BOT}`, t0, hour)).toBe(true);
      expect(await store.cooldowns.claimAlert(p, `refill#${LF_BOT}`, t0 + hour - 1, hour)).toBe(
        false,
      );
      expect(await store.cooldowns.claimAlert(p, `refill#${HF_BOT}`, t0 + 1, hour)).toBe(true);
      expect(await store.cooldowns.claimAlert(p, `refill#${LF_BOT}`, t0 + hour, hour)).toBe(true);
      expect(await store.cooldowns.claimAlert(p, `refill#${LF_BOT}`, t0 + hour + 1, hour)).toBe(
        false,
      );
    });
  });

  describe('performance', () => {
    it('writes more than 25 snapshots in one call and reads them back oldest first', async () => {
      const p = freshPortfolio();
      const mine = Array.from({ length: 60 }, (_, i) => snapshot(i));
      const other = { ...snapshot(0), botId: HF_BOT };
      const shuffled = [...mine].reverse();
      await store.performance.putSnapshots(p, [
        ...shuffled.slice(0, 30),
        other,
        ...shuffled.slice(30),
      ]);

      expect(await store.performance.history(p, LF_BOT)).toEqual(mine);
      expect(await store.performance.history(p, LF_BOT, 10)).toEqual(mine.slice(-10));
      expect(await store.performance.history(p, HF_BOT)).toEqual([other]);
    });

    it('reads each day’s last snapshot as its end-of-day equity, skipping a day without one', async () => {
      const p = freshPortfolio();
      // every 15 minutes over 2026-11-20 and 11-21 (192 rows), none on 11-22
      const mine = Array.from({ length: 192 }, (_, i) => snapshot(i));
      await store.performance.putSnapshots(p, mine);

      const closes = await store.performance.endOfDay(p, LF_BOT, [
        '2026-11-19',
        '2026-11-20',
        '2026-11-21',
        '2026-11-22',
      ]);

      expect(closes).toEqual([mine[95], mine[191]]);
      expect(closes.map((s) => s.at)).toEqual([
        '2026-11-20T23:45:00.000Z',
        '2026-11-21T23:45:00.000Z',
      ]);
    });

    it('keeps each bot’s recent returns exactly, in one query, never over newer ones', async () => {
      const p = freshPortfolio();
      const at = (m: number) =>
        new Date(Date.parse('2026-11-20T00:00:00Z') + m * 60_000).toISOString();
      const returns = [0.1 + 0.2, -1 / 3, null, 2 ** -40, 123456.789e-12];
      const kept = {
        last: { at: at(10), balance: money('150.12345678'), netContributed: money(-20) },
        returns,
      };
      await store.performance.putRecent(p, new Map([[LF_BOT, kept]]));
      // A late cycle of an older slot writes nothing over it
      await store.performance.putRecent(
        p,
        new Map([[LF_BOT, { ...kept, last: { ...kept.last, at: at(5) }, returns: [] }]]),
      );
      await store.performance.putRecent(
        p,
        new Map([[HF_BOT, { ...kept, last: { ...kept.last, at: at(1) }, returns: [0] }]]),
      );

      const read = await store.performance.recent(p);
      expect(read.get(LF_BOT)).toEqual(kept);
      expect(read.get(HF_BOT)?.returns).toEqual([0]);
      expect(await store.performance.recent(freshPortfolio())).toEqual(new Map());
    });

    it('prunes the expired snapshots and keeps each day’s close, which end-of-day still reads', async () => {
      // Prepare: two days every 15 minutes, each with the expiry the cycle gives it
      const p = freshPortfolio();
      const mine = Array.from({ length: 192 }, (_, i) => {
        const s = snapshot(i);
        return { ...s, expiresAt: snapshotExpiry(s.at, 900_000) };
      });
      const other = { ...mine[0], botId: HF_BOT } as BotSnapshot;
      await store.performance.putSnapshots(p, [...mine, other]);
      const days = ['2026-11-20', '2026-11-21'];
      const closes = await store.performance.endOfDay(p, LF_BOT, days);
      // Act: on the first day the full-resolution rows of 11-20 have expired, not 11-21's
      const at = new Date(Date.parse('2026-11-21T00:00:00Z') + FULL_RESOLUTION_DAYS * DAY_MS);
      const pruned = await store.performance.pruneExpired(p, [LF_BOT], at);
      // Assess: 95 rows of 11-20 gone, its close and all of 11-21 kept; another bot untouched
      expect(pruned).toBe(95);
      expect(await store.performance.history(p, LF_BOT)).toEqual([mine[95], ...mine.slice(96)]);
      expect(await store.performance.endOfDay(p, LF_BOT, days)).toEqual(closes);
      expect(await store.performance.history(p, HF_BOT)).toEqual([other]);
      expect(await store.performance.pruneExpired(p, [LF_BOT], at)).toBe(0);
    });
  });

  // ── helpers that reach past the store, on their own connection ──

  let rawClient: DynamoDBDocumentClient | undefined;
  function raw(): DynamoDBDocumentClient {
    rawClient ??= DynamoDBDocumentClient.from(newClient(), {
      unmarshallOptions: { wrapNumbers: true },
    });
    return rawClient;
  }

  async function loaded(portfolioId: string) {
    const state = await store.portfolio.load(portfolioId);
    if (!state) throw new Error(`no state for ${portfolioId}`);
    return state;
  }

  async function rawState(portfolioId: string) {
    const out = await raw().send(
      new GetCommand({
        TableName: db.tableNames.state,
        Key: stateKey(portfolioId),
        ConsistentRead: true,
      }),
    );
    return out.Item;
  }

  /**
   * A slow caller applies `e`; its first journal read returns and is then held back until a fast
   * caller has applied the entry (and cleared its marks); then the slow caller goes on.
   */
  async function appliedWhileOneCallerWaits(e: JournalEntry) {
    const slowClient = newClient();
    let reached!: () => void;
    const atGate = new Promise<void>((resolve) => {
      reached = resolve;
    });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let held = false;
    slowClient.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const input = args.input as { TableName?: string };
        const journalRead =
          context.commandName === 'GetItemCommand' &&
          input.TableName === db.tableNames.transactions;
        if (journalRead && !held) {
          held = true;
          reached();
          await gate;
        }
        return result;
      },
      { step: 'initialize', name: 'holdFirstJournalRead' },
    );
    const slow = dynamoStores(slowClient, db.tableNames);
    const slowApply = slow.ledger.applyCompleted(e);
    await atGate;
    await store.ledger.applyCompleted(e);
    release();
    await slowApply;
  }

  /**
   * Books of the old layout — every bot field on the header — with a harvest whose deltas (bot
   * fields included) are in and which is still marked as applying.
   */
  async function legacyBooks(p: string) {
    const first = await completed(store.journal, entry(p, { amount: money(150) }));
    const harvest = await completed(
      store.journal,
      entry(p, {
        kind: 'harvest',
        from: `bot:${LF_BOT}`,
        to: 'reserve:low_frequency',
        amount: money(30),
        cycleId: 'c-2',
      }),
    );
    const expected = ledgerAfter(startingState(), [first, harvest]);
    const legacy: Record<string, unknown> = {
      ...stateKey(p),
      as_of: '2026-11-20T00:00:00.000Z',
      peak_equity: money(1000),
      halted: false,
      black_swan: false,
      ledger_epoch: 1n,
      applying: new Set([harvest.id]),
      [`confirmed:${LF_BOT}`]: { balance: money(120), at: 't', reason: 'r', by: 'me' },
      [`retired:gone-bot`]: '77',
      protected_episode: new Set([LF_BOT]),
    };
    for (const [field, value] of Object.entries(expected)) {
      const bot = /^bot:(.+):(\w+)$/.exec(field);
      if (!bot) legacy[field] = value;
      else {
        const name = bot[2] === 'capitalBase' ? 'capital_base' : (bot[2] as string);
        legacy[`bot:${bot[1]}:${name}`] = value;
      }
    }
    await raw().send(new PutCommand({ TableName: db.tableNames.state, Item: legacy }));
    await raw().send(
      new UpdateCommand({
        TableName: db.tableNames.transactions,
        Key: { id: first.id },
        UpdateExpression: 'SET ledger_applied = :t',
        ExpressionAttributeValues: { ':t': true },
      }),
    );
    return { harvest, expected };
  }

  async function rawItem(key: Record<string, string>) {
    const out = await raw().send(
      new GetCommand({ TableName: db.tableNames.state, Key: key, ConsistentRead: true }),
    );
    return out.Item;
  }

  /** ADDs `adds` and marks `id` as applying on one item, as the protocol's H2 or B2 does. */
  async function addRaw(key: Record<string, string>, adds: Map<string, bigint>, id: string) {
    const x = new Expr();
    const clauses = [...adds].map(([a, d]) => `${x.name(a)} ${x.value(d)}`);
    clauses.push(`${x.name('applying')} ${x.value(new Set([id]))}`);
    await raw().send(
      new UpdateCommand({
        TableName: db.tableNames.state,
        Key: key,
        UpdateExpression: `ADD ${clauses.join(', ')}`,
        ...x.attributes(),
      }),
    );
  }

  /** What H2 writes (the header's deltas added, the id marked as applying), then nothing more. */
  async function crashedAfterHeaderWrite(portfolioId: string, e: JournalEntry) {
    await addRaw(stateKey(portfolioId), split(e).header, e.id);
  }

  /** What H2 and B2 write (both parts added and marked), then nothing more. */
  async function crashedAfterLedgerWrite(portfolioId: string, e: JournalEntry) {
    await crashedAfterHeaderWrite(portfolioId, e);
    const bot = split(e).bot;
    if (bot) await addRaw(botItemKey(portfolioId, bot.botId), bot.adds, e.id);
  }
});

function snapshot(i: number, amounts: Partial<BotSnapshot> = {}): BotSnapshot {
  return {
    botId: LF_BOT,
    cycleId: `c-${i}`,
    at: new Date(Date.parse('2026-11-20T00:00:00.000Z') + i * 900_000).toISOString(),
    balance: money(150 + i),
    capitalBase: money(150),
    contributed: money(150),
    harvested: money(0),
    protected: money(0),
    netContributed: money(0),
    pnl: money(i),
    ...amounts,
  };
}
