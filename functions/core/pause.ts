/**
 * The coordinated stop (DESIGN.md §11, the launcher's coordinated shutdown): when the portfolio
 * enters `halted` — the emergency stop tripping in a cycle, or an operator's `botfolio halt` — and
 * `emergency_stop.pause_bots` is on, every bot with a control API (today: `health.freqtrade`) is
 * asked to stop entering trades. What each bot answered is journaled as one `pause_bots`
 * operation (the journal of the capital operations: `botfolio transfers` shows it), which is what
 * `botfolio resume` reads to name the bots to restart by hand.
 *
 * Pure: the answers come in from the edge (adapters/freqtrade-api.ts asks); this module says what
 * they mean, how they read, and the journal entry that records them.
 */
import { OUTSIDE_ACCOUNT } from './accounts.ts';
import type { Config } from './config.ts';
import type { FreqtradeTarget } from './health.ts';
import { ZERO } from './money.ts';
import { type JournalEntry, plannedEntry } from './transfer.ts';

/** How long one bot's control API may take to log in and pause (the health pull's deadline). */
export const PAUSE_TIMEOUT_MS = 2_000;
/** Bots asked at once. */
export const PAUSE_CONCURRENCY = 16;
/**
 * The whole stop's deadline: a bot not answered by then (more bots hanging than asked at once)
 * is "no answer". Entering `halted` waits for the pause at most this long.
 */
export const PAUSE_DEADLINE_MS = 2 * PAUSE_TIMEOUT_MS;

export const PAUSE_OUTCOMES = ['paused', 'refused', 'no_answer', 'no_control_api'] as const;
/**
 * What became of one bot: `paused` (its API accepted), `refused` (it answered an HTTP error: the
 * status says which), `no_answer` (down, too slow, or not asked: the detail says), or
 * `no_control_api` (nothing Botfolio can ask: pause it by hand).
 */
export type PauseOutcome = (typeof PAUSE_OUTCOMES)[number];

/** Each outcome in the trader's words. */
export const OUTCOME_WORDS: Readonly<Record<PauseOutcome, string>> = {
  paused: 'paused',
  refused: 'refused',
  no_answer: 'no answer',
  no_control_api: 'no control API',
};

/** One bot's answer to the pause. */
export interface PauseAnswer {
  readonly botId: string;
  readonly outcome: PauseOutcome;
  /** The HTTP status of a refusal. */
  readonly status?: number;
  /** What it said, or why there is no answer, in the trader's words. */
  readonly detail: string;
}

/** Asks one bot's control API to stop entering trades, within its deadline. Never throws. */
export type BotPause = (target: FreqtradeTarget) => Promise<Omit<PauseAnswer, 'botId'>>;

/**
 * The subject (`botId`) of a `pause_bots` journal entry: about the whole fleet, so it is not a
 * bot id (a bot id has no `*`) and `transfers --bot '*'` lists the pauses alone.
 */
export const FLEET = '*';

/** A bot's control API, if it has one: today its Freqtrade API (`health.freqtrade`). */
export const controlTargetOf = (bot: {
  readonly health?: { readonly freqtrade?: FreqtradeTarget | undefined } | undefined;
}): FreqtradeTarget | undefined => bot.health?.freqtrade;

/** The coordinated stop is on for this config. */
export const pausesBots = (config: Pick<Config, 'emergencyStop'>): boolean =>
  config.emergencyStop?.pauseBots === true;

/** "refused (HTTP 401: …)", "no answer (…)", "no control API". */
function outcomeText(a: PauseAnswer): string {
  switch (a.outcome) {
    case 'paused':
      return 'paused';
    case 'refused':
      return `refused (${a.detail})`;
    case 'no_answer':
      return `no answer (${a.detail})`;
    case 'no_control_api':
      return 'no control API';
  }
}

/**
 * The answers on one line: "2 of 4 bots paused (a, b); not paused: c refused (HTTP 401 …),
 * d no control API — stop it by hand".
 */
