/**
 * The portfolio's state in the `state` table, read back into a `PortfolioState`
 * (portfolio-state.ts writes it): decoding only, no client, so a reader of the store's own files
 * (the CLI's `status`, functions/local/store-file.ts) decodes it exactly as the store does without
 * loading the SDK.
 *
 * The state is items that do not grow with the fleet (DESIGN.md §7):
 * - the header (`sk` = "state"): `as_of`, `cycle_id`, `peak_equity`, the flags, `last_rebalance`,
 *   the opening, reconciliation's hold, per reserve `reserve:<name>`, `capital:<name>` and
 *   `hold:<name>`, the ledger's `applying` and `ledger_epoch`, and `protect_episode` (the number
 *   of the black-swan episode under way);
 * - one item per bot (`sk` = "bot#<id>"): `balance` (with `balance_at`, the cycle that read it),
 *   `capital_base`, `contributed`, `harvested`, `protected`, `refills`, `refill_blocked`, the
 *   binding (`account`, `pool`, `exchange`), `confirmed` (an operator's confirmed balance),
 *   `protected_in` (the episode its last protect completed in), `retired` (the account a retired
 *   bot sat in) and the ledger's own `applying` and `ledger_epoch` for the bot.
 * A bot is funded when its item has `capital_base`.
 *
 * Books written before this layout kept every bot's fields on the header as `bot:<id>:<field>`,
 * `confirmed:<id>` and `retired:<id>` (and `protected_episode`, a set of bot ids):
 * `legacyBotItems` reads them as bot items, so such books decode the same, and the store moves
 * them to their own items (layout.ts) before it writes anything else.
 */
import type { Money } from '../../core/money.ts';
import { ZERO } from '../../core/money.ts';
import type {
  BalanceConfirmation,
  BotState,
  Opening,
  PortfolioState,
  ReserveHoldFlag,
} from '../../core/state.ts';
import type { BotBinding } from '../../core/transfer.ts';
import {
  BINDING_PARTS,
  type BotField,
  botAttribute,
  CONFIRMED,
  capitalOfAttribute,
  type Item,
  PEAK_FLOWS,
  PEAK_FLOWS_SEEN,
  RETIRED,
  readBoolean,
  readCount,
  readMoney,
  readOptionalInteger,
  readOptionalMoney,
  readOptionalString,
  readString,
  readStringSet,
  reserveOfAttribute,
} from './codec.ts';
import { MalformedItemError } from './errors.ts';

export const STATE_SK = 'state';
export const stateKey = (portfolioId: string) => ({ pk: portfolioId, sk: STATE_SK });

/** The range keys of bot items start with this. */
export const BOT_SK_PREFIX = 'bot#';
export const botItemKey = (portfolioId: string, botId: string) => ({
  pk: portfolioId,
  sk: `${BOT_SK_PREFIX}${botId}`,
});
export const botOfSortKey = (sk: unknown): string | undefined =>
  typeof sk === 'string' && sk.startsWith(BOT_SK_PREFIX)
    ? sk.slice(BOT_SK_PREFIX.length)
    : undefined;

/** The header's map of the opening layout. */
export const OPENING = 'opening';
/** The header's map of reconciliation's hold on the reserves. */
export const RESERVE_HOLD = 'reserve_hold';
/** When the halt in force began (ISO); removed by `resume`. */
export const HALTED_AT = 'halted_at';
/** The header's number of the black-swan episode under way (a cycle starting one adds 1). */
export const PROTECT_EPISODE = 'protect_episode';
/** A bot item's episode its last completed protect belongs to. */
export const PROTECTED_IN = 'protected_in';
/** The cycle (`as_of`) whose reading a bot item's `balance` is. */
export const BALANCE_AT = 'balance_at';
/** The header's layout mark: 2 once every bot's fields live on the bot's own item. */
export const LAYOUT = 'layout';
export const LAYOUT_VERSION = 2n;

function mapAt(where: string, item: Item, attribute: string): Item | undefined {
  const v = item[attribute];
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null) {
    throw new MalformedItemError(where, attribute, v, 'a map');
  }
  return v as Item;
}

