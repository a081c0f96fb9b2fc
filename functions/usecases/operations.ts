/**
 * The operator's capital operations (DESIGN.md §10): adopt, deposit, withdraw, retire [--sweep]
 * and move. Each is journaled with the operator's reason and checked against the exchange and the
 * books first; none is ever inferred from a config. Only a retirement's sweep moves money, through
 * the transfer workflow like any transfer; the others change the books alone, as a `completed`
 * entry the ledger applies exactly once (a crash in between leaves it for the next cycle to apply).
 *
 * What keeps them safe beside a running cycle:
 * - an operation on a bot claims the bot's plan first (one plan per bot): a cycle planning for it
 *   meanwhile gets nothing, and a cycle that read before the operation cannot claim it after;
 * - money booked out of a reserve (a withdrawal, a move, an adoption from the reserve) is held
 *   first, with the reserve's floor, like a transfer's — so no refill can spend it, and two
 *   operators cannot take it twice;
 * - a deposit is refused unless the master account really holds that much more than the books,
 *   with nothing in flight that could explain the difference.
 */
import {
  botAccount,
  type LedgerAccount,
  OUTSIDE_ACCOUNT,
  parseAccount,
  reserveAccount,
} from '../core/accounts.ts';
import type { Config, ExchangeName } from '../core/config.ts';
import { operationCycleId } from '../core/cycle-id.ts';
import { type Money, showMoney, sub, ZERO } from '../core/money.ts';
import type { Exchange, WorkflowStarter } from '../core/ports.ts';
import { believed, readingOf } from '../core/readings.ts';
import type { PortfolioState } from '../core/state.ts';
import type { Stores } from '../core/store-ports.ts';
import {
  type BotBinding,
  type JournalEntry,
  OPEN_STATUSES,
  type OperationFacts,
  type OperationKind,
  plannedEntry,
} from '../core/transfer.ts';
import { exchangeOfReserve, hasVenues, reserveFloor } from '../core/venues.ts';
import { claimBots } from './bot-plans.ts';
import { masterAccounts } from './master-accounts.ts';

export type OperationRequest =
  | {
      readonly kind: 'adoption';
      readonly botId: string;
      /** Book the money as allocated from the bot's pool reserve (books lost, a new portfolio id). */
      readonly fromReserve: boolean;
      /**
       * The capital base to book (e.g. what was allocated); the rest of the balance is its PnL so
       * far. @default its balance now
       */
      readonly capital?: Money;
    }
  | { readonly kind: 'deposit'; readonly amount: Money; readonly to: string }
  | { readonly kind: 'withdrawal'; readonly amount: Money; readonly from: string }
  | {
      readonly kind: 'move';
      readonly amount: Money;
      readonly from: string;
      readonly to: string;
    }
  | { readonly kind: 'retirement'; readonly botId: string; readonly sweep: boolean };

export interface OperationDeps
  extends Pick<Stores, 'journal' | 'portfolio' | 'ledger' | 'claims' | 'plans'> {
  readonly config: Config;
  readonly exchanges: ReadonlyMap<string, Exchange>;
  /** Runs a retirement's sweep (the transfer workflow). */
  readonly workflow: WorkflowStarter;
  readonly now: () => Date;
}

export interface OperationResult {
  /** The entry journaled (or that would be, on a dry run). */
  readonly entry: JournalEntry;
  /** What it does, in words. */
  readonly summary: string;
  /** False on a dry run: nothing was written. */
  readonly done: boolean;
  /** A sweep was handed to the transfer workflow (its outcome is the journal's to tell). */
  readonly started: boolean;
}

/** An operation refused, with why: nothing was written. */
export class OperationRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OperationRefusedError';
  }
}

const refuse = (message: string): never => {
  throw new OperationRefusedError(message);
};

