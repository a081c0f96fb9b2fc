/**
 * `botfolio demo`: the whole product on embedded defaults. Simulated bots trade on the paper
 * exchange, each accelerated cycle reads their equity, plans, journals and runs the transfers
 * through the synthesized state machine, and a status board shows where the money is. It ends by
 * itself with a summary — including a check that the journal's books agree with the exchange's.
 * The simulated bots push heartbeats and carry positions (demo-fleet.ts): one falls silent part
 * way, goes stale, and gets no money until it beats again; the board shows the exposure.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { styleText } from 'node:util';
import type { Alert } from '../../core/alerts.ts';
import type { Config } from '../../core/config.ts';
import type { PoolCorrelation } from '../../core/correlation.ts';
import { showTimes } from '../../core/exposure.ts';
import { formatMoney, type Money, sum } from '../../core/money.ts';
import { portfolioEquity } from '../../core/policy.ts';
import { type JournalEntry, OPEN_STATUSES, TRANSFER_STATUSES } from '../../core/transfer.ts';
import { exchangeOfAccount, exchangeOfReserve, hasVenues } from '../../core/venues.ts';
import { readPoolCorrelations } from '../../usecases/correlation.ts';
import type { CycleResult } from '../../usecases/cycle.ts';
import {
  type BoardInput,
  boardJson,
  type LastAction,
  renderAlert,
  renderBoard,
  showAmount,
} from '../board.ts';
import { demoFleet, demoSilence, monitoredConfig, type SilentStretch } from '../demo-fleet.ts';
import { boardOutputFor, liveBoard } from '../live-board.ts';
import { auditAgainstPaper } from '../paper-audit.ts';
import { startLocalRuntime } from '../runtime.ts';
import { onStopSignal } from '../stop-signal.ts';

export interface DemoOptions {
  readonly config: Config;
  /** The file `config` was read from (a `custom` strategy's module is found from it). */
  readonly configFile?: string;
  readonly cycles: number;
  readonly seed: number;
  /** One line per cycle instead of the board. */
  readonly quiet: boolean;
  /** Pause between cycles, so a person can follow. */
  readonly delayMs: number;
  readonly out?: (line: string) => void;
  /**
   * The simulated bot that stops sending heartbeats, and when (false: none).
   * @default the last enabled bot, from half way to three quarters of the run (demo-fleet.ts)
   */
  readonly silence?: SilentStretch | false;
}

const SYMBOL: Record<string, string> = {
  completed: '✓',
  failed: '✗',
  rejected: '⊘',
  uncertain: '?',
};