function openingFromItem(where: string, item: Item): Opening | undefined {
  const map = mapAt(where, item, OPENING);
  if (map === undefined) return undefined;
  const at = `${where} ${OPENING}`;
  const reserves = mapAt(at, map, 'reserves') ?? {};
  const verifiedAt = readOptionalString(at, map, 'verified_at');
  return {
    at: readString(at, map, 'at'),
    totalCapital: readMoney(at, map, 'total_capital'),
    reserves: new Map(Object.keys(reserves).map((k) => [k, readMoney(at, reserves, k)])),
    ...(verifiedAt !== undefined && { verifiedAt }),
  };
}

function reserveHoldFromItem(where: string, item: Item): ReserveHoldFlag | undefined {
  const map = mapAt(where, item, RESERVE_HOLD);
  if (map === undefined) return undefined;
  const at = `${where} ${RESERVE_HOLD}`;
  return { at: readString(at, map, 'at'), why: readString(at, map, 'why') };
}

function bindingFromItem(where: string, item: Item): BotBinding | undefined {
  const [account, pool, exchange] = BINDING_PARTS.map((p) => readOptionalString(where, item, p));
  return account !== undefined && pool !== undefined && exchange !== undefined
    ? { account, pool, exchange }
    : undefined;
}

function confirmationFromItem(where: string, item: Item): BalanceConfirmation | undefined {
  const map = mapAt(where, item, CONFIRMED);
  if (map === undefined) return undefined;
  const at = `${where} ${CONFIRMED}`;
  return {
    balance: readMoney(at, map, 'balance'),
    at: readString(at, map, 'at'),
    reason: readString(at, map, 'reason'),
    by: readString(at, map, 'by'),
  };
}

/** A funded bot's books from its item. `inFlight` is false: the cycle derives it from the journal. */
function botFromItem(where: string, item: Item): BotState {
  const money = (field: BotField) => readOptionalMoney(where, item, botAttribute(field)) ?? ZERO;
  const refills = botAttribute('refills');
  const binding = bindingFromItem(where, item);
  return {
    ...(binding && { binding }),
    balance: money('balance'),
    capitalBase: money('capitalBase'),
    contributed: money('contributed'),
    harvested: money('harvested'),
    protected: money('protected'),
    refills: item[refills] === undefined ? 0 : readCount(where, item, refills),
    refillBlocked: readBoolean(where, item, botAttribute('refillBlocked'), false),
    inFlight: false,
  };
}