/** Checks, journals and applies one operation (or, with `dryRun`, only checks and describes it). */
export async function runOperation(
  deps: OperationDeps,
  request: OperationRequest,
  opts: { readonly reason: string; readonly by: string; readonly dryRun: boolean },
): Promise<OperationResult> {
  const { config } = deps;
  const pid = config.portfolioId;
  if (opts.reason.trim() === '') refuse('--reason: say why (it is kept in the journal)');
  const state = await deps.portfolio.load(pid);
  if (!state) {
    refuse(`portfolio ${pid} has no books yet: run a cycle first (it records the opening)`);
  }
  const books = state as PortfolioState;
  const now = deps.now();
  const open = await deps.journal.byStatus(pid, OPEN_STATUSES);
  const prepared = await prepare(deps, books, request, open, opts.by);
  const cycleId = operationCycleId(now);
  const planned = plannedEntry(
    {
      kind: request.kind,
      botId: prepared.subject,
      from: prepared.from,
      to: prepared.to,
      amount: prepared.amount,
      reason: `${opts.reason} (by ${opts.by})`,
      leg: 0,
    },
    {
      portfolioId: pid,
      cycleId,
      exchange: prepared.exchange,
      now: now.toISOString(),
      ...(prepared.ends && { ends: prepared.ends }),
      ...(prepared.reading && { reading: prepared.reading }),
    },
  );
  const entry: JournalEntry = { ...planned, operation: prepared.facts };
  if (opts.dryRun) return { entry, summary: prepared.summary, done: false, started: false };

  // One plan per bot: an operation on a bot holds it like a cycle's plan.
  const bot = parseAccount(entry.to)?.kind === 'bot' || parseAccount(entry.from)?.kind === 'bot';
  if (bot) {
    const claimed = await claimBots(deps, pid, cycleId, [entry], now, now);
    if (claimed.length === 0) {
      refuse(`${entry.botId}: a cycle's plan holds it now; try again once its transfers ended`);
    }
  }
  try {
    if (prepared.sweep) {
      if (!(await deps.journal.putPlanned([entry])).includes(entry.id)) {
        refuse(`an operation with id ${entry.id} exists already: nothing was done twice`);
      }
      await deps.workflow.start(entry);
      return { entry, summary: prepared.summary, done: true, started: true };
    }
    const completed: JournalEntry = {
      ...entry,
      status: 'completed',
      history: [{ status: 'completed', at: now.toISOString(), note: prepared.summary }],
    };
    const reserve = parseAccount(entry.from);
    const source = reserve?.kind === 'reserve' ? reserve.reserve : undefined;
    if (source !== undefined) {
      const floor = reserveFloor(config, source);
      const hold = await deps.claims.holdReserve(
        pid,
        { transferId: entry.id, reserve: source, amount: entry.amount },
        floor,
      );
      if (!hold.held) {
        refuse(
          `${entry.from} cannot give ${showMoney(entry.amount)}: ${showMoney(hold.available)} available after the transfers in flight${floor > 0n ? ` and its minimum ${showMoney(floor)}` : ''}`,
        );
      }
    }
    if (!(await deps.journal.putOperation(completed))) {
      refuse(`an operation with id ${entry.id} exists already: nothing was done twice`);
    }
    await deps.ledger.applyCompleted(completed);
    return { entry: completed, summary: prepared.summary, done: true, started: false };
  } finally {
    if (bot && !prepared.sweep) await deps.plans.releaseBot(pid, entry.botId, cycleId);
  }
}

interface Prepared {
  /** The entry's `botId`: the bot, or the reserve an operation on reserves is about. */
  readonly subject: string;
  readonly from: LedgerAccount;
  readonly to: LedgerAccount;
  readonly amount: Money;
  readonly exchange: string;
  readonly facts: OperationFacts;
  readonly summary: string;
  readonly sweep: boolean;
  readonly ends?: { readonly from: string; readonly to: string };
  readonly reading?: { readonly balance: Money; readonly at: string };
}

async function prepare(
  deps: OperationDeps,
  state: PortfolioState,
  r: OperationRequest,
  open: readonly JournalEntry[],
  by: string,
): Promise<Prepared> {
  switch (r.kind) {
    case 'adoption':
      return prepareAdoption(deps, state, r, open, by);
    case 'retirement':
      return prepareRetirement(deps, state, r, open, by);
    case 'deposit':
      return prepareDeposit(deps, state, r, open, by);
    case 'withdrawal':
    case 'move':
      return prepareReserveOut(deps, state, r, by);
  }
}

const cur = (deps: OperationDeps) => deps.config.currency;

