/**
 * The backtest bench's portfolio: `bots` bots in the spec's two pools and one year of 15-minute
 * equity points each (35,040 by default), random walks from a seed (geometric Brownian motion, a
 * drift and a volatility of each bot's own), so every run replays the same market.
 */
import { seededRng, standardNormal, uniform } from '../functions/adapters/paper/rng.ts';
import type { EquityCurves } from '../functions/core/backtest.ts';
import { type Config, parseConfig } from '../functions/core/config.ts';

export const STEP_MS = 15 * 60_000;
export const YEAR_STEPS = 35_040;

/** The spec's portfolio with `bots` bots, half in each pool, and enough capital to fund them. */
export function fleetConfig(bots: number): Config {
  return parseConfig(fleetConfigJson(bots));
}

/** `fleetConfig`'s file, as a trader would write it. */
export function fleetConfigJson(bots: number): Record<string, unknown> {
  const low = Math.ceil(bots / 2);
  const high = bots - low;
  return {
    portfolio_id: 'bench',
    currency: 'USDT',
    total_capital: 1000 * bots,
    emergency_reserve: { share: 0.2, minimum: 200 * bots * 0.5 },
    pools: {
      low_frequency: {
        share: 0.5,
        reserve_ratio: 0.4,
        harvest_threshold: 1.25,
        harvest_percentage: 0.6,
        allocation_per_bot: Math.floor((1000 * bots * 0.5 * 0.6) / Math.max(low, 1)),
      },
      high_frequency: {
        share: 0.3,
        reserve_ratio: 0.3,
        harvest_threshold: 1.15,
        harvest_percentage: 0.8,
        allocation_per_bot: Math.floor((1000 * bots * 0.3 * 0.7) / Math.max(high, 1)),
      },
    },
    loss_recovery: {
      enabled: true,
      intervention_threshold: 0.25,
      refill_target: 0.75,
      max_refills: 2,
    },
    compound_threshold: 2.0,
    black_swan_protection: {
      enabled: true,
      drawdown_threshold: 0.6,
      safety_allocation: 0.2,
      no_refill_policy: true,
      resume_threshold: 0.8,
    },
    emergency_stop: { max_drawdown_percent: 25 },
    exchanges: {
      bitget: {
        transfer_fee: 0.001,
        min_transfer: 1,
        max_transfer: 100_000,
        daily_transfer_limit: 10_000_000,
      },
    },
    bots: Array.from({ length: bots }, (_, i) => ({
      bot_id: `bot_${String(i).padStart(3, '0')}`,
      pool: i < low ? 'low_frequency' : 'high_frequency',
      exchange: 'bitget',
      account: String(6_700_000_000 + i),
      enabled: true,
    })),
    monitoring: { check_interval: '15m' },
  };
}

/** One random walk per bot of `config`, `steps` points 15 minutes apart from 2026-01-01. */
export function fleetCurves(config: Config, steps: number, seed = 1): EquityCurves {
  const start = Date.UTC(2026, 0, 1);
  const times = Array.from({ length: steps }, (_, i) =>
    new Date(start + i * STEP_MS).toISOString().replace('.000Z', 'Z'),
  );
  const values = new Map<string, Float64Array>();
  for (const bot of config.bots) {
    const rng = seededRng(seed, bot.botId);
    // Daily volatility 2–6 %, yearly drift −30 … +60 %, per 15-minute step.
    const sigma = (0.02 + 0.04 * uniform(rng)) / Math.sqrt(96);
    const mu = (-0.3 + 0.9 * uniform(rng)) / YEAR_STEPS;
    let log = 0;
    const curve = new Float64Array(steps);
    for (let i = 0; i < steps; i++) {
      if (i > 0) log += mu - (sigma * sigma) / 2 + sigma * standardNormal(rng);
      curve[i] = Math.round(1000 * Math.exp(log) * 1e8);
    }
    values.set(bot.botId, curve);
  }
  return { times, values };
}
