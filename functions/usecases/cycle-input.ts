/**
 * What a cycle decides on, read without writing anything (DESIGN.md §3): the open transfers, every
 * funded bot's balance as the exchange gave it (or unknown, with why), the bots' history — and
 * the plan made on them. The cycle and its dry run (`botfolio run --dry-run`) share it, so they
 * cannot drift apart.
 */
import pMap from 'p-map';
import { type Alert, alert } from '../core/alerts.ts';
import {
  ALERT_HISTORY_SAMPLES,
  netContributed,
  type RecentReturns,
  recentOf,
  withSample,
} from '../core/analytics.ts';
import type { Config } from '../core/config.ts';
import { configDrift } from '../core/drift.ts';
import { type PositionReading, type RiskView, riskAlerts, riskOf } from '../core/exposure.ts';
import type { BotHealth } from '../core/health.ts';
import { type Money, showMoney, sum } from '../core/money.ts';
import { historySamplesToRead, type Plan, plan } from '../core/policy.ts';
import type { BalanceReading } from '../core/ports.ts';
import { believed, readingOf, unknown } from '../core/readings.ts';
import { withCompleted } from '../core/simulate.ts';
import { type BotState, initialState, isKnown, type PortfolioState } from '../core/state.ts';
import type { BotSnapshot } from '../core/store-ports.ts';
import { type JournalEntry, OPEN_STATUSES } from '../core/transfer.ts';
import { hasVenues } from '../core/venues.ts';
import {
  comparedBots,
  correlationAlerts,
  correlationDue,
  readPoolCorrelations,
} from './correlation.ts';
import type { CycleDeps } from './cycle.ts';
import { readPositions } from './exposure.ts';
import { type HealthReading, readHealth } from './health.ts';
import { masterAccounts, masterName } from './master-accounts.ts';

/** What a cycle reads besides the stored state: the transfers still open, and fresh balances. */
export interface CycleFacts {
  /** Transfers still open: their bots sit this cycle out. */
  readonly open: readonly JournalEntry[];
  readonly inFlight: ReadonlySet<string>;
  /** Every funded bot's equity, by bot id: known and believed, or unknown with why. */
  readonly balances: ReadonlyMap<string, BalanceReading>;
  /**
   * Bots whose operator-confirmed balance this reading ends: the exchange gave their balance,
   * believed or not (a confirmation is for the next reading only, never a standing bypass).
   */
  readonly confirmationsEnded: ReadonlySet<string>;
  /**
   * The master accounts' balance (summed over the config's exchanges, and each against the books
   * of its own reserves), read while the opening is not verified yet and nothing is in flight;
   * absent otherwise.
   */
  readonly masters?: MastersReading;
  /** The bots' health, judged when the balances were read, and what their APIs answered. */
  readonly health: HealthReading;
  /** Every booked bot's open positions, known or unknown with why (DESIGN.md §11). */
  readonly positions: ReadonlyMap<string, PositionReading>;
}

/**
 * Reads what a cycle decides on, writing nothing: the open transfers (the journal's status
 * index), then every funded bot's equity (one batched call per exchange). The cycle and its dry
 * run (`botfolio run --dry-run`) read alike through it.
 */
export async function readCycleFacts(
  deps: Pick<CycleDeps, 'config' | 'journal' | 'exchanges' | 'heartbeats' | 'freqtrade' | 'now'>,
  stored: PortfolioState,
): Promise<CycleFacts> {
  const open = await deps.journal.byStatus(deps.config.portfolioId, OPEN_STATUSES);
  const { balances, confirmationsEnded } = await readBalances(deps, stored);
  // Judged after the balances: a plan never rests on health older than its reading.
  const healthAt = deps.now?.() ?? new Date();
  const health = await readHealth(deps, healthAt);
  const positions = await readPositions(deps, stored, health.facts, healthAt.getTime());
  const unverified = stored.opening !== undefined && stored.opening.verifiedAt === undefined;
  // With several exchanges each master is checked every quiet cycle: a pool the config moved to
  // another exchange would otherwise draw on money that master holds for other reserves.
  const checkMasters = unverified || hasVenues(deps.config);
  return {
    open,
    inFlight: new Set(open.map((e) => e.botId)),
    balances,
    confirmationsEnded,
    health,
    positions,
    ...(checkMasters && open.length === 0 && { masters: await readMasters(deps, stored) }),
  };
}