/** Runs the demo; resolves to the process exit code (0 when the books agree). */
export async function demo(opts: DemoOptions): Promise<number> {
  // The demo's bots are monitored: it sends their heartbeats (demo-fleet.ts).
  const config = monitoredConfig(opts.config);
  const silence =
    opts.silence === false ? undefined : (opts.silence ?? demoSilence(config, opts.cycles));
  const print = opts.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const start = new Date(Math.floor(Date.now() / config.checkIntervalMs) * config.checkIntervalMs);
  let clock = start;
  const cycleAlerts: Alert[] = [];
  const runtime = await startLocalRuntime({
    config,
    ...(opts.configFile !== undefined && { configFile: opts.configFile }),
    seed: opts.seed,
    now: () => clock,
    onAlert: (a) => cycleAlerts.push(a),
  });

  const stop = onStopSignal(print);
  const fleet = demoFleet(config, runtime.store.heartbeats, runtime.exchange, silence);
  // Correlation rests on complete UTC days: computed again only when the day changes.
  let correlations: { day: string; pools: PoolCorrelation[] } | undefined;
  const staleCycles: number[] = [];
  const intoSilent: string[] = [];

  const lastAction = new Map<string, LastAction>();
  // --quiet: one line per cycle even on a terminal; a pipe gets those lines anyway
  const output = opts.quiet
    ? 'lines'
    : boardOutputFor(false, opts.out === undefined && process.stdout.isTTY === true);
  const board = liveBoard(output, print);
  let cyclesRun = 0;
  let firstEquity: Money | undefined;
  try {
    for (let i = 1; i <= opts.cycles && !stop.stopping; i++) {
      if (i > 1) runtime.trade();
      clock = new Date(start.getTime() + (i - 1) * config.checkIntervalMs);
      cycleAlerts.length = 0;
      await fleet.beat(clock, i);
      const result = await runtime.cycle(clock);
      cyclesRun = i;
      firstEquity ??= result.equity;
      for (const planned of result.entries) {
        const entry = await runtime.store.journal.get(planned.id);
        const status = entry?.status ?? 'planned';
        lastAction.set(planned.botId, {
          kind: planned.kind,
          amount: planned.amount,
          status: `${SYMBOL[status] ?? ''} ${status}`.trim(),
          at: planned.createdAt,
        });
      }
      if (silence && result.plan.health.get(silence.botId)?.status === 'stale') {
        staleCycles.push(i);
        for (const e of result.entries)
          if (e.botId === silence.botId && e.to === e.botId) intoSilent.push(`${e.kind} ${e.id}`);
      }
      const day = clock.toISOString().slice(0, 10);
      if (correlations?.day !== day) {
        correlations = {
          day,
          pools: await readPoolCorrelations(config, runtime.store.performance, clock.toISOString()),
        };
      }
      const books = await runtime.store.portfolio.load(config.portfolioId);
      if (!books) throw new Error('the portfolio state vanished');
      const equity = portfolioEquity(books);
      const moves = result.entries
        .map((e) => `${e.kind} ${e.botId} ${formatMoney(e.amount, 2)}`)
        .join(', ');
      const input: BoardInput = {
        config,
        state: books,
        cycleId: result.cycleId,
        cycleNumber: i,
        mode: result.plan.mode,
        equity,
        peakEquity: result.plan.peakEquity,
        lastAction,
        inFlight: await runtime.store.journal.byStatus(config.portfolioId, OPEN_STATUSES),
        alerts: [...cycleAlerts],
        ...([...result.plan.health.values()].some((h) => h.status !== 'not_monitored') && {
          health: result.plan.health,
        }),
        risk: result.risk,
        correlations: correlations.pools,
        ...(i < opts.cycles && {
          nextCycleAt: new Date(clock.getTime() + config.checkIntervalMs).toISOString(),
        }),
      };
      board.update({
        board: renderBoard(input),
        line: [
          `cycle ${String(i).padStart(3)} ${result.cycleId} ${result.plan.mode} equity ${showAmount(equity)}${riskLine(result)}${moves ? ` — ${moves}` : ''}`,
          ...cycleAlerts.map(renderAlert),
        ].join('\n'),
        json: boardJson(input),
      });
      if (opts.delayMs > 0 && i < opts.cycles && output === 'redraw') await sleep(opts.delayMs);
    }
    board.done();

    const all = await runtime.store.journal.byStatus(config.portfolioId, TRANSFER_STATUSES);
    const count = (pred: (e: (typeof all)[number]) => boolean) => all.filter(pred).length;
    const total = (kind: string) =>
      formatMoney(
        sum(all.filter((e) => e.kind === kind && e.status === 'completed').map((e) => e.amount)),
        2,
      );
    if (cyclesRun === 0) {
      print(styleText('bold', `Demo summary — no cycle run, seed ${opts.seed}: nothing moved`));
      return stop.exitCode(0);
    }
    const check = await auditAgainstPaper(runtime.store, runtime.exchange, config);
    const books = await runtime.store.portfolio.load(config.portfolioId);
    const endEquity = books ? portfolioEquity(books) : undefined;

    print(styleText('bold', `Demo summary — ${cyclesRun} cycle(s), seed ${opts.seed}`));
    print(
      `  equity           ${firstEquity === undefined ? '—' : formatMoney(firstEquity, 2)} → ${endEquity === undefined ? '—' : formatMoney(endEquity, 2)} ${config.currency}`,
    );
    print(
      `  transfers        ${all.length} journaled: ${[
        'completed',
        'failed',
        'rejected',
        'uncertain',
        'planned',
      ]
        .map((s) => `${count((e) => e.status === s)} ${s}`)
        .join(', ')}`,
    );
    print(
      `  by kind          ${['allocation', 'harvest', 'refill', 'protect', 'rebalance']
        .map((k) => `${count((e) => e.kind === k && e.status === 'completed')} ${k}`)
        .join(', ')}`,
    );
    print(
      `  harvested        ${total('harvest')} ${config.currency}; refilled ${total('refill')} ${config.currency}`,
    );
    if (silence) {
      print(
        `  health           ${silence.botId} sent no heartbeat in cycles ${silence.from}–${silence.to}: judged stale in ${staleCycles.length === 0 ? 'none' : `cycles ${staleCycles.join(', ')}`}; ${intoSilent.length === 0 ? 'no money went into it meanwhile' : styleText('red', `money went into it meanwhile: ${intoSilent.join(', ')}`)}`,
      );
    }
    const venues = hasVenues(config) ? venuesLine(config, all, books?.reserves) : undefined;
    if (venues) print(venues.ok ? venues.text : styleText('red', venues.text));
    print(
      check.agree
        ? styleText(
            'green',
            `  books            the journal's books agree with the exchange (${check.accounts} accounts)`,
          )
        : styleText(
            'red',
            `  books            MISMATCH:\n${check.mismatches.map((m) => `    ${m}`).join('\n')}`,
          ),
    );
    return stop.exitCode(check.agree && intoSilent.length === 0 && venues?.ok !== false ? 0 : 1);
  } finally {
    stop.dispose();
    await runtime.close();
  }
}

