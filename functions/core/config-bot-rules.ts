/**
 * The semantic rules about each bot of a config (see config-rules.ts for the file-level ones): its
 * pool and exchange exist, its id and sub-account are its own, it has an allocation the exchange
 * can move, and a weight where the strategy needs one. The rules run bot by bot, in the order of
 * `BOT_RULES`, so a bot's problems are reported together.
 */
import { EMERGENCY_RESERVE } from './accounts.ts';
import type { LenientConfigFile } from './config-schema.ts';
import { floorToDecimals, type Money, showMoney } from './money.ts';
import type { Problem } from './problems.ts';

/** A bot of the config that parsed on its own. */
export type ReadableBot = NonNullable<NonNullable<LenientConfigFile['bots']>[number]>;
type Pool = NonNullable<NonNullable<LenientConfigFile['pools']>[string]>;
type Exchange = NonNullable<NonNullable<LenientConfigFile['exchanges']>[string]>;

/** A readable bot, with what the per-bot rules look up for it. */
export interface BotInFile {
  readonly bot: ReadableBot;
  readonly index: number;
  /** `bots[2]`: where its problems are reported. */
  readonly at: string;
  /** The file has a pool of that name (and it is not the emergency reserve's). */
  readonly poolKnown: boolean;
  /** Its pool, when known and readable. */
  readonly pool: Pool | undefined;
  /** Its exchange's settings, when the file lists that exchange and they are readable. */
  readonly exchange: Exchange | undefined;
  /** Its own `allocation`, else its pool's `allocation_per_bot`; undefined where unknown. */
  readonly allocation: Money | undefined;
}

/** One rule about one bot. */
export type BotRule = (b: BotInFile, f: LenientConfigFile) => Problem[];

/** A bot's pool is one of the file's pools. */
export const botPoolKnown: BotRule = ({ bot, at, poolKnown }, f) =>
  f.pools && !poolKnown
    ? [
        {
          path: `${at}.pool`,
          value: bot.pool,
          message: `unknown pool (pools: ${poolNames(f).join(', ') || 'none'})`,
        },
      ]
    : [];

/** A bot's exchange is one of the file's exchanges. */
export const botExchangeKnown: BotRule = ({ bot, at }, f) =>
  f.exchanges && !Object.hasOwn(f.exchanges, bot.exchange)
    ? [
        {
          path: `${at}.exchange`,
          value: bot.exchange,
          message: `unknown exchange (exchanges: ${Object.keys(f.exchanges).join(', ') || 'none'})`,
        },
      ]
    : [];

/** No two bots share a bot id; the later one is reported. */
export const botIdUnique: BotRule = ({ bot, index, at }, f) => {
  const first = firstBotWith(f, (o) => o.bot_id === bot.bot_id);
  return first < index
    ? [{ path: `${at}.bot_id`, value: bot.bot_id, message: `duplicate of bots[${first}].bot_id` }]
    : [];
};

/** No two bots share a sub-account on one exchange: a bot's balance is its sub-account's. */
export const botAccountUnique: BotRule = ({ bot, index, at }, f) => {
  const first = firstBotWith(f, (o) => accountKey(o) === accountKey(bot));
  return first < index
    ? [
        {
          path: `${at}.account`,
          value: bot.account,
          message: `the same sub-account as bots[${first}] (each bot needs its own)`,
        },
      ]
    : [];
};

/**
 * How each exchange names a sub-account, which a bot's `account` must be: Binance by email,
 * Bitget and Bybit by numeric UID (OKX names them freely). An account of the wrong kind would
 * never be found in the exchange's answers: the bot would stay unknown every cycle.
 */
const ACCOUNT_KINDS = new Map<string, { pattern: RegExp; expected: string }>(
  Object.entries({
    binance: {
      pattern: /^[^@\s]+@[^@\s]+\.[^@\s]+$/,
      expected: 'the sub-account’s email (Binance names sub-accounts by email)',
    },
    bitget: { pattern: /^\d+$/, expected: 'the sub-account’s numeric UID' },
    bybit: { pattern: /^\d+$/, expected: 'the sub-account’s numeric UID' },
  }),
);

/** A bot's `account` is the kind of name its exchange gives sub-accounts. */
export const botAccountOfItsExchange: BotRule = ({ bot, at }) => {
  const kind = ACCOUNT_KINDS.get(bot.exchange);
  return kind && !kind.pattern.test(bot.account)
    ? [{ path: `${at}.account`, value: bot.account, message: `expected ${kind.expected}` }]
    : [];
};

