/**
 * The fault campaign (issue 4's contract): independent randomized portfolios, each on the
 * embedded store and the paper exchange, with the synthesized state machine run in-process,
 * through several cycles of random bot moves and random faults, then a final reconciliation, then
 * checked against the paper exchange's own books. Everything random comes from the seed (the
 * executions run one at a time, in order), so a seed replays exactly; nothing here reads the wall
 * clock.
 *
 * What is injected, per run: exchange faults (rate limits, outages, timeouts before and after a
 * transfer took effect, insufficient funds, authentication failures), bots that lose money between
 * the guard's fresh read and the submit, executions that die at a step (most often between submit
 * and record), duplicate starts of an execution, the same cycle run twice, and reconciliations in
 * the middle of it all. The paper exchange does not deduplicate clientOids in the campaign: a
 * transfer applied twice is the workflow's fault, and counted.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PaperExchange } from '../adapters/paper/exchange.ts';
import {
  FAILURE_KINDS,
  type FaultOp,
  type FaultPlan,
  randomFaults,
} from '../adapters/paper/faults.ts';
import { type Rng, seededRng, standardNormal, uniform } from '../adapters/paper/rng.ts';
import { type Config, type ExchangeName, parseConfig } from '../core/config.ts';
import { BotfolioError } from '../core/errors.ts';
import { add, type Money, moneyFromFloat, showMoney, toFloat, ZERO } from '../core/money.ts';
import { isTerminal, type JournalEntry, TRANSFER_STATUSES } from '../core/transfer.ts';
import {
  PLANNED_EXPIRY_MS,
  rebuildLedger,
  SETTLE_DELAY_MS,
  STUCK_AFTER_MS,
} from '../usecases/reconcile.ts';
import { checkBooks } from './books.ts';
import { synthesizeTransferDefinition } from './definition.ts';
import { type EmbeddedDynamo, startEmbeddedDynamo } from './dynamo.ts';
import { startLocalRuntime } from './runtime.ts';
import type { DeathPoint, StateMachineDefinition } from './workflow.ts';

/**
 * Where every run starts: a fixed time (results never depend on the wall clock), an hour before
 * midnight so that runs cross a day of the daily limit.
 */
const T0 = Date.parse('2026-01-05T23:00:00Z');
const MINUTE = 60_000;

/** What one run saw, and what it found wrong. */
export interface RunResult {
  readonly run: number;
  readonly seed: number;
  readonly transfers: number;
  readonly completed: number;
  readonly failed: number;
  readonly rejected: number;
  /** Transfers whose outcome was unknown at some point (they passed through `uncertain`). */
  readonly uncertain: number;
  /** clientOids the exchange applied more than once. */
  readonly duplicates: number;
  /** Transfers with no final status after the final reconciliation. */
  readonly lost: number;
  /** Accounts where the journal and the exchange's books (or the projection) differ at all. */
  readonly mismatch: number;
  /** Completed transfers whose deltas never reached the ledger. */
  readonly unapplied: number;
  /** Transfers the exchange applied that the journal does not show completed. */
  readonly unjournaled: number;
  /** Broken guards: a reserve below its floor, a day over its limit, a lock or hold left behind. */
  readonly violations: number;
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
  /** What went wrong, in words (empty when the run is clean). */
  readonly problems: readonly string[];
}

/** A campaign, or a worker's share of it. */
export interface ChaosJob {
  /** The config every run starts from (raw JSON; each run gets its own portfolio id and limits). */
  readonly base: Record<string, unknown>;
  readonly seed: number;
  /** Cycles per run. */
  readonly cycles: number;
  /** The runs (their indices in the campaign) to run. */
  readonly runs: readonly number[];
}

export interface ChaosRunOptions extends Omit<ChaosJob, 'runs'> {
  readonly definition: StateMachineDefinition;
  readonly dynamo: EmbeddedDynamo;
  /** Receives the run's whole journal at the end (a replay shows it). */
  readonly journal?: (entries: readonly JournalEntry[], config: Config) => void;
}

