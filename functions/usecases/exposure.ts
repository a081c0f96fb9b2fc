/**
 * The booked bots' open positions as a fact of the cycle (DESIGN.md §11; core/exposure.ts has the
 * figures): read from each bot's exchange where the master key can read them (one call per
 * exchange, or per futures bot on Binance, within each endpoint's limit), else from its Freqtrade
 * API's last answer (asked by the health reading, no call of its own) — and unknown, with why,
 * where neither can tell. Never fails the cycle: a position is a warning's input, never money's.
 */
import type { Config } from '../core/config.ts';
import { freqtradePosition, type PositionReading, unknownPosition } from '../core/exposure.ts';
import type { HealthFacts } from '../core/health.ts';
import type { Exchange } from '../core/ports.ts';
import type { PortfolioState } from '../core/state.ts';

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Every booked bot's position at `nowMs`, read where its books say it sits (as its balance is),
 * by bot id.
 */
export async function readPositions(
  deps: { readonly config: Config; readonly exchanges: ReadonlyMap<string, Exchange> },
  stored: PortfolioState,
  facts: ReadonlyMap<string, HealthFacts>,
  nowMs: number,
): Promise<Map<string, PositionReading>> {
  const { config } = deps;
  const configured = new Map(config.bots.map((b) => [b.botId, b]));
  const byExchange = new Map<string, { botId: string; account: string }[]>();
  for (const [botId, b] of stored.bots) {
    const bot = configured.get(botId);
    const exchange = b.binding?.exchange ?? bot?.exchange;
    const account = b.binding?.account ?? bot?.account;
    if (exchange === undefined || account === undefined) continue;
    byExchange.set(exchange, [...(byExchange.get(exchange) ?? []), { botId, account }]);
  }
  const fromExchange = new Map<string, PositionReading>();
  for (const [name, bots] of byExchange) {
    const exchange = deps.exchanges.get(name);
    const none = (why: string) => {
      for (const b of bots) fromExchange.set(b.botId, unknownPosition(why));
    };
    if (!exchange) {
      none(`exchange ${name} is not configured`);
      continue;
    }
    if (!exchange.subAccountPositions) {
      none(`${name}'s positions are not read (Binance's and the paper exchange's are)`);
      continue;
    }
    try {
      const read = await exchange.subAccountPositions(
        bots.map((b) => b.account),
        config.currency,
      );
      for (const b of bots) {
        fromExchange.set(
          b.botId,
          read.get(b.account) ?? unknownPosition(`${name} did not answer for it`),
        );
      }
    } catch (error) {
      none(`${name}'s positions could not be read (${reasonOf(error)})`);
    }
  }
  const maxAgeMs = config.healthCheckIntervalMs + config.checkIntervalMs;
  const out = new Map<string, PositionReading>();
  for (const botId of stored.bots.keys()) {
    const onExchange = fromExchange.get(botId) ?? unknownPosition('its exchange is not known');
    const ft = configured.get(botId)?.health?.freqtrade;
    if (onExchange.known || ft === undefined) {
      out.set(botId, onExchange);
      continue;
    }
    const fromApi = freqtradePosition(facts.get(botId)?.pull, config.currency, nowMs, maxAgeMs);
    out.set(
      botId,
      fromApi.known ? fromApi : unknownPosition(`${onExchange.reason}; ${fromApi.reason}`),
    );
  }
  return out;
}
