/**
 * A performance row's key and attributes, both ways: encoding and decoding only, no client, so a
 * reader of the store's own files (`status`, functions/local/store-file.ts) decodes a snapshot
 * exactly as the store does without loading the SDK.
 */
import type { BotSnapshot } from '../../core/store-ports.ts';
import { botKey, type Item, readCount, readMoney, readString } from './codec.ts';

export const snapshotKey = (
  portfolioId: string,
  s: Pick<BotSnapshot, 'botId' | 'at' | 'cycleId'>,
) => ({
  pk: botKey(portfolioId, s.botId),
  sk: `${s.at}#${s.cycleId}`,
});

export function snapshotAttributes(s: BotSnapshot): Item {
  return {
    bot_id: s.botId,
    cycle_id: s.cycleId,
    at: s.at,
    balance: s.balance,
    capital_base: s.capitalBase,
    contributed: s.contributed,
    harvested: s.harvested,
    protected: s.protected,
    net_contributed: s.netContributed,
    pnl: s.pnl,
    ...(s.expiresAt !== undefined && { expires_at: s.expiresAt }),
  };
}

/** A performance row as the store decodes it (also read straight from the files by `status`). */
export function snapshotFromItem(item: Item): BotSnapshot {
  const where = `snapshot ${String(item.pk)} ${String(item.sk)}`;
  return {
    botId: readString(where, item, 'bot_id'),
    cycleId: readString(where, item, 'cycle_id'),
    at: readString(where, item, 'at'),
    balance: readMoney(where, item, 'balance'),
    capitalBase: readMoney(where, item, 'capital_base'),
    contributed: readMoney(where, item, 'contributed'),
    harvested: readMoney(where, item, 'harvested'),
    protected: readMoney(where, item, 'protected'),
    netContributed: readMoney(where, item, 'net_contributed'),
    pnl: readMoney(where, item, 'pnl'),
    ...(item.expires_at !== undefined && { expiresAt: readCount(where, item, 'expires_at') }),
  };
}
