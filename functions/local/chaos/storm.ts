/**
 * One run of the fault campaign (issue 4's contract): a randomized portfolio on the embedded store
 * and the paper exchange, with the synthesized state machine run in-process, through several
 * cycles of random bot moves and random faults, then a final reconciliation, then the checks of
 * ./invariants.ts. Everything random comes from the run's seed (the executions run one at a time,
 * in order), so a seed replays exactly; nothing here reads the wall clock.
 *
 * What is injected: exchange faults (rate limits, outages, timeouts before and after a transfer
 * took effect, insufficient funds, authentication failures), bots that lose money between the
 * guard's fresh read and the submit, executions that die at a step (most often between submit and
 * record), duplicate starts of an execution, the same cycle run twice, and reconciliations in the
 * middle of it all. The paper exchange does not deduplicate clientOids in the campaign: a transfer
 * applied twice is the workflow's fault, and counted.
 */

import { ENDPOINTS } from '../../adapters/bitget/endpoints.ts';
import {
  FAILURE_KINDS,
  FAULT_OPS,
  type FaultOp,
  type FaultPlan,
  GARBLES,
  type Garble,
  randomFaults,
} from '../../adapters/paper/faults.ts';
import { type Rng, seededRng, standardNormal, uniform } from '../../adapters/paper/rng.ts';
import { EndpointRateLimiter, type RateLimit } from '../../adapters/venue/rate-limiter.ts';
import { type BotConfig, type Config, parseConfig } from '../../core/config.ts';
import { BotfolioError } from '../../core/errors.ts';
import { moneyFromFloat, mulRatio, ratio, toFloat } from '../../core/money.ts';
import { PLANNED_EXPIRY_MS, SETTLE_DELAY_MS, STUCK_AFTER_MS } from '../../core/settlement.ts';
import type { PortfolioState } from '../../core/state.ts';
import { type JournalEntry, TRANSFER_STATUSES } from '../../core/transfer.ts';
import { cycleIdFor } from '../../usecases/cycle.ts';
import type { EmbeddedDynamo } from '../dynamo.ts';
import { startLocalRuntime } from '../runtime.ts';
import type { DeathPoint, StateMachineDefinition } from '../workflow.ts';
import { retryWaits } from './backoff.ts';
import type { ChaosJob } from './campaign.ts';
import { placedOn } from './fakes.ts';
import {
  type CycleSeen,
  doubleMoves,
  FAMILIES,
  type Family,
  type FamilyFindings,
  type Submission,
  silentDrops,
  staleMoves,
  subAccountOf,
  unknownDecisions,
  unprotectedBots,
} from './families.ts';
import { checkInvariants, type Findings } from './invariants.ts';
import { Lifecycle, type LifecycleFindings } from './lifecycle.ts';
import { fakeExchangeVenue, paperVenue, type StormVenue, type VenueName } from './venues.ts';

/**
 * Where every run starts: a fixed time (results never depend on the wall clock), an hour before
 * midnight so that runs cross a day of the daily limit.
 */
const T0 = Date.parse('2026-01-05T23:00:00Z');
const MINUTE = 60_000;

/** What one run saw, and what it found wrong. */
export interface RunResult extends Findings, FamilyFindings, LifecycleFindings {
  readonly run: number;
  readonly seed: number;
  readonly transfers: number;
  readonly completed: number;
  readonly failed: number;
  readonly rejected: number;
  /** Transfers whose outcome was unknown at some point (they passed through `uncertain`). */
  readonly uncertain: number;
  readonly deaths: number;
  readonly duplicateStarts: number;
  readonly repeatedCycles: number;
  /** Cycles an injected fault made fail (each invoked again, as Lambda retries it). */
  readonly failedCycles: number;
  readonly reconciliations: number;
  /** Faults the exchange injected, by kind (outage calls count as `unavailable`). */
  readonly faults: Readonly<Record<string, number>>;
  /** Bots that lost money between a transfer's guard and its submit. */
  readonly surprises: number;
  /** How often each family of ./families.ts was injected (0: not drawn for this run). */
  readonly families: Readonly<Record<Family, number>>;
  /** The lifecycle family's events, by kind (./lifecycle.ts). */
  readonly lifecycle_events: Readonly<Record<string, number>>;
}

