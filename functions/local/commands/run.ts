/**
 * `botfolio run`: the monitoring loop on one machine, with the local store, against the paper
 * exchange or a real one (Bitget, Binance, OKX, Bybit: key from the environment or `.env`). One cycle per
 * `monitoring.check_interval`, the same use cases and state machine as the Lambdas.
 *
 * `--dry-run` plans and prints, and moves nothing: it reads the balances the cycle would read and
 * shows the transfers and alerts the policy would produce, without writing the journal or
 * starting a transfer. Ctrl+C lets the current cycle finish (no transfer is left half-recorded)
 * and exits; a second Ctrl+C quits at once.
 *
 * While it runs, other terminals work on the same data folder: the commands on the books through
 * the store it serves, those that need the exchange (`reconcile`) through its control endpoint,
 * taking turns with the cycles (live.ts, control.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { styleText } from 'node:util';
import { channelEnvNames } from '../../adapters/channels/secrets.ts';
import { type RealExchange, realExchange } from '../../adapters/exchanges.ts';
import {
  type ExchangeKey,
  keyEnvNames,
  keyFromEnv,
  needsPassphrase,
  withDotEnv,
} from '../../adapters/secrets.ts';
import { type Alert, announcesTransfer } from '../../core/alerts.ts';
import type { Config } from '../../core/config.ts';
import { formatDuration } from '../../core/duration.ts';
import { AuthenticationFailedError } from '../../core/errors.ts';
import { sum } from '../../core/money.ts';
import { type Plan, portfolioEquity } from '../../core/policy.ts';
import type { Exchange } from '../../core/ports.ts';
import { withCircuitBreaker } from '../../usecases/breaker.ts';
import { cycleIdFor } from '../../usecases/cycle.ts';
import { decideCycle, previewState, readCycleFacts } from '../../usecases/cycle-input.ts';
import { renderAlert, showAmount } from '../board.ts';
import type { RunExchange } from '../choices.ts';
import { type ControlServer, oneAtATime, startControlServer } from '../control.ts';
import { UserFileError } from '../files.ts';
import { dataDirOf } from '../local-store.ts';
import { type LocalRuntime, startLocalRuntime } from '../runtime.ts';
import { onStopSignal } from '../stop-signal.ts';
import { LOOP_COMMANDS } from './loop-commands.ts';

export { RUN_EXCHANGES, type RunExchange } from '../choices.ts';

export interface RunOptions {
  readonly config: Config;
  /** The file `config` was read from (a `custom` strategy's module is found from it). */
  readonly configFile?: string;
  readonly exchange: RunExchange;
  /** The local data folder. @default `.local/<portfolio id>` */
  readonly dataDir?: string;
  /** Plan and print; record nothing, move nothing. */
  readonly dryRun: boolean;
  /** Stop after this many cycles. @default run until Ctrl+C */
  readonly cycles?: number;
  /** Pause between cycles. @default the config's check interval */
  readonly intervalMs?: number;
  /** Where the key is read. @default the process environment over `.env` */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The named exchange's API URL (tests point it at a fake server). @default the exchange's */
  readonly apiUrl?: string;
  /** Bitget's API URL, for `--exchange bitget`; `apiUrl` wins. @default Bitget's */
  readonly bitgetApiUrl?: string;
  /** Stops the loop like Ctrl+C. */
  readonly signal?: AbortSignal;
  /** @default the wall clock */
  readonly now?: () => Date;
  /** @default stdout */
  readonly out?: (line: string) => void;
}

