/**
 * Config drift (DESIGN.md §10): where the books and today's config disagree. A config change never
 * moves money by itself: what it affects is left alone — a bot gets no decision, a reserve gives
 * nothing — and one `config_drift` warning per difference names it and the operation that settles
 * it; the rest of the portfolio is managed as usual. Pure: the cycle and `validate
 * --against-state` ask it alike.
 */

import { reserveAccount } from './accounts.ts';
import { type Alert, alert } from './alerts.ts';
import type { Config } from './config.ts';
import { type Money, showMoney, sum, ZERO } from './money.ts';
import type { PortfolioState } from './state.ts';
import { emergencyPartOf } from './venues.ts';

export interface Drift {
  /** One `config_drift` warning per difference. */
  readonly alerts: readonly Alert[];
  /** Configured bots left alone: no decision for them this cycle. */
  readonly botsAside: ReadonlySet<string>;
  /** Reserves no transfer may come out of this cycle. */
  readonly frozen: ReadonlySet<string>;
}

export const NO_DRIFT: Drift = { alerts: [], botsAside: new Set(), frozen: new Set() };

/** Every difference between the books and the config, and what it leaves alone. */
export function configDrift(config: Config, state: PortfolioState): Drift {
  const alerts: Alert[] = [];
  const botsAside = new Set<string>();
  const frozen = new Set<string>();
  const drift = (message: string, botId?: string) =>
    alerts.push(alert('config_drift', message, botId));
  const cur = config.currency;
  const configured = new Map(config.bots.map((b) => [b.botId, b]));

  // Books of bots the config no longer names: their money still counts, nothing moves for them.
  const bookedAt = new Map<string, string>();
  for (const [botId, b] of state.bots) {
    if (b.binding) bookedAt.set(`${b.binding.exchange}|${b.binding.account}`, botId);
    if (configured.has(botId)) continue;
    const balance = b.balance === null ? 'unknown' : `${showMoney(b.balance)} ${cur}`;
    drift(
      `${botId} has books (capital base ${showMoney(b.capitalBase)} ${cur}, balance ${balance}${b.binding ? ` in sub-account ${b.binding.account}` : ''}) but is not in the config: \`botfolio retire ${botId} --sweep\` brings its money back to its pool reserve, \`botfolio retire ${botId}\` stops managing it where it is, or put it back in the config`,
      botId,
    );
  }

  for (const bot of config.bots) {
    const b = state.bots.get(bot.botId);
    const binding = b?.binding;
    if (b && binding) {
      const changed = [
        binding.account !== bot.account && `its account from ${binding.account} to ${bot.account}`,
        binding.pool !== bot.pool && `its pool from ${binding.pool} to ${bot.pool}`,
        binding.exchange !== bot.exchange &&
          `its exchange from ${binding.exchange} to ${bot.exchange}`,
      ].filter((c): c is string => typeof c === 'string');
      if (changed.length === 0) continue;
      botsAside.add(bot.botId);
      const settle =
        binding.account !== bot.account || binding.exchange !== bot.exchange
          ? `\`botfolio retire ${bot.botId} --sweep\` brings its money back from sub-account ${binding.account} (the next cycle then funds it at ${bot.account}), or put the config back`
          : `\`botfolio retire ${bot.botId}\` then \`botfolio adopt ${bot.botId}\` books it in ${bot.pool} with what it holds, or put the config back`;
      drift(
        `${bot.botId}: the config changed ${changed.join(' and ')}, and its books are at the old place: left alone until settled — ${settle}`,
        bot.botId,
      );
      continue;
    }
    if (b) continue; // books from before bindings were recorded: nothing to compare with
    // Not booked: its sub-account must not be another bot's (a rename would fund it twice).
    const owner = bookedAt.get(`${bot.exchange}|${bot.account}`);
    if (owner !== undefined) {
      botsAside.add(bot.botId);
      drift(
        `${bot.botId}: sub-account ${bot.account} is booked to ${owner}${configured.has(owner) ? '' : ' (not in the config: a rename?)'}; nothing is funded twice — \`botfolio retire ${owner}\` then \`botfolio adopt ${bot.botId}\` settles a rename`,
        bot.botId,
      );
      continue;
    }
    const retiredFrom = state.retired?.get(bot.botId);
    if (retiredFrom !== undefined && retiredFrom === bot.account) {
      botsAside.add(bot.botId);
      drift(
        `${bot.botId} was retired from sub-account ${retiredFrom} and is still in the config: remove it, or \`botfolio adopt ${bot.botId}\` to manage it again`,
        bot.botId,
      );
    }
  }

  // Reserves: each configured one must have books, and books must have a configured reserve.
  const wanted = new Map<string, Money>([
    ...config.emergencyReserve.parts.map((p) => [p.reserve, p.capital] as const),
    ...[...config.pools.values()].map((p) => [p.name, p.capital] as const),
  ]);
  for (const [name, amount] of state.reserves) {
    if (wanted.has(name)) continue;
    frozen.add(name);
    if (amount === ZERO && !state.capital?.get(name)) continue;
    const bots = [...state.bots].filter(([, b]) => b.binding?.pool === name).map(([id]) => id);
    drift(
      `${reserveAccount(name)} holds ${showMoney(amount)} ${cur} but the config has no pool ${name}${bots.length > 0 ? ` (its bots: ${bots.join(', ')})` : ''}: \`botfolio move ${showMoney(amount)} --from ${reserveAccount(name)} --to ${reserveAccount('POOL')}\` moves it to a configured pool (a rename), or put the pool back`,
    );
  }
  for (const [name, amount] of wanted) {
    if (state.reserves.has(name)) continue;
    const part = emergencyPartOf(config, name);
    // An exchange's emergency part the split gives nothing holds nothing: no books are exact.
    if (part && amount === ZERO) continue;
    frozen.add(name);
    if (part) {
      drift(
        `${reserveAccount(name)}, the emergency reserve's part on ${part.exchange}, has no books: put the money in ${part.exchange}'s master account by hand, then \`botfolio deposit AMOUNT --to ${reserveAccount(name)}\` books it (Botfolio never moves money between exchanges)`,
      );
      continue;
    }
    drift(
      `pool ${name} is in the config but has no reserve in the books: \`botfolio move AMOUNT --from ${reserveAccount('OLD')} --to ${reserveAccount(name)}\` funds it from another reserve (a rename), \`botfolio deposit AMOUNT --to ${reserveAccount(name)}\` books new money for it`,
    );
  }

  // The layout: the capital the books hold against the config's total. Only a config that claims
  // more than the books hold freezes the reserves (allocations would be sized on money never
  // booked); a config that claims less sizes on less than is there, which moves nothing wrong. The
  // split across pools is the shares' to size, not the books' to match: each reserve gives only
  // what it holds, above its floor.
  const capital = state.capital;
  if (capital) {
    const booked = sum(capital.values());
    const since = `the opening's ${showMoney(state.opening?.totalCapital ?? booked)} and the operations since`;
    if (config.totalCapital > booked) {
      for (const name of state.reserves.keys()) frozen.add(name);
      drift(
        `total_capital is ${showMoney(config.totalCapital)} ${cur} in the config, ${showMoney(booked)} in the books (${since}): no reserve gives money until they agree — \`botfolio deposit AMOUNT --to RESERVE\` books money added to the master, or set total_capital to ${showMoney(booked)}`,
      );
    } else if (config.totalCapital < booked) {
      drift(
        `total_capital is ${showMoney(config.totalCapital)} ${cur} in the config, ${showMoney(booked)} in the books (${since}): allocations are sized on the config's — set total_capital to ${showMoney(booked)} to use it all, or \`botfolio withdraw\` books money taken out`,
      );
    }
  }
  return { alerts, botsAside, frozen };
}