/**
 * The master accounts as read for the opening check: Σ of their balances, and each one (DESIGN.md
 * §5: each exchange holds its own money) with the books of the reserves it must hold.
 */
export type MastersReading =
  | (BalanceReading & { readonly known: false })
  | {
      readonly known: true;
      readonly balance: Money;
      readonly each?: readonly {
        readonly exchanges: readonly string[];
        readonly balance: Money;
        readonly books: Money;
      }[];
    };

/** Each master account of the config's exchanges and their Σ, or unknown with why. */
async function readMasters(
  deps: Pick<CycleDeps, 'config' | 'exchanges'>,
  stored: PortfolioState,
): Promise<MastersReading> {
  try {
    for (const name of deps.config.exchanges.keys()) {
      if (!deps.exchanges.get(name)) throw new Error(`no exchange adapter for "${name}"`);
    }
    const each = await Promise.all(
      masterAccounts(deps.config, deps.exchanges, stored.reserves).map(async (m) => ({
        exchanges: m.exchanges,
        balance: await m.adapter.masterBalance(deps.config.currency),
        books: m.books,
      })),
    );
    return { known: true, balance: sum(each.map((m) => m.balance)), each };
  } catch (error) {
    return unknown(error instanceof Error ? error.message : String(error));
  }
}

/**
 * Whether the reserves may give money this cycle (DESIGN.md §10): not while reconciliation's hold
 * is on (the master held less than the books), nor before the opening is verified — the master
 * accounts seen holding at least the reserves' books. `verified` says the opening is verified by
 * this reading (the cycle records it).
 */
export function reservesCheck(
  config: Config,
  stored: PortfolioState,
  masters: MastersReading | undefined,
): { freeze: boolean; verified: boolean; alerts: Alert[] } {
  const cur = config.currency;
  const books = sum(stored.reserves.values());
  const frozen = (code: 'reconciliation_mismatch' | 'balance_unknown', message: string) => ({
    freeze: true,
    verified: false,
    alerts: [alert(code, message)],
  });
  if (stored.reserveHold) {
    return frozen(
      'reconciliation_mismatch',
      `nothing comes out of a reserve until reconciliation agrees again: ${stored.reserveHold.why} (since ${stored.reserveHold.at})`,
    );
  }
  if (!stored.opening || stored.opening.verifiedAt !== undefined) {
    // Verified: with several exchanges, a master short of its own reserves' books still freezes
    // (an unknown or absent reading leaves it to reconciliation, as for one exchange).
    const short = masters?.known ? shortMasters(config, masters) : undefined;
    return short
      ? frozen('reconciliation_mismatch', short)
      : { freeze: false, verified: false, alerts: [] };
  }
  // A transfer is in flight: the opening is checked on a later cycle.
  if (!masters) return { freeze: true, verified: false, alerts: [] };
  if (!masters.known) {
    return frozen(
      'balance_unknown',
      `the master account's balance is unknown (${masters.reason}): the opening reserves (${showMoney(books)} ${cur}) are not verified yet, and nothing comes out of a reserve until they are`,
    );
  }
  // Several master accounts: each must hold its own reserves (money never moves between them).
  if (masters.each && masters.each.length > 1) {
    const short = shortMasters(config, masters);
    return short
      ? frozen('reconciliation_mismatch', short)
      : { freeze: false, verified: true, alerts: [] };
  }
  if (masters.balance >= books) return { freeze: false, verified: true, alerts: [] };
  return frozen(
    'reconciliation_mismatch',
    `the master account holds ${showMoney(masters.balance)} ${cur}, the reserves' books ${showMoney(books)}: nothing comes out of a reserve until it holds them. If bots already hold the rest (books lost, a new portfolio_id), \`botfolio adopt BOT --from-reserve --capital AMOUNT\` books each one as allocated; if the trader took money out, \`botfolio withdraw AMOUNT --from RESERVE\``,
  );
}