/**
 * With several exchanges (DESIGN.md §5): how many transfers moved on each, the reserves each
 * master holds in the books, and whether any transfer had its ends on two exchanges (never).
 */
function venuesLine(
  config: Config,
  all: readonly JournalEntry[],
  reserves: ReadonlyMap<string, Money> | undefined,
): { text: string; ok: boolean } {
  const crossed = all.filter((e) => {
    const from = exchangeOfAccount(config, e.from);
    const to = exchangeOfAccount(config, e.to);
    return from !== undefined && to !== undefined && (from !== to || from !== e.exchange);
  });
  const each = [...config.exchanges.keys()].map((x) => {
    const moved = all.filter((e) => e.exchange === x && e.status === 'completed').length;
    const held = [...(reserves ?? [])].filter(
      ([name]) => (exchangeOfReserve(config, name) ?? config.primaryExchange) === x,
    );
    return `${x}: ${moved} moved, reserves ${held.map(([name, m]) => `${name} ${formatMoney(m, 2)}`).join(', ') || 'none'}`;
  });
  const verdict =
    crossed.length === 0
      ? 'no transfer between exchanges'
      : `${crossed.length} transfer(s) between exchanges: ${crossed.map((e) => e.id).join(', ')}`;
  return { text: `  exchanges        ${each.join('; ')} — ${verdict}`, ok: crossed.length === 0 };
}

/** A cycle's line's health and exposure: ` · stale 15m_momentum_eth · exposure 2.05×`. */
function riskLine(result: CycleResult): string {
  const notRunning = [...result.plan.health]
    .filter(([, h]) => h.status !== 'running' && h.status !== 'not_monitored')
    .map(([id, h]) => `${h.status} ${id}`);
  const e = result.risk.exposure;
  const exposure =
    e.ratio === undefined
      ? ''
      : ` · exposure ${e.unknownBots.length > 0 ? '≥ ' : ''}${showTimes(e.ratio)}`;
  return `${notRunning.map((t) => ` · ${t}`).join('')}${exposure}`;
}
