/**
 * Venues (DESIGN.md §5): each exchange holds its own money. A pool, its reserve and its bots are
 * on one exchange; the emergency reserve has one part per exchange (`reserve:emergency` on the
 * primary, `reserve:emergency@<exchange>` on another), each funded in its own exchange's master
 * account. These are the questions the policy, the guards and reconciliation ask of it: which
 * exchange an account is on, and what floor a reserve keeps.
 */
import { EMERGENCY_RESERVE, isEmergencyReserve, parseAccount } from './accounts.ts';
import type { Config, EmergencyPart, ExchangeName } from './config.ts';
import { type Money, ZERO } from './money.ts';

/** What the questions below read of a config. */
type Parts = Pick<Config, 'emergencyReserve' | 'primaryExchange'>;

/** The emergency part a reserve name is, or undefined for a pool's reserve (or an unknown one). */
export function emergencyPartOf(config: Parts, reserve: string): EmergencyPart | undefined {
  if (!isEmergencyReserve(reserve)) return undefined;
  return config.emergencyReserve.parts.find((p) => p.reserve === reserve);
}

/** The emergency part on `exchange`: where its bots are refilled from last and protected to. */
export function emergencyPartOn(config: Parts, exchange: string): EmergencyPart | undefined {
  return config.emergencyReserve.parts.find((p) => p.exchange === exchange);
}

/**
 * The emergency reserve's name on `exchange` (`emergency` on the primary). An exchange with no
 * part (not configured) gets the name it would have, so that a guard can name what it refuses.
 */
export function emergencyReserveOn(config: Parts, exchange: string): string {
  return (
    emergencyPartOn(config, exchange)?.reserve ??
    (exchange === config.primaryExchange ? EMERGENCY_RESERVE : `${EMERGENCY_RESERVE}@${exchange}`)
  );
}

/** The floor a reserve never goes below: its emergency part's minimum, else zero. */
export function reserveFloor(config: Parts, reserve: string): Money {
  return emergencyPartOf(config, reserve)?.minimum ?? ZERO;
}

/** The floors of every reserve that has one, by reserve name. */
export function reserveFloors(config: Parts): ReadonlyMap<string, Money> {
  return new Map(config.emergencyReserve.parts.map((p) => [p.reserve, p.minimum]));
}

/** The exchange a reserve's money is on; undefined for a reserve this config does not have. */
export function exchangeOfReserve(config: Config, reserve: string): ExchangeName | undefined {
  if (isEmergencyReserve(reserve)) return emergencyPartOf(config, reserve)?.exchange;
  return config.pools.get(reserve)?.exchange;
}

/**
 * The exchange a ledger account's money is on (a bot's: its configured exchange); undefined for
 * `outside` and for an account this config does not have.
 */
export function exchangeOfAccount(config: Config, account: string): ExchangeName | undefined {
  const a = parseAccount(account);
  if (a?.kind === 'bot') return config.bots.find((b) => b.botId === a.botId)?.exchange;
  if (a?.kind === 'reserve') return exchangeOfReserve(config, a.reserve);
  return undefined;
}

/** The reserves whose money is in `exchange`'s master account, emergency part first. */
export function reservesOn(config: Config, exchange: string): string[] {
  return [
    ...config.emergencyReserve.parts.filter((p) => p.exchange === exchange).map((p) => p.reserve),
    ...[...config.pools.values()].filter((p) => p.exchange === exchange).map((p) => p.name),
  ];
}

/** True when the config has more than one exchange (some output then says where reserves are). */
export const hasVenues = (config: Config): boolean => config.exchanges.size > 1;