/** The state from its header and its bot items (any order; items of other kinds are ignored). */
export function stateFromItems(
  portfolioId: string,
  header: Item,
  botItems: readonly Item[],
): PortfolioState {
  const where = `state of ${portfolioId}`;
  const reserves = new Map<string, Money>();
  const capital = new Map<string, Money>();
  for (const attribute of Object.keys(header)) {
    const reserve = reserveOfAttribute(attribute);
    if (reserve !== undefined) reserves.set(reserve, readMoney(where, header, attribute));
    const booked = capitalOfAttribute(attribute);
    if (booked !== undefined) capital.set(booked, readMoney(where, header, attribute));
  }
  const episode = readOptionalInteger(where, header, PROTECT_EPISODE) ?? 0n;
  const items = new Map<string, Item>();
  for (const item of [...legacyBotItems(portfolioId, header), ...botItems]) {
    const botId = botOfSortKey(item.sk);
    if (botId !== undefined) items.set(botId, item);
  }
  const bots = new Map<string, BotState>();
  const retired = new Map<string, string>();
  const protectedThisEpisode = new Set<string>();
  const confirmedBalances = new Map<string, BalanceConfirmation>();
  for (const botId of [...items.keys()].sort()) {
    const item = items.get(botId) as Item;
    const at = `${where} bot ${botId}`;
    const gone = readOptionalString(at, item, RETIRED);
    if (gone !== undefined) retired.set(botId, gone);
    if (readOptionalInteger(at, item, PROTECTED_IN) === episode) protectedThisEpisode.add(botId);
    const confirmed = confirmationFromItem(at, item);
    if (confirmed) confirmedBalances.set(botId, confirmed);
    if (item[botAttribute('capitalBase')] !== undefined) bots.set(botId, botFromItem(at, item));
  }
  const lastRebalance = readOptionalString(where, header, 'last_rebalance');
  const opening = openingFromItem(where, header);
  const peak = readOptionalMoney(where, header, 'peak_equity') ?? ZERO;
  const flows = readOptionalMoney(where, header, PEAK_FLOWS) ?? ZERO;
  const reserveHold = reserveHoldFromItem(where, header);
  const halted = readBoolean(where, header, 'halted', false);
  const haltedAt = readOptionalString(where, header, HALTED_AT);
  return {
    asOf: readString(where, header, 'as_of'),
    peakEquity: (peak +
      flows -
      (readOptionalMoney(where, header, PEAK_FLOWS_SEEN) ?? ZERO)) as Money,
    ...(header[PEAK_FLOWS] !== undefined && { peakFlows: flows }),
    flags: {
      halted,
      blackSwan: readBoolean(where, header, 'black_swan', false),
    },
    reserves,
    bots,
    ...(lastRebalance !== undefined && { lastRebalance }),
    ...(protectedThisEpisode.size > 0 && { protectedThisEpisode }),
    ...(confirmedBalances.size > 0 && { confirmedBalances }),
    // The layout counts only from a recorded opening (older books get one at their next cycle).
    ...(opening && { opening, capital }),
    ...(retired.size > 0 && { retired }),
    ...(reserveHold && { reserveHold }),
    ...(halted && haltedAt !== undefined && { haltedAt }),
  };
}

// ── books written before bot items ─────────────────────────────────────────────────────────────

const LEGACY_FIELDS: Readonly<Record<string, string>> = {
  balance: 'balance',
  capital_base: 'capital_base',
  contributed: 'contributed',
  harvested: 'harvested',
  protected: 'protected',
  refills: 'refills',
  refill_blocked: 'refill_blocked',
  account: 'account',
  pool: 'pool',
  exchange: 'exchange',
};
/** The header's set of bots protected in the episode under way, before bot items. */
export const LEGACY_PROTECTED_EPISODE = 'protected_episode';

/** A legacy header attribute of a bot: the bot and the bot item's attribute it becomes. */
export function legacyBotAttribute(
  attribute: string,
): { botId: string; field: string } | undefined {
  if (attribute.startsWith('confirmed:')) {
    return { botId: attribute.slice('confirmed:'.length), field: CONFIRMED };
  }
  if (attribute.startsWith('retired:')) {
    return { botId: attribute.slice('retired:'.length), field: RETIRED };
  }
  const m = /^bot:(.+):([a-z_]+)$/.exec(attribute);
  const field = m?.[2] === undefined ? undefined : LEGACY_FIELDS[m[2]];
  return m?.[1] !== undefined && field !== undefined ? { botId: m[1], field } : undefined;
}

/**
 * The bot items a legacy header holds (none for a header of this layout): each bot's fields, and
 * `protected_in` for the bots of `protected_episode`, in the header's episode.
 */
export function legacyBotItems(portfolioId: string, header: Item): Item[] {
  const items = new Map<string, Item>();
  const of = (botId: string): Item => {
    let item = items.get(botId);
    if (!item) {
      item = botItemKey(portfolioId, botId);
      items.set(botId, item);
    }
    return item;
  };
  for (const [attribute, value] of Object.entries(header)) {
    const legacy = legacyBotAttribute(attribute);
    if (legacy) of(legacy.botId)[legacy.field] = value;
  }
  const where = `state of ${portfolioId}`;
  const episode = readOptionalInteger(where, header, PROTECT_EPISODE) ?? 0n;
  for (const botId of readStringSet(where, header, LEGACY_PROTECTED_EPISODE)) {
    of(botId)[PROTECTED_IN] = episode;
  }
  return [...items.values()];
}
