/**
 * The portfolio's state item read back into a `PortfolioState` (portfolio-state.ts writes it):
 * decoding only, no client, so a reader of the store's own files (the CLI's `status`,
 * functions/local/store-file.ts) decodes it exactly as the store does without loading the SDK.
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
  type BotField,
  bindingAttribute,
  botAttribute,
  capitalOfAttribute,
  confirmedBotOfAttribute,
  fundedBotOfAttribute,
  type Item,
  PEAK_FLOWS,
  PEAK_FLOWS_SEEN,
  readBoolean,
  readCount,
  readMoney,
  readOptionalMoney,
  readOptionalString,
  readString,
  readStringSet,
  reserveOfAttribute,
  retiredOfAttribute,
} from './codec.ts';
import { MalformedItemError } from './errors.ts';

export const STATE_SK = 'state';
/** The string set of bots whose protect of the black-swan episode under way completed. */
export const PROTECTED_EPISODE = 'protected_episode';
export const stateKey = (portfolioId: string) => ({ pk: portfolioId, sk: STATE_SK });

/** The state item's map of the opening layout. */
export const OPENING = 'opening';
/** The state item's map of reconciliation's hold on the reserves. */
export const RESERVE_HOLD = 'reserve_hold';
/** When the halt in force began (ISO); removed by `resume`. */
export const HALTED_AT = 'halted_at';
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

function bindingFromItem(where: string, item: Item, botId: string): BotBinding | undefined {
  const account = readOptionalString(where, item, bindingAttribute(botId, 'account'));
  const pool = readOptionalString(where, item, bindingAttribute(botId, 'pool'));
  const exchange = readOptionalString(where, item, bindingAttribute(botId, 'exchange'));
  return account !== undefined && pool !== undefined && exchange !== undefined
    ? { account, pool, exchange }
    : undefined;
}

/** Rebuilds the state from the flat item. `inFlight` is false: the cycle derives it from the journal. */
export function stateFromItem(portfolioId: string, item: Item): PortfolioState {
  const where = `state of ${portfolioId}`;
  const reserves = new Map<string, Money>();
  const botIds = new Set<string>();
  const capital = new Map<string, Money>();
  const retired = new Map<string, string>();
  for (const attribute of Object.keys(item)) {
    const reserve = reserveOfAttribute(attribute);
    if (reserve !== undefined) reserves.set(reserve, readMoney(where, item, attribute));
    const booked = capitalOfAttribute(attribute);
    if (booked !== undefined) capital.set(booked, readMoney(where, item, attribute));
    const gone = retiredOfAttribute(attribute);
    if (gone !== undefined) retired.set(gone, readString(where, item, attribute));
    const funded = fundedBotOfAttribute(attribute);
    if (funded !== undefined) botIds.add(funded);
  }
  const bots = new Map<string, BotState>();
  for (const botId of [...botIds].sort()) {
    const money = (field: BotField) =>
      readOptionalMoney(where, item, botAttribute(botId, field)) ?? ZERO;
    const refills = botAttribute(botId, 'refills');
    const binding = bindingFromItem(where, item, botId);
    bots.set(botId, {
      ...(binding && { binding }),
      balance: money('balance'),
      capitalBase: money('capitalBase'),
      contributed: money('contributed'),
      harvested: money('harvested'),
      protected: money('protected'),
      refills: item[refills] === undefined ? 0 : readCount(where, item, refills),
      refillBlocked: readBoolean(where, item, botAttribute(botId, 'refillBlocked'), false),
      inFlight: false,
    });
  }
  const lastRebalance = readOptionalString(where, item, 'last_rebalance');
  const protectedThisEpisode = readStringSet(where, item, PROTECTED_EPISODE);
  const confirmedBalances = confirmationsOf(where, item);
  const opening = openingFromItem(where, item);
  const peak = readOptionalMoney(where, item, 'peak_equity') ?? ZERO;
  const flows = readOptionalMoney(where, item, PEAK_FLOWS) ?? ZERO;
  const reserveHold = reserveHoldFromItem(where, item);
  const halted = readBoolean(where, item, 'halted', false);
  const haltedAt = readOptionalString(where, item, HALTED_AT);
  return {
    asOf: readString(where, item, 'as_of'),
    peakEquity: (peak + flows - (readOptionalMoney(where, item, PEAK_FLOWS_SEEN) ?? ZERO)) as Money,
    ...(item[PEAK_FLOWS] !== undefined && { peakFlows: flows }),
    flags: {
      halted,
      blackSwan: readBoolean(where, item, 'black_swan', false),
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

/** The operators' confirmed balances on the state item (`confirmed:<bot>` maps), by bot. */
function confirmationsOf(where: string, item: Item): Map<string, BalanceConfirmation> {
  const out = new Map<string, BalanceConfirmation>();
  for (const [attribute, value] of Object.entries(item)) {
    const botId = confirmedBotOfAttribute(attribute);
    if (botId === undefined) continue;
    if (typeof value !== 'object' || value === null) {
      throw new MalformedItemError(where, attribute, value, 'a map');
    }
    const at = `${where} ${attribute}`;
    const map = value as Item;
    out.set(botId, {
      balance: readMoney(at, map, 'balance'),
      at: readString(at, map, 'at'),
      reason: readString(at, map, 'reason'),
      by: readString(at, map, 'by'),
    });
  }
  return out;
}