/** What a run needs besides its index: the campaign's settings, and a store and a definition. */
export interface ChaosRunOptions extends Omit<ChaosJob, 'runs'> {
  readonly definition: StateMachineDefinition;
  readonly dynamo: EmbeddedDynamo;
  /** Receives the run's whole journal at the end (a replay shows it). */
  readonly journal?: (entries: readonly JournalEntry[], config: Config) => void;
}

/** The seed of run `run` of a campaign: its own stream of the campaign's seed. */
export const runSeed = (seed: number, run: number): number =>
  Math.floor(uniform(seededRng(seed, `run ${run}`)) * 2 ** 31);

const pick = (rng: Rng, lo: number, hi: number) => lo + uniform(rng) * (hi - lo);
const oneOf = <T>(rng: Rng, items: readonly T[]): T =>
  items[Math.floor(uniform(rng) * items.length)] as T;

/** Bots of a rate-limit storm: enough that one entry cycle's protects outrun the endpoints. */
const STORM_BOTS = 12;
/** The cycle whose market move is a crash in a rate-limit storm run (allocations done by then). */
const STORM_CRASH_AT = 2;

/**
 * The run's config: the base with its own portfolio id, its families' needs and, sometimes,
 * tight limits; on a real exchange's fake, every bot on that exchange.
 */
function runConfig(
  base: Record<string, unknown>,
  id: string,
  rng: Rng,
  families: ReadonlySet<Family>,
  exchange: VenueName,
): { config: Config; raw: Record<string, unknown> } {
  const copy = structuredClone(base) as Record<string, unknown> & {
    exchanges: Record<string, Record<string, unknown>>;
    bots: Record<string, unknown>[];
    total_capital: number;
  };
  copy.portfolio_id = id;
  for (const settings of Object.values(copy.exchanges)) {
    // A tight day now and then, so the daily limit is reached.
    if (uniform(rng) < 0.2) {
      settings.daily_transfer_limit = Math.max(
        Number(settings.max_transfer),
        Math.round(pick(rng, 300, 900)),
      );
    }
    // A storm of protects is about the endpoints' limits, not the day's.
    if (families.has('rate_limit_storms')) settings.daily_transfer_limit = 100_000;
  }
  if (families.has('rate_limit_storms')) {
    // The base fleet copied until it is a dozen bots, the capital grown with it.
    const fleet = copy.bots;
    const scale = Math.ceil(STORM_BOTS / fleet.length);
    copy.total_capital *= scale;
    copy.bots = Array.from({ length: scale }, (_, k) =>
      fleet.map((b, i) =>
        k === 0
          ? b
          : { ...b, bot_id: `${b.bot_id}_${k}`, account: String(7_000_000_000 + k * 100 + i) },
      ),
    ).flat();
  }
  // Room for a portfolio's life: a bot added or moved between pools, capital taken out — each a
  // config the rules accept (the base fleet allocates its pools in full).
  if (families.has('lifecycle')) copy.total_capital *= 2;
  if (exchange !== 'paper') placedOn(copy, exchange);
  return { config: parseConfig(copy), raw: copy };
}

/** The Bitget endpoint each paper operation stands for: the storm gives it that one's limit. */
const BITGET_ENDPOINT: Readonly<Record<FaultOp, keyof typeof ENDPOINTS>> = {
  balances: 'v2/mix/account/sub-account-assets',
  master: 'v2/spot/account/assets',
  transfer: 'v2/spot/wallet/subaccount-transfer',
  find: 'v2/spot/account/sub-main-trans-record',
};