/**
 * What is wrong when a master account holds less than the books of the reserves in it (several
 * master accounts only); undefined when each holds its own.
 */
function shortMasters(
  config: Config,
  masters: Extract<MastersReading, { known: true }>,
): string | undefined {
  if (!masters.each || masters.each.length < 2) return undefined;
  const short = masters.each.filter((m) => m.balance < m.books);
  if (short.length === 0) return undefined;
  const whats = short.map(
    (m) =>
      `${masterName(m)} holds ${showMoney(m.balance)} ${config.currency}, its reserves' books ${showMoney(m.books)}`,
  );
  return `${whats.join('; ')}: nothing comes out of a reserve until each master account holds its own reserves (money never moves between exchanges). A pool moved to another exchange in the config? Its money is still in the old exchange's master: move it there by hand, then \`botfolio withdraw AMOUNT --from reserve:POOL\` and \`botfolio deposit AMOUNT --to reserve:POOL\` book it. If the trader took money out, \`botfolio withdraw AMOUNT --from RESERVE\``;
}

/**
 * The state a dry run plans on, writing nothing: the stored one (or the opening state of a new
 * portfolio) with the completed transfers the ledger has not applied yet folded in, as the cycle
 * would apply them before planning.
 */
export async function previewState(
  deps: Pick<CycleDeps, 'config' | 'journal' | 'portfolio'>,
  asOf: string,
): Promise<PortfolioState> {
  const { config } = deps;
  const stored = (await deps.portfolio.load(config.portfolioId)) ?? initialState(config, asOf);
  return withCompleted(stored, await deps.journal.completedUnapplied(config.portfolioId));
}

/**
 * What a cycle decides: the stored state with fresh balances and in-flight marks, and the plan
 * made on it with the bots' history. It reads the performance series and writes nothing, so the
 * cycle and its dry run decide exactly alike.
 */
