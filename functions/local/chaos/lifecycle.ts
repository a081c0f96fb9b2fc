/**
 * The fault campaign's lifecycle family (issue 10): a portfolio's life happens during the storm.
 * Between cycles the trader changes the config (a bot's account or pool, a bot renamed or removed,
 * `check_interval`, `max_transfer`, `total_capital`), loses the books or starts a new
 * `portfolio_id` on funded sub-accounts, adds and takes out money, adds a bot that already holds
 * money — and later settles each with the operations DESIGN.md §10 names (adopt, deposit,
 * withdraw, retire), as the `config_drift` warnings say, retried until they hold.
 *
 * Two checks, each a count that must be 0, judged on the exchange's own truth and on what the
 * trader did, never on what the system believed:
 * - `drift_moves`: money moved for a bot, or out of a reserve, while it was in drift (from the
 *   config change until the operation that settles it; a retirement's sweep is the settlement);
 * - `double_funding`: an allocation submitted while the bot's sub-account already held money
 *   (`min_transfer` or more).
 * And `unsettled`: a difference the operator could not settle by the end of the run.
 *
 * Books are lost (or the portfolio id changed) only with nothing in flight: what was open at that
 * moment would be lost with them, and no operation can bring it back.
 */

import { DeleteItemCommand, type DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { type Rng, uniform } from '../../adapters/paper/rng.ts';
import { parseAccount } from '../../core/accounts.ts';
import { type Config, type ExchangeName, parseConfig } from '../../core/config.ts';
import { configDrift } from '../../core/drift.ts';
import { BotfolioError } from '../../core/errors.ts';
import {
  add,
  type Money,
  moneyFromFloat,
  showMoney,
  sub,
  sum,
  toFloat,
  ZERO,
} from '../../core/money.ts';
import type { PortfolioState } from '../../core/state.ts';
import {
  type JournalEntry,
  movesMoney,
  OPEN_STATUSES,
  TRANSFER_STATUSES,
  type TransferStatus,
} from '../../core/transfer.ts';
import { reserveFloor } from '../../core/venues.ts';
import {
  OperationRefusedError,
  type OperationRequest,
  runOperation,
} from '../../usecases/operations.ts';
import type { EmbeddedDynamo } from '../dynamo.ts';
import type { LocalRuntime } from '../runtime.ts';
import type { Submission } from './families.ts';
import type { StormVenue } from './venues.ts';

const DAY = 86_400_000;

/** A config amount moved by `delta`, kept to the 8 decimals an amount may have. */
const plus = (amount: number, delta: number): number => Number((amount + delta).toFixed(8));

export const LIFECYCLE_EVENTS = [
  'account',
  'pool',
  'rename',
  'remove',
  'check_interval',
  'max_transfer',
  'deposit',
  'withdraw',
  'phantom_capital',
  'adopt_new',
  'lost_books',
  'new_portfolio_id',
] as const;
export type LifecycleEvent = (typeof LIFECYCLE_EVENTS)[number];

const CAPITAL_EVENTS: ReadonlySet<LifecycleEvent> = new Set([
  'deposit',
  'withdraw',
  'phantom_capital',
  'adopt_new',
]);

export interface LifecycleFindings {
  readonly drift_moves: number;
  readonly double_funding: number;
  readonly unsettled: number;
}

type Raw = Record<string, unknown> & {
  portfolio_id: string;
  total_capital: number;
  bots: { bot_id: string; pool: string; account: string; [k: string]: unknown }[];
  pools: Record<string, unknown>;
  exchanges: Record<string, Record<string, unknown>>;
  monitoring?: Record<string, unknown>;
};

/** Where drift keeps money still: a bot (by id), or every reserve. */
interface Window {
  readonly what: string;
  readonly bots: readonly string[];
  readonly reserves: boolean;
  /** When it opened and closed (run clock, ms). */
  readonly from: number;
  to: number;
  /**
   * The batches of cycles it spans: those after `fromBatch`, up to `toBatch`. A cycle's entries
   * are stamped with its slot's time, not the run's clock, so a decision is placed by its batch.
   */
  readonly fromBatch: number;
  toBatch: number;
  /**
   * A bot that joined holding money: what it held was the reason to wait. An allocation into its
   * sub-account once that held less than min_transfer (traded away) is the ordinary funding an
   * empty sub-account gets, as the adoption itself would find.
   */
  readonly untilEmpty?: boolean;
}

/** What the operator does about an event, retried each gap until `done` says it holds. */
interface Settlement {
  readonly what: string;
  readonly due: number;
  readonly window?: Window;
  /** One try (the first is 0); true once settled. A refused operation is tried again later. */
  readonly attempt: (tries: number) => Promise<boolean>;
  tries: number;
}

export interface LifecycleDeps {
  readonly rt: LocalRuntime;
  readonly venue: StormVenue;
  readonly dynamo: EmbeddedDynamo;
  readonly rng: Rng;
  /** The run's clock (a tick per look). */
  readonly now: () => number;
  /** Lets the run's clock pass (the trader waits, e.g. for tomorrow's daily limit). */
  readonly wait: (ms: number) => void;
  /** The batches of cycles run so far. */
  readonly batch: () => number;
  /** Puts a new config in force: the runtime and the run's checks. */
  readonly apply: (config: Config) => void;
  readonly problems: string[];
}

const pickFrom = <T>(rng: Rng, items: readonly T[]): T | undefined =>
  items.length === 0 ? undefined : items[Math.floor(uniform(rng) * items.length)];

/** The lifecycle of one run: its events, settlements and what the checks need to judge them. */
export class Lifecycle {
  readonly #d: LifecycleDeps;
  #raw: Raw;
  #config: Config;
  readonly #windows: Window[] = [];
  #pending: Settlement[] = [];
  /**
   * The stores the run used, in order: a portfolio id's books, and for books lost their journal
   * as the trader kept it. A cycle belongs to the last one when it ran.
   */
  readonly #eras: { pid: string; entries?: JournalEntry[] }[];
  /** The configs in force, from when: a transfer is judged on the config it was decided on. */
  readonly #history: { from: number; config: Config }[];
  /** Mismatches are expected while lost books are not settled yet. */
  #booksUnsettled = 0;
  /** Why the config's rules last refused a change (for an unsettled run's story). */
  #refused: string | undefined;
  #k = 0;
  readonly counts: Record<LifecycleEvent, number> = Object.fromEntries(
    LIFECYCLE_EVENTS.map((e) => [e, 0]),
  ) as Record<LifecycleEvent, number>;

  constructor(deps: LifecycleDeps, raw: Record<string, unknown>, config: Config) {
    this.#d = deps;
    this.#raw = structuredClone(raw) as Raw;
    this.#config = config;
    this.#eras = [{ pid: config.portfolioId }];
    this.#history = [{ from: Number.NEGATIVE_INFINITY, config }];
  }

  get injected(): number {
    return Object.values(this.counts).reduce((a, b) => a + b, 0);
  }

  /** Lost books not settled yet: the master holds less than the books, by design. */
  get expectingMismatch(): boolean {
    return this.#booksUnsettled > 0;
  }

  /** Bots a lifecycle window held still at some time within `[from, to]` (run clock, ms). */
  botsInDrift(from: number, to: number): Set<string> {
    return new Set(
      this.#windows.filter((w) => w.from <= to && w.to >= from).flatMap((w) => w.bots),
    );
  }

  /** The config in force when `at` (run clock, ms). */
  configAt(at: number): Config {
    return this.#history.findLast((h) => h.from <= at)?.config ?? this.#config;
  }

  /** Between two cycles: the operator settles what is due, then maybe something changes. */
  async between(cycle: number): Promise<void> {
    await this.#settle(cycle);
    if (cycle < 1 || uniform(this.#d.rng) >= 0.35) return;
    const event = pickFrom(this.#d.rng, LIFECYCLE_EVENTS);
    // The trader settles lost books before touching the capital again.
    if (event && CAPITAL_EVENTS.has(event) && this.#booksUnsettled > 0) return;
    if (event && (await this.#inject(event, cycle))) this.counts[event] += 1;
  }

  /** The storm is over: everything left is settled (a few tries), then what is not is counted. */
  async settleAll(): Promise<number> {
    for (let i = 0; i < 6 && this.#pending.length > 0; i++) {
      // What the day's limit refused today goes through tomorrow.
      if (i > 0) this.#d.wait(i === 1 ? DAY : 10 * 60_000);
      await this.#settle(Number.POSITIVE_INFINITY);
      await this.#d.rt.reconcile().catch(() => undefined);
    }
    await this.#syncCapital();
    let unsettled = 0;
    for (const s of this.#pending) {
      unsettled += 1;
      this.#d.problems.push(
        `unsettled: ${s.what}${this.#refused ? ` (the config's last refusal: ${this.#refused})` : ''}`,
      );
    }
    const state = await this.#books();
    if (state) {
      for (const a of configDrift(this.#config, state).alerts) {
        unsettled += 1;
        this.#d.problems.push(`unsettled drift at the end: ${a.message}`);
      }
    }
    return unsettled;
  }

  /**
   * Every store's journal the run used, one group each (a lost store's as the trader kept it):
   * together, the exchange's whole story.
   */
  async journals(): Promise<JournalEntry[][]> {
    const groups: JournalEntry[][] = [];
    for (const era of this.#eras) {
      groups.push(
        era.entries ?? (await this.#d.rt.store.journal.byStatus(era.pid, TRANSFER_STATUSES)),
      );
    }
    return groups;
  }

  /** The store cycles run on now: an index into `journals()`. */
  get era(): number {
    return this.#eras.length - 1;
  }

  get problems(): readonly string[] {
    return this.#d.problems;
  }

  /** The checks: money moved in drift, and allocations into sub-accounts that held money. */
  findings(
    all: readonly JournalEntry[],
    submissions: ReadonlyMap<string, Submission>,
    /** The batch of cycles that journaled each entry. */
    batchOf: ReadonlyMap<string, number>,
  ) {
    const problems = this.#d.problems;
    let driftMoves = 0;
    for (const e of all) {
      if (!movesMoney(e) || e.kind === 'retirement') continue;
      const b = batchOf.get(e.id);
      const at = Date.parse(e.createdAt);
      const fromReserve = parseAccount(e.from)?.kind === 'reserve';
      const w = this.#windows.find(
        (x) =>
          (b !== undefined ? x.fromBatch < b && b <= x.toBatch : x.from <= at && at < x.to) &&
          (x.bots.includes(e.botId) || (x.reserves && fromReserve)),
      );
      if (!w) continue;
      const s = submissions.get(e.id);
      if (w.untilEmpty && e.kind === 'allocation' && s && s.balance < this.#minAt(e, s)) continue;
      driftMoves += 1;
      problems.push(`drift move: ${e.kind} ${e.id} of ${e.botId} decided during ${w.what}`);
    }
    let doubleFunding = 0;
    for (const e of all) {
      const s = submissions.get(e.id);
      if (e.kind !== 'allocation' || !s) continue;
      if (s.balance < this.#minAt(e, s)) continue;
      doubleFunding += 1;
      problems.push(
        `double funding: allocation ${e.id} of ${e.botId} submitted while its sub-account held ${showMoney(s.balance)}`,
      );
    }
    return { drift_moves: driftMoves, double_funding: doubleFunding };
  }

  /** min_transfer of the entry's exchange when it was submitted, and never below one unit. */
  #minAt(e: JournalEntry, s: Submission): Money {
    const min = this.configAt(s.at).exchanges.get(e.exchange as ExchangeName)?.minTransfer ?? 0n;
    return (min > 1n ? min : 1n) as Money;
  }

  // —— events ——

  async #inject(event: LifecycleEvent, cycle: number): Promise<boolean> {
    const state = await this.#books();
    if (!state) return false;
    const booked = this.#raw.bots.filter((b) => {
      const s = state.bots.get(b.bot_id);
      return s?.binding?.account === b.account && !this.#busy(b.bot_id);
    });
    const pools = Object.keys(this.#raw.pools);
    switch (event) {
      case 'account': {
        const bot = pickFrom(this.#d.rng, booked);
        if (!bot) return false;
        const old = bot.account;
        const to = this.#uid();
        const w = this.#window(`${bot.bot_id}'s account changed`, [bot.bot_id]);
        if (
          !this.#change((r) => this.#bot(r, bot.bot_id, (b) => Object.assign(b, { account: to })))
        ) {
          return this.#drop(w);
        }
        const revert = uniform(this.#d.rng) < 0.3;
        this.#later(cycle, `${bot.bot_id}: account ${old} → ${to}`, w, async (tries) => {
          // Retired already (a sweep that was in flight has completed), or since allocated at the
          // new account by a cycle: settled.
          const now = (await this.#books())?.bots.get(bot.bot_id);
          if (!now || now.binding?.account === to) return true;
          // A sweep still in flight decides it: the config is not put back under it.
          if (await this.#retirementOpen(bot.bot_id)) return false;
          // A sweep refused twice (below min_transfer, above max_transfer): the config put back.
          if (revert || tries >= 2) {
            return this.#change((r) =>
              this.#bot(r, bot.bot_id, (b) => Object.assign(b, { account: old })),
            );
          }
          return this.#retired(bot.bot_id, true);
        });
        return true;
      }
      case 'pool': {
        const bot = pickFrom(this.#d.rng, booked);
        const other = pools.find((p) => p !== bot?.pool);
        if (!bot || other === undefined) return false;
        const old = bot.pool;
        const w = this.#window(`${bot.bot_id}'s pool changed`, [bot.bot_id]);
        if (
          !this.#change((r) => this.#bot(r, bot.bot_id, (b) => Object.assign(b, { pool: other })))
        ) {
          return this.#drop(w);
        }
        this.#later(cycle, `${bot.bot_id}: pool ${old} → ${other}, put back`, w, async () =>
          this.#change((r) => this.#bot(r, bot.bot_id, (b) => Object.assign(b, { pool: old }))),
        );
        return true;
      }
      case 'rename': {
        const bot = pickFrom(this.#d.rng, booked);
        if (!bot) return false;
        const old = bot.bot_id;
        const name = `${old}_r${++this.#k}`;
        const capital = state.bots.get(old)?.capitalBase;
        const w = this.#window(`${old} renamed ${name}`, [old, name]);
        if (!this.#change((r) => this.#bot(r, old, (b) => Object.assign(b, { bot_id: name })))) {
          return this.#drop(w);
        }
        this.#later(cycle, `${old} renamed ${name}`, w, async () => {
          if (!(await this.#retired(old, false))) return false;
          return this.#adopted(name, {
            fromReserve: false,
            ...(capital !== undefined && { capital }),
          });
        });
        return true;
      }
      case 'remove': {
        const bot = pickFrom(this.#d.rng, booked);
        if (!bot) return false;
        const copy = { ...bot };
        const w = this.#window(`${bot.bot_id} removed from the config`, [bot.bot_id]);
        if (
          !this.#change((r) => {
            r.bots = r.bots.filter((b) => b.bot_id !== bot.bot_id);
          })
        ) {
          return this.#drop(w);
        }
        const putBack = uniform(this.#d.rng) < 0.3;
        this.#later(cycle, `${bot.bot_id} removed`, w, async (tries) => {
          if (putBack) return this.#change((r) => void r.bots.push(copy));
          // A sweep refused twice: retired where it is (its money no longer managed).
          return this.#retired(bot.bot_id, tries < 2);
        });
        return true;
      }
      case 'check_interval': {
        const to = pickFrom(this.#d.rng, ['5m', '10m', '15m', '30m', '1h']);
        return this.#change((r) => {
          r.monitoring = { ...(r.monitoring ?? {}), check_interval: to };
        });
      }
      case 'max_transfer': {
        const factor = 0.5 + uniform(this.#d.rng) * 1.5;
        return this.#change((r) => {
          for (const x of Object.values(r.exchanges)) {
            x.max_transfer = Math.round(Number(x.max_transfer) * factor);
          }
        });
      }
      case 'deposit': {
        // The trader sends money to the master and raises total_capital; books it later.
        const amount = Math.round(50 + uniform(this.#d.rng) * 450);
        const reserve = pickFrom(this.#d.rng, ['emergency', ...pools]) ?? 'emergency';
        const w = this.#window(`total_capital raised by ${amount}`, [], true);
        if (
          !this.#change((r) => {
            r.total_capital = plus(r.total_capital, amount);
          })
        )
          return this.#drop(w);
        this.#d.rt.exchange.traderMovesMaster(moneyFromFloat(amount));
        this.#later(cycle, `deposit of ${amount} to reserve:${reserve}`, w, async () =>
          this.#operate({
            kind: 'deposit',
            amount: moneyFromFloat(amount),
            to: `reserve:${reserve}`,
          }),
        );
        return true;
      }
      case 'withdraw': {
        // Booked first and total_capital lowered at once; the money leaves the master later.
        const reserve = pickFrom(this.#d.rng, ['emergency', ...pools]) ?? 'emergency';
        const amount = Math.round(20 + uniform(this.#d.rng) * 180);
        const m = moneyFromFloat(amount);
        // A config the rules refuse cannot be deployed: no payout that needs one.
        const lowered = this.#edited((r) => {
          r.total_capital = plus(r.total_capital, -amount);
        });
        if (!lowered) return false;
        if (!(await this.#operate({ kind: 'withdrawal', amount: m, from: `reserve:${reserve}` }))) {
          return false;
        }
        this.#put(lowered);
        this.#later(cycle, `withdrawal of ${amount} moved out by hand`, undefined, async () => {
          this.#d.rt.exchange.traderMovesMaster(-m as Money);
          return true;
        });
        return true;
      }
      case 'phantom_capital': {
        // total_capital raised with no money behind it: set back.
        const amount = Math.round(100 + uniform(this.#d.rng) * 900);
        const w = this.#window(`total_capital raised by ${amount} without money`, [], true);
        if (
          !this.#change((r) => {
            r.total_capital = plus(r.total_capital, amount);
          })
        )
          return this.#drop(w);
        this.#later(cycle, `total_capital set back by ${amount}`, w, async () =>
          this.#change((r) => {
            r.total_capital = plus(r.total_capital, -amount);
          }),
        );
        return true;
      }
      case 'adopt_new': {
        // A bot that already trades joins: its sub-account holds money the trader put there.
        const pool = pickFrom(this.#d.rng, pools);
        if (pool === undefined) return false;
        const name = `adopted_${++this.#k}`;
        const uid = this.#uid();
        const w = this.#window(`${name} joined holding money`, [name], false, true);
        const allocation = Number(this.#raw.bots[0]?.allocation ?? 100);
        if (
          !this.#change(
            (r) =>
              void r.bots.push({
                bot_id: name,
                pool,
                exchange: this.#raw.bots[0]?.exchange ?? 'bitget',
                account: uid,
                allocation,
                enabled: true,
              }),
          )
        ) {
          return this.#drop(w);
        }
        const held = moneyFromFloat(20 + uniform(this.#d.rng) * 200);
        this.#d.venue.trade(uid, held);
        // New money in the portfolio: total_capital follows it (#syncCapital).
        this.#later(cycle, `${name} adopted`, w, async () =>
          this.#adopted(name, { fromReserve: false }),
        );
        return true;
      }
      case 'lost_books':
      case 'new_portfolio_id':
        return this.#loseBooks(event, cycle, state);
    }
  }

  async #loseBooks(event: 'lost_books' | 'new_portfolio_id', cycle: number, state: PortfolioState) {
    const rt = this.#d.rt;
    const pid = this.#config.portfolioId;
    const open = await rt.store.journal.byStatus(pid, OPEN_STATUSES);
    if (open.length > 0 || this.#pending.length > 0) return false;
    // Only bots holding money can be adopted; an empty one's capital stays booked in its reserve.
    const capitals = new Map(
      [...state.bots]
        .filter(([id, b]) => {
          const bot = this.#raw.bots.find((x) => x.bot_id === id);
          return bot && b.binding && this.#d.venue.equityOf(b.binding.account) > 0n;
        })
        .map(([id, b]) => [id, b.capitalBase] as const),
    );
    // The new opening books the config's whole capital in the reserves: once the bots are adopted
    // from them, a master holding more is settled by a deposit. One holding less (refills spent
    // more than the reserves earned) has no settlement through §10's operations short of a new
    // layout, so the trader's loss is played only where a deposit settles it.
    const after = sub(this.#config.totalCapital, sum([...capitals.values()]));
    if (this.#d.venue.books().master.balance < after) return false;
    if (event === 'lost_books') {
      const era = this.#eras.at(-1);
      if (era) era.entries = await rt.store.journal.byStatus(pid, TRANSFER_STATUSES);
      await forgetPortfolio(this.#d.dynamo, pid, [...state.bots.keys()]);
      this.#eras.push({ pid });
    } else if (
      !this.#change((r) => {
        r.portfolio_id = `${pid}-n${++this.#k}`;
      })
    ) {
      return false;
    } else {
      this.#eras.push({ pid: this.#config.portfolioId });
    }
    // Each bot holding money is in drift until adopted: nothing may move for it meanwhile (an
    // allocation would fund it twice). An empty one is the next cycle's to allocate.
    const what = event === 'lost_books' ? 'the books lost' : 'a new portfolio id';
    const windows = new Map([...capitals.keys()].map((id) => [id, this.#window(what, [id])]));
    this.#booksUnsettled += 1;
    this.#later(
      cycle,
      `${event}: adopt every funded bot, then settle the master`,
      undefined,
      async () => {
        const now = await this.#books();
        if (!now) return false; // no cycle yet: it records the opening first
        for (const [id, capital] of capitals) {
          const bot = this.#raw.bots.find((b) => b.bot_id === id);
          const w = windows.get(id);
          if (
            bot &&
            !now.bots.has(id) &&
            !(await this.#adopted(id, { fromReserve: true, capital }))
          ) {
            return false;
          }
          if (w && w.to === Number.POSITIVE_INFINITY) this.#close(w);
        }
        if (!(await this.#settleMaster())) return false;
        // Settled once a reconciliation agrees: until then the cycles keep the reserves' hold
        // of the lost books (and say so); a reconciliation the storm failed is tried again.
        if ((await this.#books())?.reserveHold) return false;
        this.#booksUnsettled -= 1;
        return true;
      },
    );
    return true;
  }

  /**
   * After lost books are adopted, the master and the reserves' books differ by what the reserves
   * earned or lost in the old life: a surplus is deposited, a deficit withdrawn (above the
   * floors), and total_capital follows, so the books agree with the master and the config.
   */
  async #settleMaster(): Promise<boolean> {
    const state = await this.#books();
    if (!state) return false;
    const master = this.#d.venue.books().master.balance;
    const diff = sub(master, sum([...state.reserves.values()]));
    const capital = sum([...(state.capital?.values() ?? [])]);
    // total_capital set to what the books will hold: a config the rules refuse cannot be deployed.
    const synced = this.#edited((r) => {
      r.total_capital = toFloat(add(capital, diff));
    });
    if (!synced) {
      this.#d.problems.push(
        `lost books: total_capital cannot be set to ${showMoney(add(capital, diff))} (the config's rules refuse it)`,
      );
      return false;
    }
    if (diff > 0n) {
      if (!(await this.#operate({ kind: 'deposit', amount: diff, to: 'reserve:emergency' }))) {
        return false;
      }
    } else if (diff < 0n) {
      // What each reserve gives above its floor, until the deficit is booked out.
      let left = -diff;
      const takes: [string, Money][] = [];
      for (const name of [
        ...this.#config.emergencyReserve.parts.map((p) => p.reserve),
        ...Object.keys(this.#raw.pools),
      ]) {
        const floor = reserveFloor(this.#config, name);
        const room = sub(state.reserves.get(name) ?? ZERO, floor);
        const take = (room < left ? room : left) as Money;
        if (take <= 0n) continue;
        takes.push([name, take]);
        left -= take;
      }
      if (left > 0n) {
        this.#d.problems.push(
          `lost books: the master holds ${showMoney(-diff as Money)} less than the reserves' books, more than they can give above their floors`,
        );
        return false;
      }
      for (const [name, take] of takes) {
        if (!(await this.#operate({ kind: 'withdrawal', amount: take, from: `reserve:${name}` }))) {
          return false;
        }
      }
    }
    this.#put(synced);
    await this.#d.rt.reconcile().catch(() => undefined);
    return true;
  }

  // —— the operator's tools ——

  async #settle(cycle: number): Promise<void> {
    const still: Settlement[] = [];
    for (const s of this.#pending) {
      if (s.due > cycle) {
        still.push(s);
        continue;
      }
      const done = await s.attempt(s.tries++);
      await this.#d.rt.workflow.drain();
      if (!done) {
        still.push(s);
        continue;
      }
      if (s.window) this.#close(s.window);
    }
    this.#pending = still;
    await this.#syncCapital();
  }

  /**
   * total_capital set to the capital the books hold, as the `config_drift` warning asks, once no
   * change of it is waiting for its operation (a deposit raised it first, the books follow).
   */
  async #syncCapital(): Promise<void> {
    if (this.#pending.some((s) => s.window?.reserves)) return;
    const state = await this.#books();
    if (!state?.capital) return;
    const booked = sum([...state.capital.values()]);
    if (booked === this.#config.totalCapital) return;
    this.#change((r) => {
      r.total_capital = toFloat(booked);
    });
  }

  #later(
    cycle: number,
    what: string,
    window: Window | undefined,
    attempt: (tries: number) => Promise<boolean>,
  ) {
    const due = cycle + 1 + Math.floor(uniform(this.#d.rng) * 3);
    this.#pending.push({ what, due, ...(window && { window }), attempt, tries: 0 });
  }

  #window(what: string, bots: readonly string[], reserves = false, untilEmpty = false): Window {
    const w: Window = {
      what,
      bots,
      reserves,
      ...(untilEmpty && { untilEmpty }),
      from: this.#d.now(),
      to: Number.POSITIVE_INFINITY,
      fromBatch: this.#d.batch(),
      toBatch: Number.POSITIVE_INFINITY,
    };
    this.#windows.push(w);
    return w;
  }

  #close(w: Window): void {
    w.to = this.#d.now();
    w.toBatch = this.#d.batch();
  }

  #drop(w: Window): false {
    this.#windows.splice(this.#windows.indexOf(w), 1);
    return false;
  }

  /** A bot with a settlement pending is left to it. */
  #busy(botId: string): boolean {
    return this.#pending.some((s) => s.window?.bots.includes(botId) || s.window?.reserves);
  }

  #uid(): string {
    return String(8_000_000_000 + Math.floor(uniform(this.#d.rng) * 1_000_000_000));
  }

  #bot(raw: Raw, botId: string, edit: (b: Raw['bots'][number]) => void): void {
    const b = raw.bots.find((x) => x.bot_id === botId);
    if (b) edit(b);
  }

  /** Edits the config as the trader would; a config `parseConfig` refuses is not deployed. */
  #change(edit: (raw: Raw) => void): boolean {
    const next = this.#edited(edit);
    if (next) this.#put(next);
    return next !== undefined;
  }

  /** The config edited, if the rules accept it; nothing is deployed yet. */
  #edited(edit: (raw: Raw) => void): { raw: Raw; config: Config } | undefined {
    const raw = structuredClone(this.#raw);
    edit(raw);
    try {
      return { raw, config: parseConfig(raw) };
    } catch (error) {
      this.#refused = error instanceof Error ? error.message.replace(/\s+/g, ' ') : String(error);
      return undefined;
    }
  }

  #put(next: { raw: Raw; config: Config }): void {
    this.#raw = next.raw;
    this.#config = next.config;
    this.#history.push({ from: this.#d.now(), config: next.config });
    this.#d.apply(next.config);
  }

  async #books(): Promise<PortfolioState | undefined> {
    return this.#d.rt.store.portfolio.load(this.#config.portfolioId);
  }

  /** One operation as the CLI runs it; false when refused (it is tried again later). */
  async #operate(request: OperationRequest): Promise<boolean> {
    const rt = this.#d.rt;
    try {
      await runOperation(
        {
          config: this.#config,
          ...rt.store,
          exchanges: rt.exchanges,
          workflow: rt.workflow,
          now: () => new Date(this.#d.now()),
        },
        request,
        { reason: 'chaos: the trader settles', by: 'chaos', dryRun: false },
      );
      await rt.workflow.drain();
      return true;
    } catch (error) {
      // Refused, or an exchange read the storm failed: tried again later, as an operator would.
      if (error instanceof OperationRefusedError || error instanceof BotfolioError) return false;
      throw error;
    }
  }

  /** The bot's books are closed (retired), by a retirement tried now if not. */
  async #retired(botId: string, sweep: boolean): Promise<boolean> {
    if (!(await this.#books())?.bots.has(botId)) return true;
    await this.#operate({ kind: 'retirement', botId, sweep });
    // A sweep goes through the workflow (drained by #operate): settled once it completed, booked
    // or not yet (a workflow that died after the exchange moved it leaves the booking to a cycle).
    return !(await this.#books())?.bots.has(botId) || (await this.#retirementCompleted(botId));
  }

  /** A retirement of the bot from where its books bind it now completed. */
  #retirementCompleted(botId: string): Promise<boolean> {
    return this.#retirementIn(botId, ['completed']);
  }

  /** A retirement of the bot from where its books bind it now is still in flight. */
  #retirementOpen(botId: string): Promise<boolean> {
    return this.#retirementIn(botId, OPEN_STATUSES);
  }

  /**
   * A retirement of the bot in `statuses` from the account its books bind now: one from an
   * account it left before (retired, then funded again elsewhere) settles nothing of today's.
   */
  async #retirementIn(botId: string, statuses: readonly TransferStatus[]): Promise<boolean> {
    const account = (await this.#books())?.bots.get(botId)?.binding?.account;
    if (account === undefined) return false;
    const pid = this.#config.portfolioId;
    const entries = await this.#d.rt.store.journal.byStatus(pid, statuses);
    return entries.some(
      (e) =>
        e.kind === 'retirement' && e.botId === botId && e.operation?.binding?.account === account,
    );
  }

  /** The bot is booked, by an adoption tried now if not; an empty sub-account needs none. */
  async #adopted(botId: string, opts: { fromReserve: boolean; capital?: Money }): Promise<boolean> {
    if ((await this.#books())?.bots.has(botId)) return true;
    const bot = this.#config.bots.find((b) => b.botId === botId);
    if (!bot) return true;
    const min = opts.fromReserve
      ? 1n
      : (this.#config.exchanges.get(bot.exchange)?.minTransfer ?? 0n);
    const balance = this.#d.venue.equityOf(bot.account);
    if (balance < min || balance === ZERO) {
      // Holding nothing worth adopting: the next cycle allocates it. Lost books' capital stays
      // in the reserve, which the master settlement books.
      return true;
    }
    await this.#operate({
      kind: 'adoption',
      botId,
      fromReserve: opts.fromReserve,
      ...(opts.capital !== undefined && { capital: opts.capital }),
    });
    return (await this.#books())?.bots.has(botId) ?? false;
  }
}

/** Deletes every item of a portfolio from the store: the books lost. */
async function forgetPortfolio(
  dynamo: EmbeddedDynamo,
  pid: string,
  bots: readonly string[],
): Promise<void> {
  const client: DynamoDBClient = dynamo.client;
  const t = dynamo.tableNames;
  const drop = async (
    table: string,
    pk: string,
    key: (item: Record<string, unknown>) => Record<string, unknown>,
  ) => {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: pk } },
          ...(start && { ExclusiveStartKey: start as never }),
        }),
      );
      for (const item of page.Items ?? []) {
        await client.send(new DeleteItemCommand({ TableName: table, Key: key(item) as never }));
      }
      start = page.LastEvaluatedKey as Record<string, unknown> | undefined;
    } while (start);
  };
  const pkSk = (item: Record<string, unknown>) => ({ pk: item.pk, sk: item.sk });
  await drop(t.state, pid, pkSk);
  for (const bot of bots) await drop(t.performance, `${pid}#${bot}`, pkSk);
  // The journal is keyed by id: found through the portfolio's own reads.
  const ids = await journalIds(dynamo, pid);
  for (const id of ids) {
    await client.send(new DeleteItemCommand({ TableName: t.transactions, Key: { id: { S: id } } }));
  }
}

async function journalIds(dynamo: EmbeddedDynamo, pid: string): Promise<string[]> {
  const { dynamoStores } = await import('../../adapters/dynamodb/store.ts');
  const store = dynamoStores(dynamo.client, dynamo.tableNames);
  return (await store.journal.byStatus(pid, TRANSFER_STATUSES)).map((e) => e.id);
}

export const NO_LIFECYCLE: LifecycleFindings = { drift_moves: 0, double_funding: 0, unsettled: 0 };
