/**
 * The store's claims, against real emulators (dynalite and DynamoDB Local): calls to the exchange
 * claimed one at a time, moves to a final status refused while a call may be in flight, reserve
 * holds and daily totals that racing callers cannot overrun, lock takeover, the index of completed
 * entries not yet applied, the watermark, and the conditional replace of the ledger.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoStores } from '../../functions/adapters/dynamodb/store.ts';
import { type Money, money } from '../../functions/core/money.ts';
import type { Stores } from '../../functions/core/store-ports.ts';
import type { JournalEntry } from '../../functions/core/transfer.ts';
import { localDynamoClient } from '../../functions/local/dynamo.ts';
import { BACKENDS, type RunningDynamo } from '../helpers/dynamo.ts';
import {
  completed,
  entry,
  freshPortfolio,
  HF_BOT,
  manualClock,
  startingState,
} from '../helpers/dynamo-fixtures.ts';

const AT = '2026-11-20T12:00:00.000Z';
const LATER = '2026-11-20T12:05:00.000Z';

describe.each(BACKENDS)('the DynamoDB stores claims on $name', (backend) => {
  if (backend.skipReason !== undefined) {
    it.skip(backend.skipReason, () => {});
    return;
  }

  let db: RunningDynamo;
  let store: Stores;
  const clients: DynamoDBClient[] = [];
  const otherStore = () => {
    const c = localDynamoClient(db.endpoint);
    clients.push(c);
    return dynamoStores(c, db.tableNames);
  };

  beforeAll(async () => {
    db = await backend.start();
    store = dynamoStores(db.client, db.tableNames);
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await db?.close();
  });

  async function validated(p: string, e: JournalEntry = entry(p)): Promise<JournalEntry> {
    await store.journal.putPlanned([e]);
    await store.journal.transition(e.id, ['planned'], 'validated');
    return e;
  }
  const claim = (attempt: number, leaseUntil = LATER, now = AT) => ({
    attempt,
    now,
    leaseUntil,
    note: `attempt ${attempt}`,
  });

  describe('calls to the exchange', () => {
    it('claims the first call by moving validated → submitted, once', async () => {
      const p = freshPortfolio();
      const e = await validated(p);

      const results = await Promise.all([
        otherStore().journal.claimSubmit(e.id, claim(1)),
        otherStore().journal.claimSubmit(e.id, claim(1)),
      ]);

      const won = results.filter((r) => r !== undefined);
      expect(won).toHaveLength(1);
      expect(won[0]).toMatchObject({
        status: 'submitted',
        submitAttempts: 1,
        submitLeaseUntil: LATER,
      });
      expect(won[0]?.history.at(-1)).toMatchObject({ status: 'submitted', note: 'attempt 1' });
    });

    it('refuses another call while the last one’s lease runs, and allows it once it returned', async () => {
      const p = freshPortfolio();
      const e = await validated(p);
      await store.journal.claimSubmit(e.id, claim(1));

      const whileInFlight = await store.journal.claimSubmit(e.id, claim(2));
      await store.journal.endSubmit(e.id, 1);
      const afterReturn = await store.journal.claimSubmit(e.id, claim(2));
      const stale = await store.journal.claimSubmit(e.id, claim(2));

      expect(whileInFlight).toBeUndefined();
      expect(afterReturn).toMatchObject({ submitAttempts: 2, submitLeaseUntil: LATER });
      expect(stale).toBeUndefined();
      expect((await store.journal.get(e.id))?.history.map((h) => h.note ?? h.status)).toEqual([
        'planned',
        'validated',
        'attempt 1',
        'attempt 2',
      ]);
    });

    it('writes what a failed call returned in the history, only while the entry is submitted', async () => {
      const p = freshPortfolio();
      const e = await validated(p);
      const other = await validated(p, entry(p, { cycleId: 'c-2' }));
      await store.journal.claimSubmit(e.id, claim(1));
      await store.journal.claimSubmit(other.id, claim(1));
      await store.journal.transition(other.id, ['submitted'], 'uncertain');

      await store.journal.endSubmit(e.id, 1, 'RateLimitedError: slow down');
      await store.journal.endSubmit(other.id, 1, 'RateLimitedError: slow down');

      const ended = await store.journal.get(e.id);
      expect(ended?.history.at(-1)).toMatchObject({
        status: 'submitted',
        note: 'attempt 1 returned RateLimitedError: slow down',
      });
      expect(ended?.submitLeaseUntil).toBeUndefined();
      const moved = await store.journal.get(other.id);
      expect(moved?.history.at(-1)?.status).toBe('uncertain');
      expect(moved?.submitLeaseUntil).toBeUndefined();
    });

    it('allows another call once the lease has run out, even if the first never returned', async () => {
      const p = freshPortfolio();
      const e = await validated(p);
      await store.journal.claimSubmit(e.id, claim(1, AT));

      const next = await store.journal.claimSubmit(e.id, claim(2, LATER, LATER));

      expect(next?.submitAttempts).toBe(2);
    });

    it('refuses to end a transfer as failed while a call may be in flight, or after another was claimed', async () => {
      const p = freshPortfolio();
      const e = await validated(p);
      await store.journal.claimSubmit(e.id, claim(1));

      const inFlight = await store.journal.transition(
        e.id,
        ['submitted'],
        'failed',
        {},
        {
          noCallInFlight: { attempts: 1, at: AT },
        },
      );
      await store.journal.endSubmit(e.id, 1);
      const staleCount = await store.journal.transition(
        e.id,
        ['submitted'],
        'failed',
        {},
        {
          noCallInFlight: { attempts: 0, at: AT },
        },
      );
      const failed = await store.journal.transition(
        e.id,
        ['submitted'],
        'failed',
        {},
        {
          noCallInFlight: { attempts: 1, at: AT },
        },
      );

      expect(inFlight).toBeUndefined();
      expect(staleCount).toBeUndefined();
      expect(failed?.status).toBe('failed');
      expect(await store.journal.claimSubmit(e.id, claim(2))).toBeUndefined();
    });
  });

  describe('completed entries and the ledger', () => {
    it('lists completed entries the ledger has not applied, until it has, and counts them in the watermark', async () => {
      const p = freshPortfolio();
      const clock = manualClock();
      await store.portfolio.init(p, startingState());
      const a = await completed(store.journal, entry(p, { cycleId: 'c-1' }));
      const b = await completed(store.journal, entry(p, { cycleId: 'c-2' }));
      const s = dynamoStores(db.client, db.tableNames, { now: clock.now });

      const before = await store.journal.completedUnapplied(p);
      await s.ledger.applyCompleted(a);
      const after = await store.journal.completedUnapplied(p);

      expect(before.map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
      expect(after.map((x) => x.id)).toEqual([b.id]);
      expect((await store.journal.byStatus(p, ['completed'])).map((x) => x.id).sort()).toEqual(
        [a.id, b.id].sort(),
      );
      expect(await store.ledger.watermark(p)).toMatchObject({
        applied: 1n,
        lastApplied: { id: a.id, at: AT },
      });
      expect((await store.journal.get(a.id))?.ledgerApplied).toBe(true);
    });

    it('replaces the ledger only while no entry was applied since the marks were read', async () => {
      const p = freshPortfolio();
      await store.portfolio.init(p, startingState());
      const marks = await store.ledger.watermark(p);
      const e = await completed(store.journal, entry(p));
      await store.ledger.applyCompleted(e);
      const book = { reserves: new Map([['emergency', money(1)]]), bots: new Map() };

      const stale = await store.ledger.replace(p, book, marks);
      const fresh = await store.ledger.replace(p, book, await store.ledger.watermark(p));

      expect(stale).toBe(false);
      expect(fresh).toBe(true);
      const state = await store.portfolio.load(p);
      expect(state?.reserves.get('emergency')).toBe(money(1));
      // A bot the book does not know loses its ledger fields: unfunded in the journal's view.
      expect(state?.bots.has(HF_BOT)).toBe(false);
    });
  });

  describe('reserve holds', () => {
    const hold = (id: string, amount: Money) => ({
      transferId: id,
      reserve: 'high_frequency',
      amount,
    });

    it('grants holds only while the reserve, less every hold, stays at its floor: ten racing callers', async () => {
      // reserve:high_frequency holds 200 in the starting state; ten holds of 30 race for it.
      const p = freshPortfolio();
      await store.portfolio.init(p, startingState());

      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          otherStore().claims.holdReserve(p, hold(`t-${i}`, money(30)), money(20)),
        ),
      );

      expect(results.filter((r) => r.held)).toHaveLength(6);
      expect((await store.claims.holders(p)).size).toBe(6);
    });

    it('counts a hold once however often it is asked for, and frees it once', async () => {
      const p = freshPortfolio();
      await store.portfolio.init(p, startingState());

      await store.claims.holdReserve(p, hold('t-1', money(150)), money(0));
      const again = await store.claims.holdReserve(p, hold('t-1', money(150)), money(0));
      const other = await store.claims.holdReserve(p, hold('t-2', money(100)), money(0));
      await store.claims.releaseReserve(p, hold('t-1', money(150)));
      await store.claims.releaseReserve(p, hold('t-1', money(150)));
      const afterRelease = await store.claims.holdReserve(p, hold('t-2', money(100)), money(0));

      expect(again).toEqual({ held: true });
      expect(other).toEqual({ held: false, available: money(50) });
      expect(afterRelease).toEqual({ held: true });
      expect([...(await store.claims.holders(p))]).toEqual(['t-2']);
    });

    it('ends the hold in the same write that applies the transfer', async () => {
      const p = freshPortfolio();
      await store.portfolio.init(p, startingState());
      const e = entry(p, {
        kind: 'refill',
        botId: HF_BOT,
        from: 'reserve:high_frequency',
        amount: money(150),
      });
      await store.claims.holdReserve(p, hold(e.id, money(150)), money(0));
      const done = await completed(store.journal, e);

      await store.ledger.applyCompleted(done);
      const next = await store.claims.holdReserve(p, hold('t-next', money(50)), money(0));

      expect((await store.claims.holders(p)).has(e.id)).toBe(false);
      expect(next).toEqual({ held: true });
      expect((await store.portfolio.load(p))?.reserves.get('high_frequency')).toBe(money(50));
    });
  });

  describe('the daily total (a rolling 24 hours)', () => {
    const NOON = Date.parse('2026-11-20T12:00:00.000Z');
    const claim = (id: string, amount: Money, at = NOON) => ({
      exchange: 'bitget',
      transferId: id,
      amount,
      at: new Date(at).toISOString(),
    });

    it('never lets racing transfers pass the limit, counting each once', async () => {
      const p = freshPortfolio();

      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          otherStore().claims.claimDaily(p, [claim(`t-${i}`, money(100))], money(350)),
        ),
      );
      const repeated = await store.claims.claimDaily(p, [claim('t-0', money(100))], money(350));

      expect(results.filter((r) => r.claimed)).toHaveLength(3);
      expect(repeated.used).toBe(money(300));
      expect(repeated.claimed).toBe(results[0]?.claimed);
    });

    it('never passes the limit when claims race into two quarters while a share is given back', async () => {
      // Prepare: 100 of 450 claimed at noon; its quarter is the newest
      const p = freshPortfolio();
      await store.claims.claimDaily(p, [claim('first', money(100))], money(450));
      // Act: six claims in that quarter, three in the next one, and the release, all at once
      const quarterLater = NOON + 15 * 60_000;
      const results = await Promise.all([
        ...Array.from({ length: 6 }, (_, i) =>
          otherStore().claims.claimDaily(p, [claim(`now-${i}`, money(100))], money(450)),
        ),
        ...Array.from({ length: 3 }, (_, i) =>
          otherStore().claims.claimDaily(
            p,
            [claim(`next-${i}`, money(100), quarterLater)],
            money(450),
          ),
        ),
        otherStore()
          .claims.releaseDaily(p, claim('first', money(100)))
          .then(() => undefined),
      ]);
      const granted = results.filter((r) => r?.claimed).length;
      const after = await store.claims.claimDaily(
        p,
        [claim('probe', money(1000), quarterLater)],
        money(450),
      );
      // Assess: at most 450 at any time — four claims once the release came, three before it;
      // and the total is exactly what was granted
      expect(granted).toBeGreaterThanOrEqual(3);
      expect(granted).toBeLessThanOrEqual(4);
      expect(after).toEqual({ claimed: false, used: money(100 * granted) });
    });

    it('refuses a claim into a new quarter when claims into the newest filled the room meanwhile', async () => {
      // Prepare: 100 of 450 claimed at noon; a store whose next write waits for two more claims
      const p = freshPortfolio();
      await store.claims.claimDaily(p, [claim('first', money(100))], money(450));
      const slowClient = localDynamoClient(db.endpoint);
      clients.push(slowClient);
      let meanwhile: (() => Promise<unknown>) | undefined = () =>
        Promise.all(
          ['now-0', 'now-1'].map((id) =>
            store.claims.claimDaily(p, [claim(id, money(100))], money(450)),
          ),
        );
      slowClient.middlewareStack.add(
        (next, context) => async (args) => {
          const run = meanwhile;
          if (context.commandName === 'UpdateItemCommand' && run !== undefined) {
            meanwhile = undefined;
            await run();
          }
          return next(args);
        },
        { step: 'initialize' },
      );
      // Act: 300 a quarter later, read while 100 was claimed, written once 300 is
      const late = await dynamoStores(slowClient, db.tableNames).claims.claimDaily(
        p,
        [claim('next', money(300), NOON + 15 * 60_000)],
        money(450),
      );
      // Assess
      expect(late).toEqual({ claimed: false, used: money(300) });
    });

    it('gives a released transfer’s share back, once', async () => {
      const p = freshPortfolio();
      await store.claims.claimDaily(p, [claim('a', money(200))], money(300));

      const refused = await store.claims.claimDaily(p, [claim('b', money(200))], money(300));
      await store.claims.releaseDaily(p, claim('a', money(200)));
      await store.claims.releaseDaily(p, claim('a', money(200)));
      const granted = await store.claims.claimDaily(p, [claim('b', money(200))], money(300));

      expect(refused).toEqual({ claimed: false, used: money(200) });
      expect(granted).toEqual({ claimed: true, used: money(200) });
    });

    it('counts a claim for 24 hours after its quarter hour, not per calendar day', async () => {
      // Prepare: 250 of 300 claimed at 23:05
      const p = freshPortfolio();
      const late = Date.parse('2026-11-20T23:05:00.000Z');
      await store.claims.claimDaily(p, [claim('late', money(250), late)], money(300));
      // Act: after midnight the next day, 24 h after the claim, and once its quarter's day is over
      const afterMidnight = await store.claims.claimDaily(
        p,
        [claim('b', money(100), late + 2 * 3_600_000)],
        money(300),
      );
      const dayLater = await store.claims.claimDaily(
        p,
        [claim('c', money(100), late + 86_400_000)],
        money(300),
      );
      const quarterOver = await store.claims.claimDaily(
        p,
        [claim('d', money(100), Date.parse('2026-11-21T23:15:00.000Z'))],
        money(300),
      );
      // Assess: never less than 24 hours, at most the rest of its quarter more
      expect(afterMidnight).toEqual({ claimed: false, used: money(250) });
      expect(dayLater).toEqual({ claimed: false, used: money(250) });
      expect(quarterOver).toEqual({ claimed: true, used: money(100) });
    });

    it('keeps one small item per exchange whatever the number of claims', async () => {
      const p = freshPortfolio();
      for (let i = 0; i < 40; i++) {
        await store.claims.claimDaily(
          p,
          [claim(`many-${i}`, money(1), NOON + i * 60_000)],
          money(1000),
        );
      }
      const own = localDynamoClient(db.endpoint);
      clients.push(own);
      const { Item } = await DynamoDBDocumentClient.from(own).send(
        new GetCommand({
          TableName: db.tableNames.state,
          Key: { pk: p, sk: 'daily#bitget' },
          ConsistentRead: true,
        }),
      );
      // 40 minutes of claims: three quarter hours, and the version
      expect(Object.keys(Item ?? {}).filter((k) => k.startsWith('q:'))).toHaveLength(3);
      const again = await store.claims.claimDaily(p, [claim('many-0', money(1))], money(1000));
      expect(again).toEqual({ claimed: true, used: money(40) });
    });

    it('claims a decision’s transfers together or not at all, and completes a group half claimed', async () => {
      const p = freshPortfolio();
      // 150 + 100 does not fit in 200: neither leg is counted
      const refused = await store.claims.claimDaily(
        p,
        [claim('leg-0', money(150)), claim('leg-1', money(100))],
        money(200),
      );
      const legOneAlone = await store.claims.claimDaily(
        p,
        [claim('leg-1', money(100))],
        money(200),
      );
      // A group one of whose transfers is already counted adds only the other
      const both = await store.claims.claimDaily(
        p,
        [claim('leg-1', money(100)), claim('leg-2', money(50))],
        money(200),
      );

      expect(refused).toEqual({ claimed: false, used: money(0) });
      expect(legOneAlone).toEqual({ claimed: true, used: money(100) });
      expect(both).toEqual({ claimed: true, used: money(150) });
    });
  });

  describe('locks', () => {
    it('names each lock’s holder, and moves a lock only from the holder named', async () => {
      const p = freshPortfolio();
      await store.locks.lockBot(p, 'bot-a', 'x', 60_000);
      await store.locks.lockBot(p, 'bot-b', 'y', 60_000);

      const wrong = await store.locks.takeOverLock(p, 'bot-a', 'y', 'z', 60_000);
      const right = await store.locks.takeOverLock(p, 'bot-a', 'x', 'z', 60_000);

      expect(wrong).toBe(false);
      expect(right).toBe(true);
      expect(await store.locks.lockHolders(p)).toEqual(
        new Map([
          ['bot-a', 'z'],
          ['bot-b', 'y'],
        ]),
      );
    });
    it('honours a lock 0.1 took while it runs, and takes it off once its owner is over or unlocks', async () => {
      // Prepare: locks as 0.1 wrote them, their own items with the expiry in ms
      const p = freshPortfolio();
      const own = localDynamoClient(db.endpoint);
      clients.push(own);
      const doc = DynamoDBDocumentClient.from(own);
      const legacy = (bot: string, owner: string, expiresAt: number) =>
        doc.send(
          new PutCommand({
            TableName: db.tableNames.state,
            Item: { pk: p, sk: `lock#${bot}`, owner, expires_at: expiresAt },
          }),
        );
      const legacyOf = async (bot: string) =>
        (
          await doc.send(
            new GetCommand({ TableName: db.tableNames.state, Key: { pk: p, sk: `lock#${bot}` } }),
          )
        ).Item;
      const soon = Date.now() + 60_000;
      await legacy('held', 'old', soon);
      await legacy('own', 'o', soon);
      await legacy('expired', 'x', Date.now() - 1);
      await legacy('unlocked', 'z', soon);
      // Act / Assess: another transfer waits while the old one holds the bot
      expect(await store.locks.lockBot(p, 'held', 'new', 60_000)).toBe(false);
      expect((await store.locks.lockHolders(p)).get('held')).toBe('old');
      expect(await store.locks.takeOverLock(p, 'held', 'wrong', 'new', 60_000)).toBe(false);
      expect(await legacyOf('held')).toBeDefined();
      // ...and takes it over from the holder it found ended: the old item goes
      expect(await store.locks.takeOverLock(p, 'held', 'old', 'new', 60_000)).toBe(true);
      expect(await legacyOf('held')).toBeUndefined();
      expect(await store.locks.lockBot(p, 'held', 'third', 60_000)).toBe(false);
      // The old lock's owner moves it to the new place; an expired one is no obstacle
      expect(await store.locks.lockBot(p, 'own', 'o', 60_000)).toBe(true);
      expect(await store.locks.lockBot(p, 'expired', 'y', 60_000)).toBe(true);
      expect([await legacyOf('own'), await legacyOf('expired')]).toEqual([undefined, undefined]);
      // Its owner's unlock frees it
      await store.locks.unlockBot(p, 'unlocked', 'z');
      expect(await legacyOf('unlocked')).toBeUndefined();
      expect(await store.locks.lockBot(p, 'unlocked', 'w', 60_000)).toBe(true);
      expect(await store.locks.lockHolders(p)).toEqual(
        new Map([
          ['held', 'new'],
          ['own', 'o'],
          ['expired', 'y'],
          ['unlocked', 'w'],
        ]),
      );
    });
  });

  describe('bot plans', () => {
    const plan = (cycleId: string, ids = [`${cycleId}-t`]) => ({
      cycleId,
      transferIds: ids,
      at: '2026-11-20T12:00:00.000Z',
    });

    it('lets one cycle claim a bot, its own retry claim it again, and refuses another', async () => {
      const p = freshPortfolio();
      expect(await store.plans.claimBot(p, 'b', plan('c1'))).toBe(true);
      expect(await store.plans.claimBot(p, 'b', plan('c1'))).toBe(true);
      expect(await store.plans.claimBot(p, 'b', plan('c2'))).toBe(false);
      expect(await store.plans.planOf(p, 'b')).toEqual(plan('c1'));
      expect(await store.plans.claimBot(p, 'other-bot', plan('c2'))).toBe(true);
    });

    it('lets two cycles racing for one bot both claim it never', async () => {
      const p = freshPortfolio();
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => store.plans.claimBot(p, 'b', plan(`c${i}`))),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('takes over only from the plan the caller found ended, and releases only its own', async () => {
      const p = freshPortfolio();
      await store.plans.claimBot(p, 'b', plan('c1'));
      expect(await store.plans.claimBot(p, 'b', plan('c3'), 'c2')).toBe(false);
      expect(await store.plans.claimBot(p, 'b', plan('c3'), 'c1')).toBe(true);
      await store.plans.releaseBot(p, 'b', 'c1');
      expect((await store.plans.planOf(p, 'b'))?.cycleId).toBe('c3');
      await store.plans.releaseBot(p, 'b', 'c3');
      expect((await store.plans.planOf(p, 'b'))?.releasedAt).toBeDefined();
      expect(await store.plans.plans(p)).toEqual(new Map());
    });

    it('refuses a bot released after the reading a plan was made on, even to its own cycle', async () => {
      // Prepare: c1 holds the bot; c2 and a retry of c1 read the balances; then c1 is released.
      const p = freshPortfolio();
      await store.plans.claimBot(p, 'b', plan('c1'));
      const readBefore = new Date(Date.now() - 60_000).toISOString();
      await store.plans.releaseBot(p, 'b', 'c1');
      const readAfter = new Date(Date.now() + 60_000).toISOString();
      // Act / Assess: a reading older than the release may predate what c1 moved.
      expect(await store.plans.claimBot(p, 'b', { ...plan('c2'), readAt: readBefore })).toBe(false);
      expect(await store.plans.claimBot(p, 'b', { ...plan('c1'), readAt: readBefore })).toBe(false);
      expect(await store.plans.claimBot(p, 'b', { ...plan('c2'), readAt: readAfter })).toBe(true);
      expect((await store.plans.planOf(p, 'b'))?.releasedAt).toBeUndefined();
    });

    it('keeps the bot’s lock through a claim, and frees it with the plan only for its owner', async () => {
      // Prepare: a lock taken before any plan, then a plan and its retried claim
      const p = freshPortfolio();
      expect(await store.locks.lockBot(p, 'b', 't1', 60_000)).toBe(true);
      expect(await store.plans.planOf(p, 'b')).toBeUndefined();
      expect(await store.plans.claimBot(p, 'b', plan('c1', ['t1', 't2']))).toBe(true);
      expect(await store.plans.claimBot(p, 'b', plan('c1', ['t1', 't2']))).toBe(true);
      const heldThrough = await store.locks.lockHolders(p);
      // Act: another transfer ends the plan (the lock is not its own), then the owner does
      await store.plans.releaseBot(p, 'b', 'c1', 't2');
      const afterOther = await store.locks.lockHolders(p);
      const released = await store.plans.planOf(p, 'b');
      await store.plans.releaseBot(p, 'b', 'c1', 't1');
      // Assess
      expect(heldThrough).toEqual(new Map([['b', 't1']]));
      expect(afterOther).toEqual(new Map([['b', 't1']]));
      expect(released?.releasedAt).toBeDefined();
      expect(await store.locks.lockHolders(p)).toEqual(new Map());
      expect(await store.locks.lockBot(p, 'b', 't3', 60_000)).toBe(true);
    });

    it('frees the plan and the lock together at the end of its last transfer', async () => {
      const p = freshPortfolio();
      await store.plans.claimBot(p, 'b', plan('c1', ['t1']));
      await store.locks.lockBot(p, 'b', 't1', 60_000);
      await store.plans.releaseBot(p, 'b', 'c1', 't1');
      expect((await store.plans.planOf(p, 'b'))?.releasedAt).toBeDefined();
      expect(await store.locks.lockHolders(p)).toEqual(new Map());
    });
  });
});