/** Runs the loop; resolves to the exit code. */
export async function run(opts: RunOptions): Promise<number> {
  const { config } = opts;
  const intervalMs = opts.intervalMs ?? config.checkIntervalMs;
  const print = opts.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = opts.now ?? (() => new Date());
  const venue = opts.exchange === 'paper' ? undefined : opts.exchange;
  const key = venue === undefined ? undefined : venueKey(venue, config, opts);
  const apiUrl = opts.apiUrl ?? (venue === 'bitget' ? opts.bitgetApiUrl : undefined);
  const adapter =
    venue &&
    key &&
    (await realExchange(venue, config, {
      key: async () => key,
      ...(apiUrl !== undefined && { apiUrl }),
    }));

  const alerts: Alert[] = [];
  // The alert channels' secrets, from where the exchange key is read.
  const channelEnv =
    config.alertChannels.length > 0 ? (opts.env ?? withDotEnv(process.env)) : undefined;
  const runtime = await startLocalRuntime({
    config,
    ...(opts.configFile !== undefined && { configFile: opts.configFile }),
    dataDir: dataDirOf(config, opts.dataDir),
    holder: 'botfolio run',
    now,
    onAlert: (a) => alerts.push(a),
    ...(channelEnv && { channelEnv }),
    ...(venue &&
      adapter && {
        exchanges: ({ alerter, breakers }) =>
          new Map<string, Exchange>([
            [
              venue,
              withCircuitBreaker(adapter, {
                store: breakers,
                alerter,
                portfolioId: config.portfolioId,
              }),
            ],
          ]),
      }),
  });

  // Cycles and other processes' commands take turns on the runtime.
  const exclusive = oneAtATime();
  let control: ControlServer | undefined;
  try {
    control = await serveControl(runtime, exclusive);
  } catch (error) {
    await runtime.close();
    throw error;
  }

  const stop = onStopSignal(print);
  const onAbort = () => stop.stop();
  opts.signal?.addEventListener('abort', onAbort);

  print(
    `botfolio run — portfolio ${config.portfolioId} on ${opts.exchange}${opts.dryRun ? ' (dry run: nothing is recorded, nothing moves)' : ''}, a cycle every ${formatDuration(intervalMs)}`,
  );
  if (channelEnv) for (const line of channelLines(config, channelEnv)) print(line);
  let failures = 0;
  try {
    for (let i = 1; !stop.stopping && (opts.cycles === undefined || i <= opts.cycles); i++) {
      alerts.length = 0;
      try {
        await exclusive(async () => {
          if (opts.dryRun) await previewCycle(runtime, now(), print);
          else {
            if (opts.exchange === 'paper') runtime.trade();
            await liveCycle(runtime, now(), print);
          }
        });
      } catch (error) {
        // One failed cycle is not the end of the loop: the next one reads everything afresh.
        failures++;
        print(
          styleText(
            'red',
            `  cycle failed: ${error instanceof Error ? error.message : String(error)}`,
          ),
        );
      }
      for (const a of alerts) print(renderAlert(a));
      const last = opts.cycles !== undefined && i >= opts.cycles;
      if (!last && !stop.stopping) {
        const next = new Date(now().getTime() + intervalMs);
        print(
          styleText(
            'dim',
            `  next cycle at ${next.toISOString().slice(0, 19).replace('T', ' ')} UTC (in ${formatDuration(intervalMs)}); Ctrl+C stops`,
          ),
        );
        await sleep(intervalMs, undefined, { signal: stop.signal }).catch(() => {});
      }
    }
  } finally {
    stop.dispose();
    opts.signal?.removeEventListener('abort', onAbort);
    // Commands already sent are answered; then nobody else uses the runtime.
    await control?.close();
    await runtime.close();
  }
  return stop.exitCode(failures === 0 ? 0 : 1);
}

/** The control endpoint, announced in the folder's live.json; undefined in memory. */
async function serveControl(
  runtime: LocalRuntime,
  exclusive: ReturnType<typeof oneAtATime>,
): Promise<ControlServer | undefined> {
  const { folder } = runtime;
  if (!folder) return undefined;
  const server = await startControlServer({
    token: folder.token,
    commands: LOOP_COMMANDS,
    execute: (command, args) => exclusive(() => command.run(runtime, args)),
  });
  folder.announceControl(server.url);
  return server;
}

/** Where alerts also go, and the channels whose secret is not set (their alerts fail until it is). */
function channelLines(config: Config, env: Readonly<Record<string, string | undefined>>): string[] {
  const lines = [
    `  alerts also to ${config.alertChannels.map((c) => `${c.name} (${c.minSeverity} and above)`).join(', ')}`,
  ];
  for (const c of config.alertChannels) {
    const unset = channelEnvNames(c).filter((name) => !env[name]);
    if (unset.length > 0) {
      lines.push(
        styleText(
          'yellow',
          `  alert channel ${c.name}: set ${unset.join(' and ')} in the environment or .env (README, "Alert channels"); its alerts fail until then`,
        ),
      );
    }
  }
  return lines;
}

const VENUE_NAMES: Readonly<Record<RealExchange, string>> = {
  bitget: 'Bitget',
  binance: 'Binance',
  okx: 'OKX',
  bybit: 'Bybit',
};

/**
 * The key for `--exchange NAME`, or a message saying what to set. A config with bots on another
 * exchange is refused, saying what would change: those bots would be read and moved on NAME.
 */