/**
 * Runs the job's runs, in `workers` processes (each with its own store and definition; 1: in
 * this process), and reports each result as it comes. The results do not depend on `workers`.
 */
export async function runCampaign(
  job: ChaosJob,
  opts: {
    workers: number;
    onResult?: (r: RunResult) => void;
    journal?: ChaosRunOptions['journal'];
  },
): Promise<RunResult[]> {
  const results: RunResult[] = [];
  const take = (r: RunResult) => {
    results.push(r);
    opts.onResult?.(r);
  };
  if (opts.workers <= 1) {
    const definition = synthesizeTransferDefinition();
    const dynamo = await startEmbeddedDynamo();
    try {
      for (const run of job.runs) {
        take(await chaosRun({ ...job, definition, dynamo, journal: opts.journal }, run));
      }
    } finally {
      await dynamo.close();
    }
  } else {
    const shares = Array.from({ length: opts.workers }, (_, w) =>
      job.runs.filter((_, i) => i % opts.workers === w),
    ).filter((runs) => runs.length > 0);
    await Promise.all(shares.map((runs) => inWorker({ ...job, runs }, take)));
  }
  return results.sort((a, b) => a.run - b.run);
}

const WORKER = fileURLToPath(new URL('./chaos-worker.ts', import.meta.url));