/** Bitget's published limits on the run's clock (DESIGN.md §5): past one, a call is rate limited. */
function endpointLimits(now: () => number): (op: FaultOp) => boolean {
  const limits = Object.fromEntries(
    FAULT_OPS.map((op) => [op, ENDPOINTS[BITGET_ENDPOINT[op]].limit]),
  ) as Record<FaultOp, RateLimit>;
  const limiter = new EndpointRateLimiter(limits, { now, maxWaitMs: 0 });
  return (op) => {
    if (limiter.waitFor(op) > 0) return true;
    // A free slot is taken at once (no wait to await).
    void limiter.acquire(op);
    return false;
  };
}

/** Runs one portfolio through the storm and checks it. */
export async function chaosRun(opts: ChaosRunOptions, run: number): Promise<RunResult> {
  const seed = runSeed(opts.seed, run);
  const rng = seededRng(seed, 'campaign');
  const marketRng = seededRng(seed, 'market');
  const reaperRng = seededRng(seed, 'reaper');
  const familyRng = seededRng(seed, 'families');
  const drawn = new Set(FAMILIES.filter(() => uniform(familyRng) < 0.4));
  const exchange = opts.exchange ?? 'paper';
  // A portfolio's life is played on the paper exchange, which opens any sub-account asked for.
  if (exchange !== 'paper') drawn.delete('lifecycle');
  const made = runConfig(opts.base, `chaos-${opts.seed}-${run}`, rng, drawn, exchange);
  /** The config in force: the lifecycle family changes it between cycles. */
  let config = made.config;
  const families = Object.fromEntries(FAMILIES.map((f) => [f, 0])) as Record<Family, number>;

  // The run's clock: set to each moment of the storm, and a millisecond on at every look, so
  // that every event of the run has its own time and their order can be checked afterwards.
  let base = T0;
  let last = T0;
  const setClock = (ms: number) => {
    base = ms;
  };
  const tick = () => {
    last = Math.max(base, last + 1);
    return last;
  };
  /** The run's time now, without a tick. */
  const current = () => Math.max(base, last);

  const faults: Record<string, number> = Object.fromEntries(FAILURE_KINDS.map((k) => [k, 0]));
  const rates = {
    rate_limit: pick(rng, 0, 0.12),
    unavailable: pick(rng, 0, 0.08),
    timeout_before: pick(rng, 0, 0.08),
    timeout_after: pick(rng, 0, 0.08),
    insufficient: pick(rng, 0, 0.03),
    auth: pick(rng, 0, 0.01),
  };
  // Outages long enough, now and then, to outlast the workflow's retries: outcomes left unknown.
  const outages = { rate: pick(rng, 0, 0.015), calls: Math.round(pick(rng, 3, 16)) };
  const storm = randomFaults({ seed, rates, outages });
  // A fake exchange keeps its endpoints' limits itself; the paper exchange gets Bitget's here.
  const limited =
    drawn.has('rate_limit_storms') && exchange === 'paper' ? endpointLimits(current) : () => false;
  let venue: StormVenue | undefined;
  let surprises = 0;
  /** The ledger as of the last cycle or reconciliation (capital bases, for the checks). */
  let books: PortfolioState | undefined;
  /** Accounts whose balance answers are garbled this slot (partial_balances). */
  let garbled: Record<string, Garble> = {};
  const submissions = new Map<string, Submission>();
  const bookedAt = (b: PortfolioState | undefined, botId: string, uid: string) => {
    const s = b?.bots.get(botId);
    return s && (s.binding === undefined || s.binding.account === uid) ? s.capitalBase : undefined;
  };
  const plan: FaultPlan = (op: FaultOp, ctx) => {
    const req = ctx.request;
    const uid = req && subAccountOf(req);
    if (op === 'transfer' && venue && req && uid !== undefined) {
      // What the exchange held when first asked to move it, before anything else happens.
      if (!submissions.has(req.clientOid)) {
        const now = lifecycle?.configAt(current()) ?? config;
        const botId = now.bots.find((b) => b.account === uid)?.botId ?? '';
        const applied = venue.books().transfers.filter((t) => t.applied > 0);
        submissions.set(req.clientOid, {
          at: current(),
          balance: venue.equityOf(uid),
          appliedBefore: new Set(applied.map((t) => t.clientOid)),
          // Funded already means at this sub-account: books that still bind the bot elsewhere
          // (a retirement from its old one completed, not yet booked) fund nothing here.
          capitalBase: bookedAt(books, botId, uid),
        });
      }
      // Its bot may trade away money between the guard's read and the submit.
      if (uniform(marketRng) < 0.06) {
        const equity = toFloat(venue.equityOf(uid));
        venue.trade(uid, moneyFromFloat(equity * pick(marketRng, 0.05, 0.6)));
        surprises += 1;
      }
    }
    const fault = storm(op, ctx);
    if (fault && fault.kind !== 'latency' && fault.kind !== 'partial') {
      faults[fault.kind] = (faults[fault.kind] ?? 0) + 1;
      return fault;
    }
    if (limited(op)) {
      faults.rate_limit = (faults.rate_limit ?? 0) + 1;
      return { kind: 'rate_limit' };
    }
    if (op === 'balances' && venue?.name === 'paper' && Object.keys(garbled).length > 0) {
      return { kind: 'partial', accounts: garbled };
    }
    return fault;
  };

  let calm = false;
  let deaths = 0;
  /** Transfers whose workflow start is lost this slot (stale_restarts). */
  let loseStarts = false;
  const lostStarts = new Set<string>();
  // On a fake exchange a retry waits its backoff on the run's clock (./backoff.ts says why).
  const backoff =
    exchange === 'paper'
      ? undefined
      : retryWaits(opts.definition, (ms) => {
          last = Math.max(base, last) + ms;
        });
  // Deaths mostly where they hurt: between submit and record.
  const reaper = (p: DeathPoint) => {
    const u = uniform(reaperRng);
    backoff?.(p);
    if (calm) return false;
    if (loseStarts && p.entered === 1 && p.when === 'before') {
      lostStarts.add(p.transferId);
      return true;
    }
    const risky =
      (p.when === 'after' && (p.state === 'Submit' || p.state === 'Confirm')) ||
      (p.when === 'before' && p.state === 'Apply');
    const dies = u < (risky ? 0.06 : 0.006);
    if (dies) deaths += 1;
    return dies;
  };

  let mismatchAlerts = 0;
  const collisions = new Set<string>();
  const onFake =
    exchange === 'paper' ? undefined : await fakeExchangeVenue(exchange, config, plan, current);
  const rt = await startLocalRuntime({
    config,
    seed,
    faults: plan,
    ...(onFake && { exchanges: onFake.exchanges }),
    definition: opts.definition,
    dynamo: opts.dynamo,
    serial: true,
    reaper,
    dedupeClientOid: false,
    retryIntervalMs: 0,
    now: () => new Date(tick()),
    onAlert: (a) => {
      if (a.code === 'reconciliation_mismatch' && !lifecycle?.expectingMismatch) {
        mismatchAlerts += 1;
      }
      if (a.code === 'transfer_id_collision') {
        for (const id of a.message.match(/[0-9a-f]{32}/g) ?? []) collisions.add(id);
      }
    },
  });
  venue = onFake?.venue ?? paperVenue(rt.exchange);
  const market = venue;
  const lifecycle = drawn.has('lifecycle')
    ? new Lifecycle(
        {
          rt,
          venue: market,
          dynamo: opts.dynamo,
          rng: seededRng(seed, 'lifecycle'),
          now: tick,
          wait: (ms) => setClock(current() + ms),
          batch: () => batch,
          apply: (next) => {
            config = next;
            rt.reconfigure(next);
          },
          problems: [],
        },
        made.raw,
        config,
      )
    : undefined;
  const load = async () => {
    books = await rt.store.portfolio.load(config.portfolioId);
    return books;
  };
  let duplicateStarts = 0;
  let repeatedCycles = 0;
  let failedCycles = 0;
  let reconciliations = 0;
  const seen: CycleSeen[] = [];
  let batch = 0;
  const batchOf = new Map<string, number>();
  /** When each batch of cycles started (run clock): no cycle of it read the exchange earlier. */
  const batchAt = new Map<number, number>();
  const problems: string[] = [];
  let flagsChanged = 0;
  let unprotected = 0;
  let episode: string[] = [];
  let episodeSince = T0;
  let unknownInEpisode = new Set<string>();
  /** The states this episode's cycles planned on (a failed read leaves a bot unknown there). */
  let readings: PortfolioState[] = [];
  try {
    let at = T0 - config.checkIntervalMs;
    for (let c = 0; c < opts.cycles; c++) {
      // The operator settles and the trader changes things between cycles (lifecycle family).
      if (lifecycle) {
        setClock(at + 2 * MINUTE);
        await lifecycle.between(c);
      }
      const interval = config.checkIntervalMs;
      at = c === 0 ? T0 : at + interval;
      const before = await load();
      // Where the cycle reads each bot: at the account its books bind (a config that moved it is
      // drift, read where the money is), else at the config's.
      const readAt = (b: BotConfig) => before?.bots.get(b.botId)?.binding?.account ?? b.account;
      const funded = (uid: string) =>
        config.bots.some((b) => readAt(b) === uid && (before?.bots.has(b.botId) ?? false));
      const crash = drawn.has('rate_limit_storms') && c === STORM_CRASH_AT;
      if (crash) families.rate_limit_storms += 1;
      if (c > 0) moveBots(market, marketRng, crash);

      garbled =
        drawn.has('partial_balances') && uniform(rng) < 0.35 ? garble(market, rng, funded) : {};
      market.garble(garbled);
      if (Object.keys(garbled).length > 0) families.partial_balances += 1;
      const unknownBots = new Set(
        config.bots.filter((b) => garbled[readAt(b)] !== undefined).map((b) => b.botId),
      );
      for (const b of unknownBots) unknownInEpisode.add(b);
      // A slow cycle of the slot before, or the same slot delivered twice, alongside this one.
      const overlap =
        drawn.has('overlapping_cycles') && uniform(rng) < 0.35
          ? oneOf(rng, c > 0 ? [at, at - interval] : [at])
          : undefined;
      if (overlap !== undefined) families.overlapping_cycles += 1;
      loseStarts = drawn.has('stale_restarts') && uniform(rng) < 0.35;

      // A cycle that fails (an exchange read it could not make) is invoked again for the same
      // slot, as Lambda retries an asynchronous invocation; and sometimes a clean one is too.
      let entries: JournalEntry[] = [];
      /** A cycle of this slot read the exchange and planned (an outage can fail all three). */
      let ran = false;
      for (let attempt = 0; attempt < 3; attempt++) {
        setClock(at + attempt * MINUTE);
        if (attempt > 0) repeatedCycles += 1;
        const slots = attempt === 0 && overlap !== undefined ? [overlap, at] : [at];
        batch += 1;
        batchAt.set(batch, current());
        const outcomes = await Promise.allSettled(slots.map((s) => rt.cycle(new Date(s))));
        loseStarts = false;
        for (const o of outcomes) {
          if (o.status !== 'fulfilled') continue;
          ran = true;
          readings.push(o.value.state);
          entries.push(...o.value.entries);
          seen.push({
            cycleId: o.value.cycleId,
            decisions: o.value.plan.transfers,
            journaled: o.value.entries,
            unknownBots,
            held: new Set(o.value.held),
            batch,
            portfolioId: config.portfolioId,
            era: lifecycle?.era ?? 0,
          });
        }
        // Which batch journaled each entry (a failed cycle's entries too): the lifecycle's windows,
        // and a lower bound of when its decision's facts were read (a late run of an older slot
        // journals with the slot's time).
        const journal = await rt.store.journal.byStatus(config.portfolioId, TRANSFER_STATUSES);
        for (const e of journal) if (!batchOf.has(e.id)) batchOf.set(e.id, batch);
        const error = outcomes.find((o) => o.status === 'rejected')?.reason;
        if (error === undefined) {
          if (attempt > 0 || uniform(rng) >= 0.15) break;
          continue;
        }
        failedCycles += 1;
        await rt.workflow.drain();
        if (!(error instanceof BotfolioError)) throw error;
      }
      garbled = {};
      market.garble(garbled);
      entries = [...new Map(entries.map((e) => [e.id, e])).values()];
      if (entries.length > 0 && uniform(rng) < 0.3) {
        for (const e of entries) await rt.workflow.start(e);
        await rt.workflow.drain();
        duplicateStarts += entries.length;
      }
      // A lost start's bot moves across its trigger before the transfer is started again.
      const after = await load();
      for (const id of lostStarts) {
        const e = entries.find((x) => x.id === id);
        const C = e && after?.bots.get(e.botId)?.capitalBase;
        const uid = e && config.bots.find((b) => b.botId === e.botId)?.account;
        if (!e || C === undefined || uid === undefined) continue;
        if (e.kind === 'refill') market.trade(uid, C);
        else if (e.kind === 'harvest') market.trade(uid, mulRatio(C, HALF));
        else continue;
        families.stale_restarts += 1;
      }
      lostStarts.clear();

      // Partial readings never move the mode flags (DESIGN.md §3).
      const fundedUnknown = [...unknownBots].some((b) => before?.bots.has(b));
      if (
        fundedUnknown &&
        overlap === undefined &&
        before &&
        after &&
        changedModes(before, after)
      ) {
        flagsChanged += 1;
        problems.push(
          `mode flags changed on a partial reading in ${cycleIdFor(new Date(at), interval)}`,
        );
      }
      // Three cycles into a black swan, every bot worth protecting is protected (counting the
      // cycles that could run: during an outage nothing can move).
      if (after?.flags.blackSwan) {
        if (ran) episode.push(cycleIdFor(new Date(at), interval));
        if (ran && episode.length === 3) {
          unprotected += unprotectedBots(
            config,
            {
              state: after,
              episode,
              unknownInEpisode,
              readings,
              equityOf: (uid) => market.equityOf(uid),
              all: await rt.store.journal.byStatus(config.portfolioId, TRANSFER_STATUSES),
              applied: new Set(
                market
                  .books()
                  .transfers.filter((t) => t.applied > 0)
                  .map((t) => t.clientOid),
              ),
              since: episodeSince,
              now: current(),
              ...(lifecycle && { drifting: lifecycle.botsInDrift(episodeSince, current()) }),
            },
            problems,
          );
        }
      } else {
        episode = [];
        episodeSince = at;
        unknownInEpisode = new Set();
        readings = [];
      }

      // Reconciliation now and then; in a storm run at the deployed stack's pace (every 10 min).
      if (uniform(rng) < 0.35 || drawn.has('rate_limit_storms')) {
        setClock(at + 5 * MINUTE);
        try {
          await rt.reconcile();
        } catch (error) {
          await rt.workflow.drain();
          if (!(error instanceof BotfolioError)) throw error;
        }
        reconciliations += 1;
      }
    }
    // The storm is over: a reconciliation right after, then one once every workflow must be over.
    calm = true;
    market.calm();
    // The operator settles what is left (the exchange is calm now).
    setClock(at + 2 * MINUTE);
    const unsettled = (await lifecycle?.settleAll()) ?? 0;
    const end = Math.max(current(), at + config.checkIntervalMs);
    for (const at of [end, end + Math.max(STUCK_AFTER_MS, PLANNED_EXPIRY_MS) + SETTLE_DELAY_MS]) {
      setClock(at);
      await rt.reconcile();
      reconciliations += 1;
    }
    const groups = (await lifecycle?.journals()) ?? [
      await rt.store.journal.byStatus(config.portfolioId, TRANSFER_STATUSES),
    ];
    const all = groups.flat();
    opts.journal?.(all, config);
    const found = await checkInvariants({
      rt: { store: rt.store, exchange: market },
      config,
      all,
      mismatchAlerts,
      ...(lifecycle && { eras: groups }),
    });
    const family: FamilyFindings = {
      unknown_decisions: unknownDecisions(seen, problems),
      double_moves: doubleMoves(all, problems, (e) => batchAt.get(batchOf.get(e.id) ?? -1)),
      stale_moves: staleMoves(
        (e) => lifecycle?.configAt(Date.parse(e.createdAt)) ?? config,
        all,
        submissions,
        problems,
      ),
      // Each store by itself: lost books' ids may be taken again by the store after them.
      silent_drops: groups.reduce(
        (n, era, i) =>
          n +
          silentDrops(
            seen.filter((c) => (c.era ?? 0) === i),
            era,
            collisions,
            problems,
          ),
        0,
      ),
      unprotected,
    };
    const life = lifecycle ? lifecycle.findings(all, submissions, batchOf) : undefined;
    if (lifecycle) {
      families.lifecycle = lifecycle.injected;
      problems.push(...lifecycle.problems);
    }
    // Spelled out, not spread: the keys keep the order a replay's JSON has always shown.
    const count = (pred: (e: JournalEntry) => boolean) => all.filter(pred).length;
    return {
      run,
      seed,
      transfers: all.length,
      completed: count((e) => e.status === 'completed'),
      failed: count((e) => e.status === 'failed'),
      rejected: count((e) => e.status === 'rejected'),
      uncertain: count((e) => e.history.some((h) => h.status === 'uncertain')),
      duplicates: found.duplicates,
      lost: found.lost,
      mismatch: found.mismatch,
      unapplied: found.unapplied,
      unjournaled: found.unjournaled,
      violations: found.violations + flagsChanged,
      deaths,
      duplicateStarts,
      repeatedCycles,
      failedCycles,
      reconciliations,
      faults,
      surprises,
      families,
      ...family,
      lifecycle_events: lifecycle?.counts ?? {},
      drift_moves: life?.drift_moves ?? 0,
      double_funding: life?.double_funding ?? 0,
      unsettled,
      problems: [...found.problems, ...problems],
    };
  } finally {
    await rt.close();
    await venue.close();
  }
}

