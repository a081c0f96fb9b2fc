/**
 * The paper exchange: an in-process exchange with a master account and sub-accounts, behind the
 * same `Exchange` port as Bitget. It backs the demo and the tests. Transfers are exact and, by
 * default, idempotent per clientOid, as real exchanges are; the fault campaign turns that off
 * (`dedupeClientOid: false`) so that what it proves is the workflow's own at-most-once, and the
 * exchange's books then count every clientOid applied more than once. Faults (latency, rate
 * limits, outages, timeouts before and after a transfer took effect) come only from an injected,
 * seeded `FaultPlan`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AmbiguousOutcomeError,
  AuthenticationFailedError,
  ExchangeUnavailableError,
  InsufficientFundsError,
  RateLimitedError,
  TransferRejectedError,
} from '../../core/errors.ts';
import { type PositionReading, unknownPosition } from '../../core/exposure.ts';
import {
  add,
  type Money,
  money,
  mulRatio,
  type Ratio,
  showMoney,
  sub,
  ZERO,
} from '../../core/money.ts';
import { showRatio } from '../../core/policy-amounts.ts';
import {
  type BalanceReading,
  type Exchange,
  type ExchangeAccount,
  type ExchangeTransferRecord,
  type ExchangeTransferRequest,
  sameAccount,
  showAccount,
} from '../../core/ports.ts';
import { known, unknown } from '../../core/readings.ts';
import { UnknownAccountError, UnsupportedCurrencyError } from './errors.ts';
import type { Fault, FaultContext, FaultOp, FaultPlan } from './faults.ts';
import {
  type PaperAccountBook,
  type PaperAppliedTransfer,
  type PaperExchangeJson,
  paperExchangeFromJson,
  paperExchangeToJson,
} from './persistence.ts';

export type { PaperAccountBook, PaperAppliedTransfer, PaperExchangeJson };

export interface PaperExchangeOptions {
  /** @default 'paper' */
  readonly name?: string;
  /** The one currency the exchange keeps (the portfolio currency). */
  readonly currency: string;
  /** The master account's opening balance. */
  readonly master: Money;
  /** Sub-accounts by UID with their opening balances. @default none */
  readonly subAccounts?: Readonly<Record<string, Money>>;
  /** Faults to inject, per call. @default none: every call succeeds at once */
  readonly faults?: FaultPlan;
  /**
   * Answer a repeated clientOid with its first transfer instead of applying it again.
   * @default true, as real exchanges do. `false` applies every submit (and counts it in `applied`).
   */
  readonly dedupeClientOid?: boolean;
}

/** The exchange's own view of its accounts and of every transfer it applied. */
export interface PaperBooks {
  readonly currency: string;
  readonly master: PaperAccountBook;
  readonly subAccounts: ReadonlyMap<string, PaperAccountBook>;
  /** In the order applied. */
  readonly transfers: readonly PaperAppliedTransfer[];
}

/** Calls received per operation, faulted calls included. */
export type PaperCallCounts = Readonly<Record<FaultOp, number>>;

interface AccountState {
  balance: Money;
  opening: Money;
  tradingPnl: Money;
}

interface TransferState extends Omit<PaperAppliedTransfer, 'applied'> {
  applied: number;
}

/** What a garbled answer shows: one unit below zero, or far beyond any bot's equity. */
const ONE_UNIT = money('1');
const HUGE = money('1000000000000000');

const record = (t: TransferState): ExchangeTransferRecord => ({
  clientOid: t.clientOid,
  exchangeTransferId: t.exchangeTransferId,
  status: 'completed',
  amount: t.amount,
  currency: t.currency,
  from: t.from,
  to: t.to,
});

function nonNegative(amount: Money, what: string): Money {
  if (amount < 0n) throw new RangeError(`${what} cannot be negative: ${showMoney(amount)}`);
  return amount;
}