export async function decideCycle(
  deps: Pick<CycleDeps, 'config' | 'performance' | 'customWeights'>,
  input: {
    readonly stored: PortfolioState;
    readonly balances: ReadonlyMap<string, BalanceReading>;
    readonly inFlight: ReadonlySet<string>;
    readonly asOf: string;
    /** The master accounts' reading, where the cycle made one (`CycleFacts.masters`). */
    readonly masters?: MastersReading;
    /** The bots' health (`CycleFacts.health`); without it a monitored bot gets no money in. */
    readonly health?: ReadonlyMap<string, BotHealth>;
    /** The booked bots' positions (`CycleFacts.positions`); without them every one is unknown. */
    readonly positions?: ReadonlyMap<string, PositionReading>;
  },
): Promise<{
  state: PortfolioState;
  plan: Plan;
  openingVerified: boolean;
  risk: RiskView;
  /** Each bot's recent returns after this cycle, to keep (`PerformanceStore.putRecent`). */
  recent: Map<string, RecentReturns>;
}> {
  const { stored, balances, inFlight, asOf } = input;
  const { config } = deps;
  const check = reservesCheck(config, stored, input.masters);
  const drift = configDrift(config, stored);
  const frozen = check.freeze ? new Set(stored.reserves.keys()) : drift.frozen;
  const unbooked = new Map<string, Money>();
  for (const [id, reading] of balances) {
    if (!stored.bots.has(id) && reading.known) unbooked.set(id, reading.balance);
  }
  const unknownWhy = new Map<string, string>();
  const lastKnown = new Map<string, Money>();
  const bots = new Map<string, BotState>();
  for (const [id, reading] of balances) {
    if (!stored.bots.has(id) && !reading.known) unknownWhy.set(id, reading.reason);
  }
  for (const [id, b] of stored.bots) {
    const reading = balances.get(id) ?? unknown('not read this cycle');
    if (!reading.known) {
      unknownWhy.set(id, reading.reason);
      if (b.balance !== null) lastKnown.set(id, b.balance);
    }
    bots.set(id, {
      ...b,
      balance: reading.known ? reading.balance : null,
      inFlight: inFlight.has(id),
    });
  }
  const state: PortfolioState = { ...stored, asOf, bots };
  const { history, recent, judged } = await readHistory(deps, state);
  const decided = plan(config, state, {
    inFlight,
    history,
    recent,
    unknownWhy,
    lastKnown,
    unbooked,
    drift: { ...drift, frozen, alerts: [...check.alerts, ...drift.alerts] },
    ...(input.health && { health: input.health }),
    ...(deps.customWeights && { customWeights: deps.customWeights }),
  });
  const correlated = await correlationCheck(deps, stored, state);
  // Exposure and leverage: warnings only, on this cycle's balances and positions.
  const risk = riskOf(state, input.positions ?? new Map());
  const more = [...correlated, ...riskAlerts(config, risk)];
  return {
    state,
    plan: more.length === 0 ? decided : { ...decided, alerts: [...decided.alerts, ...more] },
    openingVerified: check.verified,
    risk,
    recent: recentAfter(state, recent, judged),
  };
}

/**
 * `bots_correlated` on the first cycle of each UTC day, when `risk.max_correlation` is set: the
 * figure rests on complete days only, so later cycles of the day would compute the same one
 * (and the cooldown keeps a repeat from being sent within it). Enabled, funded bots only.
 */
async function correlationCheck(
  deps: Pick<CycleDeps, 'config' | 'performance'>,
  stored: PortfolioState,
  state: PortfolioState,
): Promise<Alert[]> {
  const { config } = deps;
  if (config.risk.maxCorrelation === undefined || !correlationDue(stored.asOf, state.asOf)) {
    return [];
  }
  const pools = comparedBots(config);
  for (const [pool, bots] of pools)
    pools.set(
      pool,
      bots.filter((b) => state.bots.has(b)),
    );
  return correlationAlerts(
    config,
    await readPoolCorrelations(config, deps.performance, state.asOf, pools),
  );
}

/** History queries in flight at once (the SDK's default socket pool is 50). */
const HISTORY_CONCURRENCY = 16;

/**
 * What the plan judges bots on: each bot's recent returns, kept from cycle to cycle (one small
 * item per bot, all in one query), and the performance series only where they cannot serve — a
 * bot that has none kept yet (its series gives them), and every bot when a history-based
 * rebalance is due (its longer window). Enabled, funded bots only.
 */
async function readHistory(
  deps: Pick<CycleDeps, 'config' | 'performance'>,
  state: PortfolioState,
): Promise<{
  history: Map<string, BotSnapshot[]>;
  recent: Map<string, RecentReturns>;
  judged: Set<string>;
}> {
  const pid = deps.config.portfolioId;
  const limit = historySamplesToRead(deps.config, state);
  const bots = deps.config.bots.filter((b) => b.enabled && state.bots.has(b.botId));
  const kept = await deps.performance.recent(pid);
  const recent = new Map<string, RecentReturns>();
  for (const b of bots) {
    const r = kept.get(b.botId);
    if (r) recent.set(b.botId, r);
  }
  const read = limit > ALERT_HISTORY_SAMPLES ? bots : bots.filter((b) => !recent.has(b.botId));
  // Bounded: a fleet's worth of queries at once waits for sockets until the client times out.
  const series = await pMap(read, (b) => deps.performance.history(pid, b.botId, limit), {
    concurrency: HISTORY_CONCURRENCY,
  });
  const history = new Map(read.map((b, i) => [b.botId, series[i] ?? []]));
  // A bot whose returns were not kept yet starts them from its series.
  for (const [botId, samples] of history) {
    if (recent.has(botId)) continue;
    const from = recentOf(samples.slice(-ALERT_HISTORY_SAMPLES));
    if (from) recent.set(botId, from);
  }
  return { history, recent, judged: new Set(bots.map((b) => b.botId)) };
}