/** A bot in a readable pool has an allocation: its own or the pool's allocation_per_bot. */
export const botHasAllocation: BotRule = ({ bot, at, pool, allocation }) =>
  pool && allocation === undefined
    ? [
        {
          path: `${at}.allocation`,
          message: `required: the bot has no allocation and pool "${bot.pool}" has no allocation_per_bot`,
        },
      ]
    : [];

/** A bot's allocation, at its exchange's precision, is at least the exchange's min_transfer. */
export const botAllocationMovable: BotRule = ({ bot, at, exchange, allocation }) => {
  if (allocation === undefined || !exchange) return [];
  const movable = floorToDecimals(allocation, exchange.precision);
  if (movable >= exchange.min_transfer) return [];
  return [
    {
      // Reported where the amount is written, so the bots sharing a pool's amount share one problem.
      path:
        bot.allocation === undefined ? `pools.${bot.pool}.allocation_per_bot` : `${at}.allocation`,
      value: showMoney(allocation),
      message: `below exchanges.${bot.exchange}.min_transfer ${showMoney(exchange.min_transfer)} (at its precision of ${exchange.precision} decimals): bot "${bot.bot_id}" could never be funded`,
    },
  ];
};

/**
 * A bot's allocation fits in one transfer (≤ the exchange's max_transfer). An allocation is all
 * or nothing (policy-rules.ts), so a larger one would either never be made or be capped into a
 * capital base the trader did not ask for: it is refused here, where it can be fixed (raise
 * max_transfer, or lower the allocation), rather than split into several transfers that could
 * half-complete.
 */
export const botAllocationFitsOneTransfer: BotRule = ({ bot, at, exchange, allocation }) => {
  if (allocation === undefined || !exchange || allocation <= exchange.max_transfer) return [];
  return [
    {
      path:
        bot.allocation === undefined ? `pools.${bot.pool}.allocation_per_bot` : `${at}.allocation`,
      value: showMoney(allocation),
      message: `above exchanges.${bot.exchange}.max_transfer ${showMoney(exchange.max_transfer)}: bot "${bot.bot_id}" is funded in one transfer (raise max_transfer or lower the allocation)`,
    },
  ];
};

/** Under the fixed_percentage strategy, every bot has a weight. */
export const botHasWeight: BotRule = ({ bot, at }, f) =>
  f.allocation?.strategy === 'fixed_percentage' && bot.weight === undefined
    ? [{ path: `${at}.weight`, message: 'required: allocation.strategy is fixed_percentage' }]
    : [];

/** The per-bot rules, in the order each bot's problems are reported. */
export const BOT_RULES: readonly BotRule[] = [
  botPoolKnown,
  botExchangeKnown,
  botIdUnique,
  botAccountUnique,
  botAccountOfItsExchange,
  botHasAllocation,
  botAllocationMovable,
  botAllocationFitsOneTransfer,
  botHasWeight,
];

/** Every per-bot rule's problems, bot by bot; unreadable bots are left to the schema. */
export function botProblems(f: LenientConfigFile): Problem[] {
  return (f.bots ?? []).flatMap((bot, i) => {
    if (!bot) return [];
    const b = botInFile(f, bot, i);
    return BOT_RULES.flatMap((rule) => rule(b, f));
  });
}

/** A bot's allocation: its own, else its known pool's allocation_per_bot; undefined where unknown. */
export function allocationOf(f: LenientConfigFile, bot: ReadableBot): Money | undefined {
  const pool = isPoolName(f, bot.pool) ? f.pools?.[bot.pool] : undefined;
  return bot.allocation ?? pool?.allocation_per_bot;
}

function botInFile(f: LenientConfigFile, bot: ReadableBot, index: number): BotInFile {
  const exchanges = f.exchanges ?? {};
  const poolKnown = isPoolName(f, bot.pool);
  return {
    bot,
    index,
    at: `bots[${index}]`,
    poolKnown,
    pool: poolKnown ? f.pools?.[bot.pool] : undefined,
    exchange: Object.hasOwn(exchanges, bot.exchange) ? exchanges[bot.exchange] : undefined,
    allocation: allocationOf(f, bot),
  };
}

function isPoolName(f: LenientConfigFile, name: string): boolean {
  return Object.hasOwn(f.pools ?? {}, name) && name !== EMERGENCY_RESERVE;
}

function poolNames(f: LenientConfigFile): string[] {
  return Object.keys(f.pools ?? {}).filter((n) => n !== EMERGENCY_RESERVE);
}

const accountKey = (b: ReadableBot) => `${b.exchange}:${b.account}`;

/** The index of the first readable bot that matches (−1 for none). */
function firstBotWith(f: LenientConfigFile, match: (b: ReadableBot) => boolean): number {
  return (f.bots ?? []).findIndex((b) => b !== undefined && match(b));
}
