/**
 * The fault families of the campaign beyond exchange faults (issue 9): what a real deployment
 * meets that moved wrong money before — partial and missing balance answers, overlapping cycles,
 * stale restarts, and rate-limit storms during a black-swan entry — and the checks that say
 * whether money moved on unknown or stale facts. A run draws its families from its own seed, so
 * `--run N` replays them.
 *
 * The checks judge the system against the exchange's own truth (the paper exchange's books, read
 * directly, at the moment a transfer is submitted), never against what the system believed.
 */
import type { Config } from '../../core/config.ts';
import { type Money, mulRatio, showMoney, sub, sum, ZERO } from '../../core/money.ts';
import { harvestDue, refillDue } from '../../core/policy-rules.ts';
import { otherLegIds } from '../../core/recheck.ts';
import { isKnown, type PortfolioState } from '../../core/state.ts';
import {
  isTerminal,
  type JournalEntry,
  movesMoney,
  type PlannedTransfer,
  transferId,
} from '../../core/transfer.ts';

export const FAMILIES = [
  'partial_balances',
  'overlapping_cycles',
  'stale_restarts',
  'rate_limit_storms',
  'lifecycle',
] as const;
export type Family = (typeof FAMILIES)[number];

/** What the family checks found, each a count that must be 0. */
export interface FamilyFindings {
  /** Decisions for a bot whose balance was unknown that cycle. */
  readonly unknown_decisions: number;
  /** Two decisions that moved money for one bot at once (their read-to-end spans overlap). */
  readonly double_moves: number;
  /** Transfers submitted although their rule did not hold on the exchange's own balance. */
  readonly stale_moves: number;
  /** Planned transfers dropped, without a `transfer_id_collision` alert, for an id taken. */
  readonly silent_drops: number;
  /** Funded bots with money whose protect had not completed three cycles into a black swan. */
  readonly unprotected: number;
}

export const NO_FINDINGS: FamilyFindings = {
  unknown_decisions: 0,
  double_moves: 0,
  stale_moves: 0,
  silent_drops: 0,
  unprotected: 0,
};

/** What the exchange really held when a transfer was first submitted, and what the books said. */
export interface Submission {
  readonly at: number;
  /** The bot sub-account's equity on the exchange, read directly. */
  readonly balance: Money;
  /** clientOids already applied to or from that sub-account. */
  readonly appliedBefore: ReadonlySet<string>;
  /** The bot's capital base in the ledger then (undefined: not funded). */
  readonly capitalBase: Money | undefined;
}

/** A decision of one cycle run, with the bots that were unknown to it. */
export interface CycleSeen {
  readonly cycleId: string;
  readonly decisions: readonly PlannedTransfer[];
  readonly journaled: readonly JournalEntry[];
  readonly unknownBots: ReadonlySet<string>;
  /** Bots the run decided for but could not claim (another plan held them): nothing journaled. */
  readonly held: ReadonlySet<string>;
  /** Cycle runs of one batch ran at once (overlapping cycles); batches ran one after another. */
  readonly batch: number;
  /** The portfolio the cycle ran for (the lifecycle family changes it). */
  readonly portfolioId: string;
  /** The store it ran on (the lifecycle family loses books): an index of the run's journals. */
  readonly era?: number;
}

const decisionKey = (e: Pick<JournalEntry, 'cycleId' | 'kind' | 'botId'>) =>
  `${e.cycleId}|${e.kind}|${e.botId}`;

/** When a transfer reached its final status; never, while it is open. */
const endedAt = (e: JournalEntry): number =>
  isTerminal(e.status) ? Date.parse(e.history.at(-1)?.at ?? e.updatedAt) : Number.POSITIVE_INFINITY;

const completedAt = (e: JournalEntry): number =>
  Date.parse(e.history.findLast((h) => h.status === 'completed')?.at ?? e.updatedAt);

/** Decisions made for a bot whose balance the cycle did not know. */
export function unknownDecisions(seen: readonly CycleSeen[], problems: string[]): number {
  let n = 0;
  for (const c of seen) {
    for (const d of c.decisions) {
      if (!c.unknownBots.has(d.botId)) continue;
      n += 1;
      problems.push(`unknown decision: ${d.kind} of ${d.botId} in ${c.cycleId}, balance unknown`);
    }
  }
  return n;
}