/**
 * The judged bots' recent returns with this cycle's sample added (what the cycle keeps for the
 * next). A bot not judged keeps none: its series gives them when it is judged again.
 */
function recentAfter(
  state: PortfolioState,
  recent: ReadonlyMap<string, RecentReturns>,
  judged: ReadonlySet<string>,
): Map<string, RecentReturns> {
  const out = new Map<string, RecentReturns>();
  for (const botId of judged) {
    const b = state.bots.get(botId);
    if (!b || !isKnown(b)) continue;
    const sample = { at: state.asOf, balance: b.balance, netContributed: netContributed(b) };
    out.set(botId, withSample(recent.get(botId), sample));
  }
  return out;
}

/**
 * Every funded bot's equity (and every enabled unfunded one's), one batched call per exchange,
 * as the exchange answered it — and unknown where it did not, or where the value is beyond
 * belief (core/readings.ts) — and the operators' confirmations these readings end.
 */
async function readBalances(
  deps: Pick<CycleDeps, 'config' | 'exchanges'>,
  stored: PortfolioState,
): Promise<Pick<CycleFacts, 'balances' | 'confirmationsEnded'>> {
  const byExchange = new Map<string, { botId: string; account: string }[]>();
  const read = (botId: string, exchange: string, account: string) => {
    const list = byExchange.get(exchange) ?? [];
    list.push({ botId, account });
    byExchange.set(exchange, list);
  };
  const configured = new Set<string>();
  for (const bot of deps.config.bots) {
    configured.add(bot.botId);
    // An unfunded bot is read too: one of unknown balance gets no allocation either.
    if (!stored.bots.has(bot.botId) && !bot.enabled) continue;
    // A booked bot is read where its books say it sits: a changed account or exchange in the
    // config (drift) must not read as the empty new account — its money is still at the old one.
    const binding = stored.bots.get(bot.botId)?.binding;
    read(bot.botId, binding?.exchange ?? bot.exchange, binding?.account ?? bot.account);
  }
  // Booked bots the config no longer names still hold the portfolio's money: read them too.
  for (const [botId, b] of stored.bots) {
    if (!configured.has(botId) && b.binding) read(botId, b.binding.exchange, b.binding.account);
  }
  const balances = new Map<string, BalanceReading>();
  const confirmationsEnded = new Set<string>();
  for (const [name, bots] of byExchange) {
    const exchange = deps.exchanges.get(name);
    // An exchange the config dropped: its bots stay unknown (never zero) until settled.
    if (!exchange) {
      if ((deps.config.exchanges as ReadonlyMap<string, unknown>).has(name))
        throw new Error(`no exchange adapter for "${name}"`);
      for (const b of bots)
        balances.set(b.botId, unknown(`exchange ${name} is no longer configured`));
      continue;
    }
    const equity = await exchange.subAccountBalances(
      bots.map((b) => b.account),
      deps.config.currency,
    );
    for (const b of bots) {
      const reading = equity.get(b.account) ?? unknown(`${name} did not answer for it`);
      const against = readingOf(stored, b.botId);
      balances.set(b.botId, believed(deps.config, reading, against));
      if (reading.known && against.confirmed) confirmationsEnded.add(b.botId);
    }
  }
  return { balances, confirmationsEnded };
}
