/**
 * The coordinated stop (DESIGN.md §11; core/pause.ts): on entering `halted` with
 * `emergency_stop.pause_bots` on, every configured bot is asked to pause through its control API —
 * at most PAUSE_CONCURRENCY at once, each within its own deadline and all within
 * PAUSE_DEADLINE_MS, so no bot that hangs holds the halt back longer — and what each answered is
 * journaled as one `pause_bots` operation. The cycle (when the stop trips) and `botfolio halt`
 * (the operator's) both run it; neither is ever failed by it.
 *
 * Readings where DESIGN.md leaves a choice:
 * - Every configured bot is asked, disabled ones too: Botfolio leaves a disabled bot's money
 *   alone, but the bot may still trade, and the stop is about the whole portfolio's risk (black
 *   swan protects a disabled bot's money for the same reason).
 * - A bot without a control API is journaled as `no_control_api`: the alert and `resume` name it,
 *   for the operator to stop and restart by hand.
 */
import type { Config } from '../core/config.ts';
import {
  type BotPause,
  controlTargetOf,
  PAUSE_CONCURRENCY,
  PAUSE_DEADLINE_MS,
  type PauseAnswer,
  pauseEntry,
} from '../core/pause.ts';
import type { Journal, LedgerStore } from '../core/store-ports.ts';
import type { JournalEntry } from '../core/transfer.ts';

export interface PauseDeps {
  readonly config: Config;
  readonly journal: Pick<Journal, 'putOperation'>;
  readonly ledger: Pick<LedgerStore, 'applyCompleted'>;
  /** Asks one bot's control API; without it a bot with one is not asked (`no_answer`). */
  readonly pauseBot?: BotPause;
}

/** One coordinated stop: the answers, and whether the journal has them. */
export interface CoordinatedStop {
  readonly answers: readonly PauseAnswer[];
  /** The `pause_bots` entry, as this stop made it. */
  readonly entry: JournalEntry;
  /** False when the journal held its id already (a retried cycle): nothing was written twice. */
  readonly journaled: boolean;
  /** Why the entry could not be written, if it could not (the stop itself still happened). */
  readonly journalError?: string;
}

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Asks every configured bot to pause, in the config's order: at most `concurrency` at once, and
 * none answered after `deadlineMs` in all (those are `no_answer`). Never throws.
 */
export async function askToPause(
  config: Pick<Config, 'bots'>,
  pauseBot: BotPause | undefined,
  opts: { readonly deadlineMs?: number; readonly concurrency?: number } = {},
): Promise<PauseAnswer[]> {
  const deadlineMs = opts.deadlineMs ?? PAUSE_DEADLINE_MS;
  const answers: PauseAnswer[] = config.bots.map((b) =>
    controlTargetOf(b)
      ? pauseBot
        ? { botId: b.botId, outcome: 'no_answer', detail: `not answered within ${deadlineMs} ms` }
        : { botId: b.botId, outcome: 'no_answer', detail: 'not asked: no control API client here' }
      : { botId: b.botId, outcome: 'no_control_api', detail: 'no control API configured' },
  );
  if (!pauseBot) return answers;
  const asked = config.bots.flatMap((b, i) => {
    const target = controlTargetOf(b);
    return target ? [{ i, botId: b.botId, target }] : [];
  });
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((ok) => {
    timer = setTimeout(ok, deadlineMs);
  });
  let next = 0;
  let over = false;
  const worker = async () => {
    while (!over && next < asked.length) {
      const one = asked[next++];
      if (!one) break;
      const answer = await pauseBot(one.target).catch(
        (error: unknown): Omit<PauseAnswer, 'botId'> => ({
          outcome: 'no_answer',
          detail: reasonOf(error),
        }),
      );
      answers[one.i] = { botId: one.botId, ...answer };
    }
  };
  const width = Math.min(opts.concurrency ?? PAUSE_CONCURRENCY, asked.length);
  const workers = Array.from({ length: width }, worker);
  await Promise.race([Promise.all(workers), expired]);
  over = true;
  clearTimeout(timer);
  // A copy: an answer coming after the deadline changes nothing already said.
  return answers.map((a) => ({ ...a }));
}

/**
 * Asks the bots to pause and journals their answers as one `pause_bots` operation (id from
 * `cycleId`), applied to the ledger like any completed operation (it changes nothing there). A
 * journal that cannot be written is reported in `journalError`, never thrown: the halt must not
 * wait on it.
 */
export async function coordinatedStop(
  deps: PauseDeps,
  ctx: {
    readonly cycleId: string;
    /** When halted was entered (ISO): the entry's time. */
    readonly now: string;
    readonly why: string;
    readonly by: string;
  },
  opts: { readonly deadlineMs?: number } = {},
): Promise<CoordinatedStop> {
  const { config } = deps;
  const answers = await askToPause(config, deps.pauseBot, opts);
  const entry = pauseEntry(answers, {
    portfolioId: config.portfolioId,
    cycleId: ctx.cycleId,
    exchange: [...config.exchanges.keys()][0] ?? 'none',
    now: ctx.now,
    why: ctx.why,
    by: ctx.by,
  });
  try {
    const journaled = await deps.journal.putOperation(entry);
    // Idempotent: an entry a retried cycle finds journaled is applied if it was not yet.
    await deps.ledger.applyCompleted(entry);
    return { answers, entry, journaled };
  } catch (error) {
    return { answers, entry, journaled: false, journalError: reasonOf(error) };
  }
}