function exchangeOf(deps: OperationDeps, name: string): Exchange {
  const exchange = deps.exchanges.get(name);
  if (!exchange) throw new Error(`no exchange adapter for "${name}"`);
  return exchange;
}

/** The bot's sub-account balance now, believed as a cycle would believe it, or a refusal. */
async function balanceNow(
  deps: OperationDeps,
  state: PortfolioState,
  botId: string,
  binding: BotBinding,
): Promise<Money> {
  const answer = await exchangeOf(deps, binding.exchange).subAccountBalances(
    [binding.account],
    deps.config.currency,
  );
  const raw = answer.get(binding.account) ?? {
    known: false as const,
    reason: 'not in the answer',
  };
  const reading = believed(deps.config, raw, readingOf(state, botId));
  if (!reading.known) {
    return refuse(
      `${botId}: sub-account ${binding.account}'s balance is unknown (${reading.reason}): nothing done`,
    );
  }
  return reading.balance;
}

function openFor(open: readonly JournalEntry[], botId: string): JournalEntry | undefined {
  return open.find((e) => e.botId === botId);
}

async function prepareAdoption(
  deps: OperationDeps,
  state: PortfolioState,
  r: Extract<OperationRequest, { kind: 'adoption' }>,
  open: readonly JournalEntry[],
  by: string,
): Promise<Prepared> {
  const { config } = deps;
  const bot = config.bots.find((b) => b.botId === r.botId);
  if (!bot) {
    return refuse(
      `adopt ${r.botId}: not a bot of the config (bots: ${config.bots.map((b) => b.botId).join(', ')}); add it to the config first`,
    );
  }
  const booked = state.bots.get(r.botId);
  if (booked) {
    return refuse(
      `adopt ${r.botId}: it has books already (capital base ${showMoney(booked.capitalBase)} ${cur(deps)}); \`botfolio retire ${r.botId}\` first to book it anew`,
    );
  }
  for (const [other, b] of state.bots) {
    if (b.binding?.account === bot.account && b.binding.exchange === bot.exchange) {
      refuse(
        `adopt ${r.botId}: sub-account ${bot.account} is booked to ${other}; \`botfolio retire ${other}\` first (a rename)`,
      );
    }
  }
  const inFlight = openFor(open, r.botId);
  if (inFlight) {
    refuse(`adopt ${r.botId}: its ${inFlight.kind} ${inFlight.id} is still ${inFlight.status}`);
  }
  const binding: BotBinding = { account: bot.account, pool: bot.pool, exchange: bot.exchange };
  const balance = await balanceNow(deps, state, r.botId, binding);
  if (balance <= 0n) {
    refuse(
      `adopt ${r.botId}: sub-account ${bot.account} holds nothing; the next cycle allocates it`,
    );
  }
  const pool = reserveAccount(bot.pool);
  const capital = r.capital ?? balance;
  if (capital <= 0n) refuse(`adopt ${r.botId} --capital: the capital base must be positive`);
  if (r.fromReserve) {
    const held = state.reserves.get(bot.pool) ?? ZERO;
    if (held < capital) {
      refuse(
        `adopt ${r.botId} --from-reserve: ${pool} books ${showMoney(held)}, less than ${showMoney(capital)}${r.capital === undefined ? ' (its balance: give --capital with what was allocated to it)' : ''}`,
      );
    }
  }
  const pnl = sub(balance, capital);
  return {
    subject: r.botId,
    from: r.fromReserve ? pool : OUTSIDE_ACCOUNT,
    to: botAccount(r.botId),
    amount: capital,
    exchange: bot.exchange,
    facts: { by, binding },
    sweep: false,
    summary: `${r.botId} adopted: sub-account ${bot.account} holds ${showMoney(balance)} ${cur(deps)}; ${showMoney(capital)} becomes its capital base and contribution${pnl === ZERO ? '' : ` (${showMoney(pnl)} its PnL so far)`}${r.fromReserve ? `, booked as allocated from ${pool}` : ', new money in the portfolio'}`,
    reading: { balance, at: deps.now().toISOString() },
  };
}