/**
 * Decisions that moved money for one bot at once: for each bot, each decision (cycle, kind) with
 * a completed transfer spans from the reading it was planned on to its last completion; two
 * decisions whose spans overlap moved money for the bot on facts the other one changed. An entry
 * without a reading (an allocation) was read no earlier than `journaledFrom` says (when the batch
 * of cycles that journaled it started), nor than it was created.
 */
export function doubleMoves(
  all: readonly JournalEntry[],
  problems: string[],
  journaledFrom: (e: JournalEntry) => number | undefined = () => undefined,
): number {
  const spans = new Map<string, { bot: string; key: string; from: number; to: number }>();
  for (const e of all) {
    if (e.status !== 'completed' || !movesMoney(e)) continue;
    const key = decisionKey(e);
    const from = e.reading
      ? Date.parse(e.reading.at)
      : Math.max(Date.parse(e.createdAt), journaledFrom(e) ?? Number.NEGATIVE_INFINITY);
    const to = completedAt(e);
    const s = spans.get(key);
    spans.set(key, {
      bot: e.botId,
      key,
      from: Math.min(from, s?.from ?? from),
      to: Math.max(to, s?.to ?? to),
    });
  }
  const byBot = new Map<string, { key: string; from: number; to: number }[]>();
  for (const s of spans.values()) byBot.set(s.bot, [...(byBot.get(s.bot) ?? []), s]);
  let n = 0;
  for (const [bot, list] of byBot) {
    const sorted = list.sort((a, b) => a.from - b.from);
    for (let i = 1; i < sorted.length; i++) {
      const [a, b] = [sorted[i - 1], sorted[i]];
      if (a && b && b.from < a.to) {
        n += 1;
        problems.push(`double move: ${bot}: ${b.key} was read before ${a.key} ended`);
      }
    }
  }
  return n;
}

/**
 * Transfers the exchange was asked to make although the rule that planned them did not hold on
 * what the exchange itself held at that moment (a refill's own earlier legs discounted).
 */
export function staleMoves(
  configOf: (e: JournalEntry) => Config,
  all: readonly JournalEntry[],
  submissions: ReadonlyMap<string, Submission>,
  problems: string[],
): number {
  const byId = new Map(all.map((e) => [e.id, e]));
  let n = 0;
  for (const [id, s] of submissions) {
    const e = byId.get(id);
    if (!e) continue;
    const why = staleWhy(configOf(e), e, s, byId);
    if (why === undefined) continue;
    n += 1;
    problems.push(`stale move: ${e.kind} ${e.id} of ${e.botId} submitted, ${why}`);
  }
  return n;
}

function staleWhy(
  config: Config,
  e: JournalEntry,
  s: Submission,
  byId: ReadonlyMap<string, JournalEntry>,
): string | undefined {
  const bot = config.bots.find((b) => b.botId === e.botId);
  const pool = config.pools.get(bot?.pool ?? '');
  if (e.kind === 'allocation') {
    return s.capitalBase !== undefined ? 'the bot was funded already' : undefined;
  }
  if (!pool || s.capitalBase === undefined) return undefined;
  const C = s.capitalBase;
  if (e.kind === 'harvest') {
    return harvestDue(pool, s.balance, C)
      ? undefined
      : `its balance ${showMoney(s.balance)} was below the harvest trigger (capital base ${showMoney(C)})`;
  }
  if (e.kind === 'refill' && config.lossRecovery) {
    const arrived = sum(
      otherLegIds(config, e)
        .map((legId) => byId.get(legId))
        .filter((o) => o && o.leg < e.leg && s.appliedBefore.has(o.id))
        .map((o) => o?.amount ?? ZERO),
    );
    const B = sub(s.balance, arrived);
    return refillDue(config.lossRecovery, B, C)
      ? undefined
      : `its balance ${showMoney(B)} was above the refill trigger (capital base ${showMoney(C)})`;
  }
  return undefined;
}

/**
 * Planned transfers no cycle journaled because their id was taken by other content, and that no
 * `transfer_id_collision` alert named.
 */
