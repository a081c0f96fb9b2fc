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
import type { PaperExchange } from '../../adapters/paper/exchange.ts';
import {
  FAILURE_KINDS,
  type FaultOp,
  type FaultPlan,
  randomFaults,
} from '../../adapters/paper/faults.ts';
import { type Rng, seededRng, standardNormal, uniform } from '../../adapters/paper/rng.ts';
import { type Config, parseConfig } from '../../core/config.ts';
import { BotfolioError } from '../../core/errors.ts';
import { moneyFromFloat, toFloat } from '../../core/money.ts';
import { PLANNED_EXPIRY_MS, SETTLE_DELAY_MS, STUCK_AFTER_MS } from '../../core/settlement.ts';
import { type JournalEntry, TRANSFER_STATUSES } from '../../core/transfer.ts';
import type { EmbeddedDynamo } from '../dynamo.ts';
import { startLocalRuntime } from '../runtime.ts';
import type { DeathPoint, StateMachineDefinition } from '../workflow.ts';
import type { ChaosJob } from './campaign.ts';
import { checkInvariants, type Findings } from './invariants.ts';

/**
 * Where every run starts: a fixed time (results never depend on the wall clock), an hour before
 * midnight so that runs cross a day of the daily limit.
 */
const T0 = Date.parse('2026-01-05T23:00:00Z');
const MINUTE = 60_000;

/** What one run saw, and what it found wrong. */
export interface RunResult extends Findings {
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

/** The run's config: the base with its own portfolio id and, sometimes, tight limits. */
function runConfig(base: Record<string, unknown>, id: string, rng: Rng): Config {
  const copy = structuredClone(base) as Record<string, unknown> & {
    exchanges: Record<string, Record<string, unknown>>;
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
  }
  return parseConfig(copy);
}

/** Runs one portfolio through the storm and checks it. */
export async function chaosRun(opts: ChaosRunOptions, run: number): Promise<RunResult> {
  const seed = runSeed(opts.seed, run);
  const rng = seededRng(seed, 'campaign');
  const marketRng = seededRng(seed, 'market');
  const reaperRng = seededRng(seed, 'reaper');
  const config = runConfig(opts.base, `chaos-${opts.seed}-${run}`, rng);

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
  let exchange: PaperExchange | undefined;
  let surprises = 0;
  // A bot may trade away money between the guard's fresh read and the submit.
  const plan: FaultPlan = (op: FaultOp, ctx) => {
    if (op === 'transfer' && exchange && uniform(marketRng) < 0.06) {
      const uids = exchange.subAccountIds();
      const uid = uids[Math.floor(uniform(marketRng) * uids.length)];
      if (uid !== undefined) {
        const equity = toFloat(exchange.equityOf(uid));
        exchange.setSubAccountEquity(uid, moneyFromFloat(equity * pick(marketRng, 0.05, 0.6)));
        surprises += 1;
      }
    }
    const fault = storm(op, ctx);
    if (fault && fault.kind !== 'latency') faults[fault.kind] = (faults[fault.kind] ?? 0) + 1;
    return fault;
  };

  let calm = false;
  let deaths = 0;
  // Deaths mostly where they hurt: between submit and record.
  const reaper = (p: DeathPoint) => {
    const u = uniform(reaperRng);
    if (calm) return false;
    const risky =
      (p.when === 'after' && (p.state === 'Submit' || p.state === 'Confirm')) ||
      (p.when === 'before' && p.state === 'Apply');
    const dies = u < (risky ? 0.06 : 0.006);
    if (dies) deaths += 1;
    return dies;
  };

  let clock = new Date(T0);
  let mismatchAlerts = 0;
  const rt = await startLocalRuntime({
    config,
    seed,
    faults: plan,
    definition: opts.definition,
    dynamo: opts.dynamo,
    serial: true,
    reaper,
    dedupeClientOid: false,
    retryIntervalMs: 0,
    now: () => clock,
    onAlert: (a) => {
      if (a.code === 'reconciliation_mismatch') mismatchAlerts += 1;
    },
  });
  exchange = rt.exchange;
  let duplicateStarts = 0;
  let repeatedCycles = 0;
  let failedCycles = 0;
  let reconciliations = 0;
  try {
    const interval = config.checkIntervalMs;
    for (let c = 0; c < opts.cycles; c++) {
      const at = T0 + c * interval;
      if (c > 0) moveBots(rt.exchange, marketRng);
      // A cycle that fails (an exchange read it could not make) is invoked again for the same
      // slot, as Lambda retries an asynchronous invocation; and sometimes a clean one is too.
      let entries: readonly JournalEntry[] = [];
      for (let attempt = 0; attempt < 3; attempt++) {
        clock = new Date(at + attempt * MINUTE);
        if (attempt > 0) repeatedCycles += 1;
        try {
          entries = (await rt.cycle(clock)).entries;
          if (attempt > 0 || uniform(rng) >= 0.15) break;
        } catch (error) {
          failedCycles += 1;
          await rt.workflow.drain();
          if (!(error instanceof BotfolioError)) throw error;
        }
      }
      if (entries.length > 0 && uniform(rng) < 0.3) {
        for (const e of entries) await rt.workflow.start(e);
        await rt.workflow.drain();
        duplicateStarts += entries.length;
      }
      if (uniform(rng) < 0.35) {
        clock = new Date(at + 5 * MINUTE);
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
    rt.exchange.setFaults(undefined);
    const end = T0 + opts.cycles * interval;
    for (const at of [end, end + Math.max(STUCK_AFTER_MS, PLANNED_EXPIRY_MS) + SETTLE_DELAY_MS]) {
      clock = new Date(at);
      await rt.reconcile();
      reconciliations += 1;
    }
    const all = await rt.store.journal.byStatus(config.portfolioId, TRANSFER_STATUSES);
    opts.journal?.(all, config);
    const found = await checkInvariants({ rt, config, all, mismatchAlerts });
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
      violations: found.violations,
      deaths,
      duplicateStarts,
      repeatedCycles,
      failedCycles,
      reconciliations,
      faults,
      surprises,
      problems: found.problems,
    };
  } finally {
    await rt.close();
  }
}

/**
 * One step of the market: most bots drift, some pump (harvests), some crash (refills), and now
 * and then the whole market crashes (black swan, the emergency stop).
 */
function moveBots(exchange: PaperExchange, rng: Rng): void {
  const crash = uniform(rng) < 0.08;
  for (const uid of exchange.subAccountIds()) {
    const u = uniform(rng);
    const n = standardNormal(rng);
    const own = u < 0.12 ? pick(rng, 1.3, 1.7) : u < 0.24 ? pick(rng, 0.08, 0.35) : 1 + 0.05 * n;
    const factor = Math.max(0, own * (crash ? 0.4 : 1));
    exchange.setSubAccountEquity(uid, moneyFromFloat(toFloat(exchange.equityOf(uid)) * factor));
  }
}