async function prepareRetirement(
  deps: OperationDeps,
  state: PortfolioState,
  r: Extract<OperationRequest, { kind: 'retirement' }>,
  open: readonly JournalEntry[],
  by: string,
): Promise<Prepared> {
  const { config } = deps;
  const books = state.bots.get(r.botId);
  if (!books) {
    return refuse(
      `retire ${r.botId}: it has no books (booked bots: ${[...state.bots.keys()].join(', ') || 'none'})`,
    );
  }
  const inFlight = openFor(open, r.botId);
  if (inFlight) {
    refuse(`retire ${r.botId}: its ${inFlight.kind} ${inFlight.id} is still ${inFlight.status}`);
  }
  const configured = config.bots.find((b) => b.botId === r.botId);
  const binding =
    books.binding ??
    (configured && {
      account: configured.account,
      pool: configured.pool,
      exchange: configured.exchange,
    });
  if (!binding) {
    return refuse(
      `retire ${r.botId}: its books do not say where it sits and the config no longer names it; put it back in the config to retire it`,
    );
  }
  const facts: OperationFacts = { by, binding, capitalBase: books.capitalBase };
  const pool = reserveAccount(binding.pool);
  if (!r.sweep) {
    const balance = books.balance ?? ZERO;
    return {
      subject: r.botId,
      from: botAccount(r.botId),
      to: OUTSIDE_ACCOUNT,
      amount: balance,
      exchange: binding.exchange,
      facts,
      sweep: false,
      summary: `${r.botId} retired: its books close, and its ${showMoney(balance)} ${cur(deps)} (last read) stay in sub-account ${binding.account}, no longer managed; ${binding.pool}'s booked capital drops by its capital base ${showMoney(books.capitalBase)}`,
    };
  }
  const limits = config.exchanges.get(binding.exchange as ExchangeName);
  if (!limits) return refuse(`retire ${r.botId}: no exchange "${binding.exchange}" configured`);
  const balance = await balanceNow(deps, state, r.botId, binding);
  if (balance < limits.minTransfer) {
    refuse(
      `retire ${r.botId} --sweep: sub-account ${binding.account} holds ${showMoney(balance)}, below min_transfer ${showMoney(limits.minTransfer)}: retire it without --sweep`,
    );
  }
  if (balance > limits.maxTransfer) {
    refuse(
      `retire ${r.botId} --sweep: its ${showMoney(balance)} is above max_transfer ${showMoney(limits.maxTransfer)}; raise max_transfer for the sweep, or move part by hand first`,
    );
  }
  if (!state.reserves.has(binding.pool)) {
    refuse(`retire ${r.botId} --sweep: ${pool} has no books to receive it`);
  }
  return {
    subject: r.botId,
    from: botAccount(r.botId),
    to: pool,
    amount: balance,
    exchange: binding.exchange,
    facts,
    sweep: true,
    ends: { from: binding.account, to: 'master' },
    reading: { balance, at: deps.now().toISOString() },
    summary: `${r.botId} retired with a sweep: its ${showMoney(balance)} ${cur(deps)} go from sub-account ${binding.account} back to ${pool} through the transfer workflow, and its books close when it completes`,
  };
}

/** A reserve named as `reserve:NAME` or `NAME`, that the books hold. */
function bookedReserve(state: PortfolioState, what: string, name: string): string {
  const parsed = parseAccount(name);
  const reserve = parsed?.kind === 'reserve' ? parsed.reserve : parsed ? undefined : name;
  if (reserve === undefined || !state.reserves.has(reserve)) {
    return refuse(
      `${what} ${name}: not a reserve of the books (reserves: ${[...state.reserves.keys()].map(reserveAccount).join(', ')})`,
    );
  }
  return reserve;
}