export function silentDrops(
  seen: readonly CycleSeen[],
  all: readonly JournalEntry[],
  alerted: ReadonlySet<string>,
  problems: string[],
): number {
  const byId = new Map(all.map((e) => [e.id, e]));
  // Which run of a cycle journaled each id first: only an id taken before (or at once) can be
  // why a decision was dropped; a decision dropped for another reason (its bot held by another
  // plan) whose id a later run took is no collision.
  const first = new Map<string, CycleSeen>();
  for (const c of seen) for (const e of c.journaled) if (!first.has(e.id)) first.set(e.id, c);
  let n = 0;
  for (const c of seen) {
    const journaled = new Set(c.journaled.map((e) => e.id));
    for (const d of c.decisions) {
      const id = transferId({ ...d, portfolioId: c.portfolioId, cycleId: c.cycleId });
      const stored = byId.get(id);
      const taker = first.get(id);
      if (journaled.has(id) || !stored || alerted.has(id)) continue;
      // Left out because another plan held the bot: the id was never tried.
      if (c.held.has(d.botId)) continue;
      if (taker !== undefined && taker.batch > c.batch) continue;
      if (stored.amount === d.amount && stored.from === d.from && stored.to === d.to) continue;
      n += 1;
      problems.push(
        `silent drop: ${d.kind} of ${d.botId} in ${c.cycleId}, id held by other content`,
      );
    }
  }
  return n;
}

/**
 * Funded bots holding money worth protecting (its safety share at least `min_transfer`) with no
 * protect planned since the episode began applied on the exchange (safe, whether or not the journal knows
 * it yet), three cycles into a black-swan episode. Left out: bots whose balance was unknown
 * during the episode (a garbled answer, or a read that failed in a cycle that ran: the cycle
 * cannot size a protect, DESIGN.md §3), bots with another transfer open meanwhile or a protect
 * whose outcome was unknown for a while, and bots whose protect the daily limit refused.
 */
export function unprotectedBots(
  config: Config,
  input: {
    readonly state: PortfolioState;
    readonly episode: readonly string[];
    /** Bots whose balance the storm garbled during the episode. */
    readonly unknownInEpisode: ReadonlySet<string>;
    /** The states the episode's cycles planned on (each cycle that ran). */
    readonly readings: readonly PortfolioState[];
    readonly equityOf: (account: string) => Money;
    readonly all: readonly JournalEntry[];
    /** clientOids the exchange has applied. */
    readonly applied: ReadonlySet<string>;
    /**
     * The last cycle before the episode whose state was calm (a cycle that planned the entry's
     * protects may have died before it saved the flag), and now (run clock, ms).
     */
    readonly since: number;
    readonly now: number;
    /** Bots config drift held still meanwhile (the lifecycle family): nothing moves for them. */
    readonly drifting?: ReadonlySet<string>;
  },
  problems: string[],
): number {
  const bs = config.blackSwan;
  if (!bs) return 0;
  const unknown = new Set(input.unknownInEpisode);
  for (const r of input.readings) for (const [id, s] of r.bots) if (!isKnown(s)) unknown.add(id);
  let n = 0;
  for (const bot of config.bots) {
    const b = input.state.bots.get(bot.botId);
    if (!bot.enabled || !b || unknown.has(bot.botId)) continue;
    if (input.drifting?.has(bot.botId)) continue;
    // A bot with another transfer open meanwhile waits for it (one transfer in flight per bot).
    // So does one whose protect's outcome was unknown a while (reconciliation settles it), and
    // one whose protect the trader's own daily limit refused (the guards hold for every transfer).
    const excused = input.all.some(
      (e) =>
        e.botId === bot.botId &&
        endedAt(e) >= input.since &&
        Date.parse(e.createdAt) <= input.now &&
        (e.kind !== 'protect' ||
          !isTerminal(e.status) ||
          e.history.some((h) => h.status === 'uncertain') ||
          (e.error ?? '').includes('daily_transfer_limit')),
    );
    if (excused) continue;
    const min = config.exchanges.get(bot.exchange)?.minTransfer ?? 0n;
    if (mulRatio(input.equityOf(bot.account), bs.safetyAllocation) < min) continue;
    const done = input.all.some(
      (e) =>
        e.kind === 'protect' &&
        e.botId === bot.botId &&
        input.applied.has(e.id) &&
        Date.parse(e.createdAt) >= input.since,
    );
    if (done) continue;
    n += 1;
    problems.push(
      `unprotected: ${bot.botId} holds money ${input.episode.length} cycles into the black swan of ${input.episode[0]}`,
    );
  }
  return n;
}

/** The bot a transfer request moves money for: its sub-account end. */
export const subAccountOf = (req: {
  readonly from: { kind: string; uid?: string };
  readonly to: { kind: string; uid?: string };
}): string | undefined =>
  (req.from.kind === 'sub' ? req.from.uid : undefined) ??
  (req.to.kind === 'sub' ? req.to.uid : undefined);