const HALF = ratio('0.5');

/** The flags or the peak moved between two states. */
const changedModes = (a: PortfolioState, b: PortfolioState): boolean =>
  a.flags.halted !== b.flags.halted ||
  a.flags.blackSwan !== b.flags.blackSwan ||
  a.peakEquity !== b.peakEquity;

/**
 * The accounts a balance answer garbles this slot: now and then all of them (an empty futures
 * list), else one to half of them; an absurd value only for a funded bot (an unfunded one has no
 * last balance to judge it by).
 */
function garble(
  venue: StormVenue,
  rng: Rng,
  funded: (uid: string) => boolean,
): Record<string, Garble> {
  const uids = venue.uids();
  const all = uniform(rng) < 0.15;
  const k = all ? uids.length : 1 + Math.floor(uniform(rng) * Math.max(1, uids.length / 2));
  const chosen = all ? uids : [...uids].sort(() => uniform(rng) - 0.5).slice(0, k);
  return Object.fromEntries(
    chosen.map((uid) => [
      uid,
      all
        ? 'absent'
        : oneOf(
            rng,
            GARBLES.filter((g) => g !== 'huge' || funded(uid)),
          ),
    ]),
  );
}

/**
 * One step of the market: most bots drift, some pump (harvests), some crash (refills), and now
 * and then the whole market crashes (black swan, the emergency stop).
 */
function moveBots(venue: StormVenue, rng: Rng, forceCrash = false): void {
  const crash = uniform(rng) < 0.08 || forceCrash;
  for (const uid of venue.uids()) {
    const u = uniform(rng);
    const n = standardNormal(rng);
    const own = u < 0.12 ? pick(rng, 1.3, 1.7) : u < 0.24 ? pick(rng, 0.08, 0.35) : 1 + 0.05 * n;
    const factor = Math.max(0, own * (crash ? 0.4 : 1));
    venue.trade(uid, moneyFromFloat(toFloat(venue.equityOf(uid)) * factor));
  }
}