async function prepareDeposit(
  deps: OperationDeps,
  state: PortfolioState,
  r: Extract<OperationRequest, { kind: 'deposit' }>,
  open: readonly JournalEntry[],
  by: string,
): Promise<Prepared> {
  const { config } = deps;
  if (r.amount <= 0n) refuse(`deposit ${showMoney(r.amount)}: the amount must be positive`);
  const reserve = bookedReserve(state, '--to', r.to);
  if (open.length > 0) {
    refuse(
      `deposit: ${open.length} transfer(s) in flight move the master account; try again once they ended (\`botfolio transfers\`)`,
    );
  }
  // The master account the reserve sits in (DESIGN.md §5), against the books of everything in it.
  const exchange = exchangeOfReserve(config, reserve) ?? config.primaryExchange;
  for (const name of config.exchanges.keys()) exchangeOf(deps, name);
  const account = masterAccounts(config, deps.exchanges, state.reserves).find((m) =>
    m.exchanges.includes(exchange),
  );
  if (!account) throw new Error(`no exchange adapter for "${exchange}"`);
  const masters = await account.adapter.masterBalance(config.currency);
  const books = account.books;
  const surplus = sub(masters, books);
  const where = hasVenues(config) ? ` on ${account.exchanges.join(' and ')}` : '';
  if (surplus < r.amount) {
    refuse(
      `deposit ${showMoney(r.amount)}: the master account${where} holds ${showMoney(masters)} ${config.currency}, the reserves' books ${showMoney(books)} — only ${showMoney(surplus)} more than the books; transfer the money to the master account first`,
    );
  }
  return {
    subject: reserve,
    from: OUTSIDE_ACCOUNT,
    to: reserveAccount(reserve),
    amount: r.amount,
    exchange,
    facts: { by },
    sweep: false,
    summary: `${showMoney(r.amount)} ${config.currency} deposited to ${reserveAccount(reserve)} (the master account${where} holds ${showMoney(surplus)} more than the books)`,
  };
}

async function prepareReserveOut(
  deps: OperationDeps,
  state: PortfolioState,
  r: Extract<OperationRequest, { kind: 'withdrawal' | 'move' }>,
  by: string,
): Promise<Prepared> {
  const { config } = deps;
  const verb = r.kind === 'withdrawal' ? 'withdraw' : 'move';
  if (r.amount <= 0n) refuse(`${verb} ${showMoney(r.amount)}: the amount must be positive`);
  const from = bookedReserve(state, '--from', r.from);
  const to = r.kind === 'move' ? bookedReserve(state, '--to', r.to) : undefined;
  if (to === from) refuse(`move: --from and --to are both ${reserveAccount(from)}`);
  const floor = reserveFloor(config, from);
  const held = state.reserves.get(from) ?? ZERO;
  if (sub(held, floor) < r.amount) {
    refuse(
      `${verb} ${showMoney(r.amount)}: ${reserveAccount(from)} books ${showMoney(held)}${floor > 0n ? `, and never goes below its minimum ${showMoney(floor)}` : ''}`,
    );
  }
  // A reserve the config no longer has sat where a single-exchange portfolio kept it: the primary.
  const exchange = exchangeOfReserve(config, from) ?? config.primaryExchange;
  const toExchange =
    to === undefined ? exchange : (exchangeOfReserve(config, to) ?? config.primaryExchange);
  if (toExchange !== exchange) {
    refuse(
      `move: ${reserveAccount(from)} is on ${exchange} and ${reserveAccount(to as string)} on ${toExchange}: money never moves between exchanges (move it by hand, then \`botfolio withdraw\` and \`botfolio deposit\` book it)`,
    );
  }
  if (r.kind === 'withdrawal') {
    return {
      subject: from,
      from: reserveAccount(from),
      to: OUTSIDE_ACCOUNT,
      amount: r.amount,
      exchange,
      facts: { by },
      sweep: false,
      summary: `${showMoney(r.amount)} ${config.currency} withdrawn from ${reserveAccount(from)}: booked now (no refill can spend it); move it out of the master account on ${exchange} by hand — Botfolio never withdraws`,
    };
  }
  return {
    subject: from,
    from: reserveAccount(from),
    to: reserveAccount(to as string),
    amount: r.amount,
    exchange,
    facts: { by },
    sweep: false,
    summary: `${showMoney(r.amount)} ${config.currency} moved from ${reserveAccount(from)} to ${reserveAccount(to as string)} (both sit in the master account${hasVenues(config) ? ` on ${exchange}` : ''}: nothing moves on the exchange)`,
  };
}

/** The kinds an operator's command names. */
export const OPERATION_VERBS: Readonly<Record<OperationKind, string>> = {
  adoption: 'adopt',
  deposit: 'deposit',
  withdrawal: 'withdraw',
  retirement: 'retire',
  move: 'move',
  pause_bots: 'halt',
};