export class PaperExchange implements Exchange {
  readonly name: string;
  readonly currency: string;
  readonly #master: AccountState;
  readonly #subAccounts = new Map<string, AccountState>();
  /** By clientOid, in the order applied. */
  readonly #transfers = new Map<string, TransferState>();
  /** Each sub-account's simulated position: its leverage on its equity. */
  readonly #leverage = new Map<string, Ratio>();
  readonly #calls: Record<FaultOp, number> = { balances: 0, master: 0, transfer: 0, find: 0 };
  #faults: FaultPlan | undefined;
  readonly #dedupe: boolean;

  constructor(options: PaperExchangeOptions) {
    this.name = options.name ?? 'paper';
    this.currency = options.currency;
    const master = nonNegative(options.master, 'the master balance');
    this.#master = { balance: master, opening: master, tradingPnl: ZERO };
    this.#faults = options.faults;
    this.#dedupe = options.dedupeClientOid ?? true;
    for (const [uid, balance] of Object.entries(options.subAccounts ?? {})) {
      this.openSubAccount(uid, balance);
    }
  }

  /** Restores a saved exchange; faults are not saved, pass them again. */
  static fromJSON(json: unknown, options: { faults?: FaultPlan } = {}): PaperExchange {
    const data = paperExchangeFromJson(json);
    const exchange = new PaperExchange({
      name: data.name,
      currency: data.currency,
      master: data.master.opening,
      ...(options.faults ? { faults: options.faults } : {}),
    });
    Object.assign(exchange.#master, data.master);
    for (const [uid, book] of data.subAccounts) exchange.#subAccounts.set(uid, { ...book });
    for (const t of data.transfers) exchange.#transfers.set(t.clientOid, { ...t });
    for (const [uid, r] of data.leverage ?? []) exchange.#leverage.set(uid, r);
    return exchange;
  }

  toJSON(): PaperExchangeJson {
    return paperExchangeToJson({ name: this.name, ...this.books(), leverage: this.#leverage });
  }

  get calls(): PaperCallCounts {
    return { ...this.#calls };
  }

  /** Changes the faults from now on (undefined: none, the storm is over). */
  setFaults(faults: FaultPlan | undefined): void {
    this.#faults = faults;
  }

  /** Opens a sub-account (a bot's) with an opening balance. */
  openSubAccount(uid: string, balance: Money = ZERO): void {
    if (uid.length === 0) throw new RangeError('a sub-account needs a UID');
    if (this.#subAccounts.has(uid)) throw new RangeError(`sub-account ${uid} already exists`);
    const opening = nonNegative(balance, `the opening balance of sub-account ${uid}`);
    this.#subAccounts.set(uid, { balance: opening, opening, tradingPnl: ZERO });
  }

  /** The UIDs of all sub-accounts, in the order opened. */
  subAccountIds(): string[] {
    return [...this.#subAccounts.keys()];
  }

  /** A sub-account's equity, read directly: no call counted, no fault (the simulator's view). */
  equityOf(uid: string): Money {
    return this.#sub(uid, UnknownAccountError).balance;
  }

  /** The bot's trading moved its sub-account's equity to `equity` (booked as trading PnL). */
  setSubAccountEquity(uid: string, equity: Money): void {
    const account = this.#sub(uid, UnknownAccountError);
    nonNegative(equity, `the equity of sub-account ${uid}`);
    account.tradingPnl = add(account.tradingPnl, sub(equity, account.balance));
    account.balance = equity;
  }

  /**
   * The simulated bot carries a position of `leverage` × its equity from now on (undefined: its
   * position is not simulated, and reads as unknown).
   */
  setSubAccountLeverage(uid: string, leverage: Ratio | undefined): void {
    this.#sub(uid, UnknownAccountError);
    if (leverage === undefined) this.#leverage.delete(uid);
    else this.#leverage.set(uid, leverage);
  }

  /**
   * Each sub-account's simulated position: its leverage × its equity, or unknown when none is
   * simulated. No call counted and no fault: the fault campaign's replays stay as they were.
   */
  async subAccountPositions(
    uids: readonly string[],
    currency: string,
  ): Promise<Map<string, PositionReading>> {
    this.#readCurrency(currency);
    const out = new Map<string, PositionReading>();
    for (const uid of uids) {
      const account = this.#subAccounts.get(uid);
      const leverage = this.#leverage.get(uid);
      out.set(
        uid,
        !account
          ? unknownPosition('no such sub-account on the paper exchange')
          : leverage === undefined
            ? unknownPosition('the paper exchange simulates no position for it')
            : {
                known: true,
                notional: mulRatio(account.balance, leverage),
                source: `the paper exchange (simulated ${showRatio(leverage)}× leverage)`,
              },
      );
    }
    return out;
  }

  /**
   * The trader puts money into the master account (`delta` > 0) or takes it out, by hand, outside
   * any transfer of ours: counted with the account's opening, so its net transfers stay ours alone.
   */
  traderMovesMaster(delta: Money): void {
    const balance = add(this.#master.balance, delta);
    nonNegative(balance, 'the master balance after the trader’s move');
    this.#master.balance = balance;
    this.#master.opening = add(this.#master.opening, delta);
  }

  books(): PaperBooks {
    return {
      currency: this.currency,
      master: { ...this.#master },
      subAccounts: new Map([...this.#subAccounts].map(([uid, a]) => [uid, { ...a }])),
      transfers: [...this.#transfers.values()].map((t) => ({ ...t })),
    };
  }

  async subAccountBalances(
    uids: readonly string[],
    currency: string,
  ): Promise<Map<string, BalanceReading>> {
    const fault = await this.#enter('balances', { uids });
    this.#readCurrency(currency);
    const garbled = fault?.kind === 'partial' ? fault.accounts : {};
    const balances = new Map<string, BalanceReading>();
    for (const uid of uids) {
      const account = this.#subAccounts.get(uid);
      const garble = garbled[uid];
      if (garble === 'absent') continue;
      balances.set(
        uid,
        !account
          ? unknown('no such sub-account on the paper exchange')
          : garble === 'unknown'
            ? unknown('the answer gave no equity (injected)')
            : garble === 'negative'
              ? known(sub(ZERO, add(account.balance, ONE_UNIT)))
              : garble === 'huge'
                ? known(HUGE)
                : known(account.balance),
      );
    }
    return balances;
  }

  async masterBalance(currency: string): Promise<Money> {
    await this.#enter('master', {});
    this.#readCurrency(currency);
    return this.#master.balance;
  }

  async findTransfer(clientOid: string): Promise<ExchangeTransferRecord | undefined> {
    await this.#enter('find', { clientOid });
    const found = this.#transfers.get(clientOid);
    return found && record(found);
  }

  async transfer(req: ExchangeTransferRequest): Promise<ExchangeTransferRecord> {
    const fault = await this.#enter('transfer', { request: req, clientOid: req.clientOid });
    const moves = fault?.kind === 'short' ? fault.moves : req.amount;
    if (fault?.kind !== 'timeout_after') return this.#apply(req, moves);
    // The exchange handled the request, whatever it answered (even a refusal), and the answer is lost.
    let cause: unknown;
    try {
      this.#apply(req, moves);
    } catch (error) {
      cause = error;
    }
    throw new AmbiguousOutcomeError(
      `${this.name}: timed out after submitting transfer ${req.clientOid}; it may have been applied`,
      cause === undefined ? undefined : { cause },
    );
  }

  /**
   * Checks and applies a transfer in one synchronous step, so concurrent calls cannot interleave;
   * it moves `moves` (the amount asked, unless a `short` fault says otherwise).
   */
  #apply(req: ExchangeTransferRequest, moves: Money): ExchangeTransferRecord {
    if (req.clientOid.length === 0) throw new TransferRejectedError('a transfer needs a clientOid');
    const existing = this.#transfers.get(req.clientOid);
    if (existing) {
      const same =
        sameAccount(existing.from, req.from) &&
        sameAccount(existing.to, req.to) &&
        (existing.asked ?? existing.amount) === req.amount &&
        existing.currency === req.currency;
      if (!same) throw new TransferRejectedError('clientOid reused with different parameters');
      if (this.#dedupe) return record(existing);
    }
    if (req.currency !== this.currency) {
      throw new TransferRejectedError(
        `${this.name} keeps ${this.currency} only, cannot transfer ${req.currency}`,
      );
    }
    if (req.amount <= 0n) {
      throw new TransferRejectedError(`amount must be positive, got ${showMoney(req.amount)}`);
    }
    if (sameAccount(req.from, req.to)) {
      throw new TransferRejectedError(`cannot transfer from ${showAccount(req.from)} to itself`);
    }
    const from = this.#account(req.from);
    const to = this.#account(req.to);
    if (from.balance < moves) {
      throw new InsufficientFundsError(
        `${showAccount(req.from)} holds ${showMoney(from.balance)} ${this.currency}, ` +
          `cannot transfer ${showMoney(moves)}`,
      );
    }
    from.balance = sub(from.balance, moves);
    to.balance = add(to.balance, moves);
    if (existing) {
      // Not deduplicated: the same transfer applied again, and counted.
      existing.applied += 1;
      return record(existing);
    }
    const applied: TransferState = {
      clientOid: req.clientOid,
      exchangeTransferId: `${this.name}-${this.#transfers.size + 1}`,
      from: { ...req.from },
      to: { ...req.to },
      amount: moves,
      ...(moves !== req.amount && { asked: req.amount }),
      currency: req.currency,
      applied: 1,
    };
    this.#transfers.set(req.clientOid, applied);
    return record(applied);
  }

  /**
   * Counts the call, asks the fault plan and does what it says. Returns the fault when the call
   * must go on changed: a transfer that then loses its answer (`timeout_after`) or moves another
   * amount (`short`), a balance read that garbles accounts (`partial`).
   */
  async #enter(op: FaultOp, ctx: Omit<FaultContext, 'call'>): Promise<Fault | undefined> {
    this.#calls[op] += 1;
    const fault = this.#faults?.(op, { ...ctx, call: this.#calls[op] });
    if (!fault) return undefined;
    if ('latencyMs' in fault && fault.latencyMs && fault.latencyMs > 0)
      await sleep(fault.latencyMs);
    const where = `${this.name} ${op}`;
    switch (fault.kind) {
      case 'latency':
        return undefined;
      case 'partial':
        return op === 'balances' ? fault : undefined;
      case 'short':
        return op === 'transfer' ? fault : undefined;
      case 'rate_limit':
        throw new RateLimitedError(`${where}: rate limited (injected)`);
      case 'unavailable':
        throw new ExchangeUnavailableError(`${where}: exchange unavailable (injected)`);
      case 'insufficient':
        throw new InsufficientFundsError(`${where}: insufficient funds (injected)`);
      case 'auth':
        throw new AuthenticationFailedError(`${where}: authentication failed (injected)`);
      case 'timeout_before':
      case 'timeout_after':
        if (op !== 'transfer') {
          throw new ExchangeUnavailableError(`${where}: timed out (injected)`);
        }
        if (fault.kind === 'timeout_after') return fault;
        throw new AmbiguousOutcomeError(
          `${where}: timed out submitting transfer ${ctx.clientOid}; it may have been applied`,
        );
    }
  }

  #account(account: ExchangeAccount): AccountState {
    return account.kind === 'master' ? this.#master : this.#sub(account.uid, TransferRejectedError);
  }

  #sub(uid: string, error: new (message: string) => Error): AccountState {
    const account = this.#subAccounts.get(uid);
    if (!account) throw new error(`${this.name} has no sub-account ${uid}`);
    return account;
  }

  #readCurrency(currency: string): void {
    if (currency !== this.currency) {
      throw new UnsupportedCurrencyError(
        `${this.name} keeps ${this.currency} only, not ${currency}`,
      );
    }
  }
}