/** One worker process over its share; rejects if it dies before sending every result. */
function inWorker(job: ChaosJob, take: (r: RunResult) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    // The same Node and loader flags (tsx) as this process, so the worker runs the same code.
    const child = fork(WORKER, [], { execArgv: process.execArgv, stdio: 'inherit' });
    let received = 0;
    child.on('message', (m: { result: RunResult }) => {
      received += 1;
      take(m.result);
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      received === job.runs.length
        ? resolve()
        : reject(
            new Error(`a chaos worker exited (${code}) after ${received}/${job.runs.length} runs`),
          ),
    );
    child.send(job);
  });
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
  const problems: string[] = [];

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
      (p.when === 'after' && (p.state === 'SubmitTransfer' || p.state === 'VerifyOnExchange')) ||
      (p.when === 'before' && p.state === 'RecordCompleted');
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
    return await examine();
  } finally {
    await rt.close();
  }

  async function examine(): Promise<RunResult> {
    const pid = config.portfolioId;
    const all = await rt.store.byStatus(pid, TRANSFER_STATUSES);
    opts.journal?.(all, config);
    const count = (pred: (e: JournalEntry) => boolean) => all.filter(pred).length;
    const lost = all.filter((e) => !isTerminal(e.status));
    for (const e of lost) problems.push(`lost: ${e.id} (${e.kind} ${e.botId}) left ${e.status}`);
    const unapplied = await rt.store.completedUnapplied(pid);
    for (const e of unapplied) problems.push(`unapplied: ${e.id} completed, not in the ledger`);

    const books = await checkBooks(rt.store, rt.exchange, config);
    problems.push(...books.mismatches);
    const mismatched = new Set(books.mismatched);
    const rebuild = await rebuildLedger(
      { config, journal: rt.store, state: rt.store },
      { replace: false },
    );
    for (const d of rebuild.differences) {
      mismatched.add(d.field.startsWith('bot:') ? (d.field.split(':')[1] ?? d.field) : 'master');
      problems.push(`projection ${d.field} is ${d.projection}, the journal says ${d.journal}`);
    }
    if (mismatchAlerts > 0) {
      problems.push(`reconciliation raised reconciliation_mismatch ${mismatchAlerts} time(s)`);
    }

    const violations = await guardViolations(all);
    problems.push(...violations);
    return {
      run,
      seed,
      transfers: all.length,
      completed: count((e) => e.status === 'completed'),
      failed: count((e) => e.status === 'failed'),
      rejected: count((e) => e.status === 'rejected'),
      uncertain: count((e) => e.history.some((h) => h.status === 'uncertain')),
      duplicates: books.duplicates.length,
      lost: lost.length,
      mismatch: mismatched.size,
      unapplied: unapplied.length,
      unjournaled: books.unjournaled.length,
      violations: violations.length,
      deaths,
      duplicateStarts,
      repeatedCycles,
      failedCycles,
      reconciliations,
      faults,
      surprises,
      problems,
    };
  }

  async function guardViolations(all: readonly JournalEntry[]): Promise<string[]> {
    const out: string[] = [];
    const pid = config.portfolioId;
    const state = await rt.store.load(pid);
    for (const [name, amount] of state?.reserves ?? []) {
      const floor = name === 'emergency' ? config.emergencyReserve.minimum : ZERO;
      if (amount < floor)
        out.push(`reserve:${name} at ${showMoney(amount)}, below ${showMoney(floor)}`);
    }
    const days = new Map<string, { exchange: string; total: Money }>();
    for (const e of all.filter((x) => x.status === 'completed')) {
      const key = `${e.exchange} ${e.createdAt.slice(0, 10)}`;
      const day = days.get(key) ?? { exchange: e.exchange, total: ZERO };
      days.set(key, { ...day, total: add(day.total, e.amount) });
    }
    for (const [key, { exchange, total }] of days) {
      const limit = config.exchanges.get(exchange as ExchangeName)?.dailyTransferLimit;
      if (limit !== undefined && total > limit) {
        out.push(`${key}: ${showMoney(total)} moved, over the daily limit ${showMoney(limit)}`);
      }
    }
    const locks = await rt.store.lockHolders(pid);
    for (const [bot, owner] of locks) out.push(`lock of ${bot} left held by ${owner}`);
    const marks = await rt.store.ledgerMarks(pid);
    for (const id of marks.holding) out.push(`reserve hold left by ${id}`);
    for (const id of marks.applying) out.push(`apply of ${id} left half done`);
    return out;
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

const SUMMED = [
  'transfers',
  'completed',
  'failed',
  'rejected',
  'uncertain',
  'duplicates',
  'lost',
  'mismatch',
  'unapplied',
  'unjournaled',
  'violations',
  'deaths',
  'duplicateStarts',
  'repeatedCycles',
  'failedCycles',
  'reconciliations',
  'surprises',
] as const satisfies readonly (keyof RunResult)[];

/** The campaign's totals: the sums of its runs, and the runs that found something wrong. */
export type ChaosSummary = {
  readonly runs: number;
  readonly seed: number;
  readonly cycles: number;
  readonly faults: Readonly<Record<string, number>>;
  /** The first runs with a problem (at most 20): replay one with `--run N`. */
  readonly failures: readonly { run: number; seed: number; problems: readonly string[] }[];
} & Pick<RunResult, (typeof SUMMED)[number]>;

export function summarize(
  results: readonly RunResult[],
  campaign: { seed: number; cycles: number },
): ChaosSummary {
  const sorted = [...results].sort((a, b) => a.run - b.run);
  const totals = Object.fromEntries(
    SUMMED.map((k) => [k, sorted.reduce((n, r) => n + r[k], 0)]),
  ) as Record<(typeof SUMMED)[number], number>;
  const faults: Record<string, number> = {};
  for (const r of sorted) {
    for (const [k, v] of Object.entries(r.faults)) faults[k] = (faults[k] ?? 0) + v;
  }
  return {
    runs: sorted.length,
    seed: campaign.seed,
    cycles: campaign.cycles,
    ...totals,
    faults,
    failures: sorted
      .filter((r) => r.problems.length > 0)
      .slice(0, 20)
      .map((r) => ({ run: r.run, seed: r.seed, problems: r.problems.slice(0, 10) })),
  };
}

/** The campaign holds: nothing doubled, nothing lost, no account off, nothing else broken. */
export const holds = (s: ChaosSummary): boolean =>
  s.duplicates === 0 &&
  s.lost === 0 &&
  s.mismatch === 0 &&
  s.unapplied === 0 &&
  s.unjournaled === 0 &&
  s.violations === 0 &&
  s.failures.length === 0;