export function pauseSummary(answers: readonly PauseAnswer[]): string {
  const paused = answers.filter((a) => a.outcome === 'paused').map((a) => a.botId);
  const others = answers.filter((a) => a.outcome !== 'paused');
  const head = `${paused.length} of ${answers.length} bot${answers.length === 1 ? '' : 's'} paused${paused.length > 0 ? ` (${paused.join(', ')})` : ''}`;
  if (others.length === 0) return head;
  const rest = others.map((a) => `${a.botId} ${outcomeText(a)}`).join(', ');
  return `${head}; ${others.length} not paused: ${rest} — stop ${others.length === 1 ? 'it' : 'them'} by hand`;
}

/** The answers counted, in a table cell: "2 paused, 1 refused, 1 no control API". */
export function pauseCounts(answers: readonly PauseAnswer[]): string {
  const counts = PAUSE_OUTCOMES.map(
    (o) => [o, answers.filter((a) => a.outcome === o).length] as const,
  ).filter(([, n]) => n > 0);
  if (counts.length === 0) return 'no bot';
  return counts.map(([o, n]) => `${n} ${OUTCOME_WORDS[o]}`).join(', ');
}

/** What `botfolio resume` tells the operator to do by hand after a coordinated stop. */
export interface ToRestart {
  /** Paused by Botfolio: restart each (Freqtrade: `/reload_config`, or `/start` where it pauses). */
  readonly paused: readonly string[];
  /** No control API: stopped by hand, if at all, so restarted by hand. */
  readonly byHand: readonly string[];
  /** Did not answer the pause: it may have paused — check each. */
  readonly unsure: readonly string[];
}

export function toRestart(answers: readonly PauseAnswer[]): ToRestart {
  const of = (o: PauseOutcome) => answers.filter((a) => a.outcome === o).map((a) => a.botId);
  return { paused: of('paused'), byHand: of('no_control_api'), unsure: of('no_answer') };
}

/** The lines `resume` prints about them (none when there is nothing to do). */
export function restartLines(r: ToRestart): string[] {
  return [
    ...(r.paused.length > 0
      ? [
          `restart by hand, paused by the coordinated stop: ${r.paused.join(', ')} (Freqtrade: \`POST /api/v1/reload_config\`, or \`/start\` where stopentry pauses the bot; the same in its Telegram or FreqUI)`,
        ]
      : []),
    ...(r.byHand.length > 0
      ? [`restart by hand if you stopped them, no control API: ${r.byHand.join(', ')}`]
      : []),
    ...(r.unsure.length > 0
      ? [`check, they did not answer the pause and may be paused: ${r.unsure.join(', ')}`]
      : []),
  ];
}

/**
 * The journal entry of one coordinated stop: a `pause_bots` operation, `completed` at once (it
 * moves no money and changes no books), with each bot's answer. Its id comes from the portfolio
 * and `cycleId` (the cycle's slot, or the operator's `op-…`), so a retried cycle journals it once.
 */
export function pauseEntry(
  answers: readonly PauseAnswer[],
  ctx: {
    readonly portfolioId: string;
    readonly cycleId: string;
    /** The config's first exchange: the entry has to name one, and moves nothing on it. */
    readonly exchange: string;
    readonly now: string;
    /** What entered halted: "the emergency stop (…)", "an operator's halt". */
    readonly why: string;
    /** Who: the OS user of an operator's halt, `botfolio` for the cycle's stop. */
    readonly by: string;
  },
): JournalEntry {
  const summary = pauseSummary(answers);
  const planned = plannedEntry(
    {
      kind: 'pause_bots',
      botId: FLEET,
      from: OUTSIDE_ACCOUNT,
      to: OUTSIDE_ACCOUNT,
      amount: ZERO,
      reason: `${ctx.why}: ${summary}`,
      leg: 0,
    },
    {
      portfolioId: ctx.portfolioId,
      cycleId: ctx.cycleId,
      exchange: ctx.exchange,
      now: ctx.now,
    },
  );
  return {
    ...planned,
    operation: { by: ctx.by, pauses: answers },
    status: 'completed',
    history: [{ status: 'completed', at: ctx.now, note: summary }],
  };
}