function venueKey(venue: RealExchange, config: Config, opts: RunOptions): ExchangeKey {
  const elsewhere = config.bots.filter((b) => b.exchange !== venue);
  const others = [...config.exchanges.keys()].filter((e) => e !== venue);
  if (!config.exchanges.has(venue) || others.length > 0 || elsewhere.length > 0) {
    const named = [...new Set(elsewhere.map((b) => b.exchange))].join(', ') || others.join(', ');
    const bots = elsewhere.map((b) => b.botId);
    throw new UserFileError(
      `--exchange ${venue} runs a config whose only exchange is ${venue}; this one names ${named}${bots.length > 0 ? ` for ${bots.join(', ')}` : ''}. Running it on ${venue} would read and move ${bots.length > 0 ? 'those bots’ money' : 'its money'} on ${venue} instead: change their "exchange" (and "exchanges") to ${venue} if that is meant, or run without --exchange (the paper exchange stands in for every exchange)`,
    );
  }
  const env = opts.env ?? withDotEnv(process.env);
  let key: ExchangeKey | undefined;
  try {
    key = keyFromEnv(venue, env);
  } catch (error) {
    if (error instanceof AuthenticationFailedError) throw new UserFileError(error.message);
    throw error;
  }
  if (!key) {
    const { apiKey, secret, passphrase } = keyEnvNames(venue);
    const names = needsPassphrase(venue)
      ? `${apiKey}, ${secret} and ${passphrase}`
      : `${apiKey} and ${secret}`;
    throw new UserFileError(
      `no ${VENUE_NAMES[venue]} key: set ${names} in the environment or in .env (README, "${VENUE_NAMES[venue]}")`,
    );
  }
  return key;
}

/** One real cycle: journal, transfers through the state machine, then what happened. */
async function liveCycle(runtime: LocalRuntime, at: Date, print: (line: string) => void) {
  const result = await runtime.cycle(at);
  const books = await runtime.store.portfolio.load(runtime.config.portfolioId);
  const equity = books ? portfolioEquity(books) : result.equity;
  print(
    `cycle ${result.cycleId}: mode ${result.plan.mode}, equity ${showAmount(equity)} ${runtime.config.currency}, ${result.entries.length} transfer(s)`,
  );
  for (const e of result.entries) {
    const entry = await runtime.store.journal.get(e.id);
    print(
      `  ${e.kind.padEnd(10)} ${showAmount(e.amount).padStart(12)} ${e.from} → ${e.to}: ${entry?.status ?? 'planned'}${entry?.error ? ` (${entry.error})` : ''}`,
    );
  }
}

/**
 * What a cycle would do now, and nothing else: the balances it would read, the transfers and
 * alerts the policy would produce from them and the bots' history. Reads the store and the
 * exchange; writes neither.
 */
export async function previewCycle(
  runtime: LocalRuntime,
  at: Date,
  print: (line: string) => void,
): Promise<Plan> {
  const { config } = runtime;
  const asOf = at.toISOString();
  const stored = await previewState({ config, ...runtime.store }, asOf);
  const { inFlight, balances, masters, health } = await readCycleFacts(
    {
      config,
      ...runtime.store,
      exchanges: runtime.exchanges,
      freqtrade: runtime.freqtrade,
      now: () => at,
    },
    stored,
  );

  const lines: string[] = [];
  for (const [name, exchange] of runtime.exchanges) {
    const bots = config.bots.filter((b) => b.exchange === name);
    if (bots.length === 0) continue;
    const master = await exchange.masterBalance(config.currency);
    const venue = exchange.name === name ? name : `${name} (${exchange.name})`;
    lines.push(
      `  ${venue} master account: ${showAmount(master)} ${config.currency} available; reserves in the books: ${showAmount(sum(stored.reserves.values()))}`,
    );
    for (const b of bots) {
      const balance = balances.get(b.botId);
      lines.push(
        `  ${b.botId.padEnd(24)} sub-account ${b.account}: ${balance === undefined ? 'not funded yet' : balance.known ? `${showAmount(balance.balance)} ${config.currency}` : `unknown (${balance.reason})`}`,
      );
    }
  }
  const { state, plan: decided } = await decideCycle(
    { config, performance: runtime.store.performance, customWeights: runtime.customWeights },
    { stored, balances, inFlight, asOf, ...(masters && { masters }), health: health.health },
  );
  print(
    `dry run — cycle ${cycleIdFor(at, config.checkIntervalMs)}: mode ${decided.mode}, equity ${showAmount(portfolioEquity(state))} ${config.currency} (nothing recorded, nothing moved)`,
  );
  for (const line of lines) print(line);
  if (decided.transfers.length === 0) print('  would move nothing');
  for (const t of decided.transfers) {
    print(
      `  would ${t.kind.padEnd(10)} ${showAmount(t.amount).padStart(12)} ${t.from} → ${t.to}  (${t.reason})`,
    );
  }
  for (const a of decided.alerts.filter((a) => !announcesTransfer(a)))
    print(`  would alert ${renderAlert(a).trimStart()}`);
  return decided;
}
