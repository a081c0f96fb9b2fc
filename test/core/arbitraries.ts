/**
 * fast-check generators for the policy properties: valid configs of one or two pools and up to
 * six bots on one exchange with random limits and precision, and states around them whose
 * balances and reserves often sit exactly on a threshold, one unit beside it, or at zero.
 */
import fc from 'fast-check';
import type { EquitySample } from '../../functions/core/analytics.ts';
import { type Config, parseConfig } from '../../functions/core/config.ts';
import {
  formatMoney,
  type Money,
  moneyFromUnits,
  mulRatio,
  type Ratio,
} from '../../functions/core/money.ts';
import type { PortfolioState } from '../../functions/core/state.ts';
import { parseState } from '../../functions/core/state-file.ts';
import type { Json } from './fixtures.ts';

/** `n / 100` as exact decimal text: 7 → "0.07", 125 → "1.25". */
const hundredths = (n: number) => `${Math.floor(n / 100)}.${String(n % 100).padStart(2, '0')}`;
const units = (max: bigint) => fc.bigInt({ min: 0n, max });
const text = (m: bigint) => formatMoney(moneyFromUnits(m));
const UNIT = 100_000_000n;

const poolArb = fc.record({
  reservePct: fc.integer({ min: 0, max: 90 }),
  harvestPct: fc.integer({ min: 101, max: 300 }),
  takePct: fc.integer({ min: 0, max: 100 }),
});

const botArb = fc.record({
  pool: fc.nat(1),
  weight: fc.integer({ min: 1, max: 10 }),
  enabled: fc.integer({ min: 0, max: 6 }).map((n) => n !== 0),
});

export const configJsonArb: fc.Arbitrary<Json> = fc
  .record({
    totalCents: fc.integer({ min: 100_00, max: 10_000_000 }),
    emergencyPct: fc.integer({ min: 0, max: 60 }),
    minimumPct: fc.integer({ min: 0, max: 100 }),
    twoPools: fc.boolean(),
    splitPct: fc.integer({ min: 1, max: 99 }),
    pools: fc.tuple(poolArb, poolArb),
    lossRecovery: fc.option(
      fc.record({
        enabled: fc.integer({ min: 0, max: 4 }).map((n) => n !== 0),
        interventionPct: fc.integer({ min: 0, max: 80 }),
        gapPct: fc.integer({ min: 1, max: 20 }),
        maxRefills: fc.integer({ min: 0, max: 3 }),
      }),
      { freq: 5 },
    ),
    compoundPct: fc.option(fc.integer({ min: 101, max: 400 })),
    blackSwan: fc.option(
      fc.record({
        noRefill: fc.boolean(),
        drawdownPct: fc.integer({ min: 30, max: 90 }),
        gapPct: fc.integer({ min: 1, max: 30 }),
        safetyPct: fc.integer({ min: 0, max: 100 }),
      }),
    ),
    stopPct: fc.option(fc.integer({ min: 1, max: 60 })),
    strategy: fc.constantFrom(
      'fixed',
      'equal_weight',
      'fixed_percentage',
      'performance_based',
      'risk_weighted',
    ),
    rebalancePct: fc.integer({ min: 0, max: 30 }),
    minTransfer: fc.constantFrom('0.01', '1', '5'),
    maxFactor: fc.constantFrom(1n, 3n, 50n, 100_000n),
    precision: fc.integer({ min: 0, max: 8 }),
    bots: fc.array(botArb, { minLength: 1, maxLength: 6 }),
  })
  .map((g): Json => {
    const poolPct = 100 - g.emergencyPct;
    const lfPct = g.twoPools
      ? Math.max(1, Math.min(poolPct - 1, Math.round((poolPct * g.splitPct) / 100)))
      : poolPct;
    const shares = g.twoPools ? [lfPct, poolPct - lfPct] : [lfPct];
    const names = ['lf', 'hf'].slice(0, shares.length);
    const T = BigInt(g.totalCents) * 1_000_000n; // cents → 10⁻⁸ units
    const emergencyCapital = (T * BigInt(g.emergencyPct)) / 100n;
    const minTransfer = BigInt(Math.round(Number(g.minTransfer) * 100)) * 1_000_000n;
    const maxTransfer = minTransfer * g.maxFactor;
    const bots = g.bots.map((b, i) => ({ ...b, pool: names[b.pool % names.length] ?? 'lf', i }));
    return {
      portfolio_id: 'prop',
      currency: 'USDT',
      total_capital: text(T),
      emergency_reserve: {
        share: hundredths(g.emergencyPct),
        minimum: text((emergencyCapital * BigInt(g.minimumPct)) / 100n),
      },
      pools: Object.fromEntries(
        names.map((name, i) => {
          const p = g.pools[i] ?? g.pools[0];
          return [
            name,
            {
              share: hundredths(shares[i] ?? 0),
              reserve_ratio: hundredths(p.reservePct),
              harvest_threshold: hundredths(p.harvestPct),
              harvest_percentage: hundredths(p.takePct),
            },
          ];
        }),
      ),
      ...(g.lossRecovery && {
        loss_recovery: {
          enabled: g.lossRecovery.enabled,
          intervention_threshold: hundredths(g.lossRecovery.interventionPct),
          refill_target: hundredths(g.lossRecovery.interventionPct + g.lossRecovery.gapPct),
          max_refills: g.lossRecovery.maxRefills,
        },
      }),
      ...(g.compoundPct !== null && { compound_threshold: hundredths(g.compoundPct) }),
      ...(g.blackSwan !== null && {
        black_swan_protection: {
          enabled: true,
          drawdown_threshold: hundredths(g.blackSwan.drawdownPct),
          safety_allocation: hundredths(g.blackSwan.safetyPct),
          no_refill_policy: g.blackSwan.noRefill,
          resume_threshold: hundredths(Math.min(100, g.blackSwan.drawdownPct + g.blackSwan.gapPct)),
        },
      }),
      ...(g.stopPct !== null && { emergency_stop: { max_drawdown_percent: g.stopPct } }),
      allocation: {
        strategy: g.strategy,
        rebalance_threshold: hundredths(g.rebalancePct),
        rebalance_interval: '1d',
      },
      exchanges: {
        paper: {
          min_transfer: text(minTransfer),
          max_transfer: text(maxTransfer),
          daily_transfer_limit: text(maxTransfer * 4n),
          precision: g.precision,
        },
      },
      bots: bots.map((b) => {
        const poolIndex = names.indexOf(b.pool);
        const p = g.pools[poolIndex] ?? g.pools[0];
        const capital = (T * BigInt(shares[poolIndex] ?? 0)) / 100n;
        const deployable = capital - (capital * BigInt(p.reservePct)) / 100n;
        const weights = bots.filter((o) => o.pool === b.pool).reduce((s, o) => s + o.weight, 0);
        // Whole cents, a little under the bot's share of the deployable capital.
        const share = (deployable * BigInt(b.weight) * 99n) / (BigInt(weights) * 100n);
        return {
          bot_id: `bot${b.i}`,
          pool: b.pool,
          exchange: 'paper',
          account: `uid${b.i}`,
          allocation: text((share / 1_000_000n) * 1_000_000n),
          weight: hundredths(b.weight * 10),
          enabled: b.enabled,
        };
      }),
    };
  });

/** Configs that pass validation (a few generated ones give a bot less than min_transfer). */
export const configArb: fc.Arbitrary<Config> = configJsonArb
  .map((json) => {
    try {
      return parseConfig(json);
    } catch {
      return undefined;
    }
  })
  .filter((c): c is Config => c !== undefined);

/** An amount near `r × base`: exactly on it, one unit either side, or anywhere up to 4 × base. */
const near = (base: Money, r: Ratio | undefined) =>
  fc.oneof(
    units(base * 4n + UNIT),
    fc.constantFrom(-1n, 0n, 1n).map((d) => {
      const at = r ? mulRatio(base, r) : base;
      return at + d < 0n ? 0n : at + d;
    }),
    fc.constant(0n),
  );

export interface Scenario {
  readonly config: Config;
  readonly stateJson: Json;
  readonly state: PortfolioState;
  readonly inFlight: ReadonlySet<string>;
  /** Daily equity samples of some funded bots, before the state's `as_of`. */
  readonly history: ReadonlyMap<string, readonly EquitySample[]>;
}

const AS_OF = '2026-11-20T12:00:00Z';
const DAY = 86_400_000;

function scenarioFor(config: Config): fc.Arbitrary<Scenario> {
  const minimum = config.emergencyReserve.minimum;
  const reserveArb = (capital: Money, floor: Money) =>
    fc.oneof(
      units(capital * 2n + UNIT),
      units(capital / 8n + UNIT),
      units(capital / 4n + UNIT).map((x) => floor + x),
      fc.constantFrom(floor, floor + 1n, floor > 0n ? floor - 1n : 0n, 0n),
    );
  const reserves = fc.record(
    Object.fromEntries([
      ['emergency', reserveArb(config.emergencyReserve.capital, minimum)],
      ...[...config.pools.values()].map((p) => [p.name, reserveArb(p.capital, 0n as Money)]),
    ]) as Record<string, fc.Arbitrary<bigint>>,
  );
  const botArbs = config.bots.map((b) => {
    const pool = config.pools.get(b.pool);
    const lr = config.lossRecovery;
    return fc.option(
      fc
        .record({
          capital: fc.oneof(fc.constant(b.allocation as bigint), units(b.allocation * 2n)),
          which: fc.constantFrom('harvest', 'refill', 'refill', 'any'),
          refills: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3 })),
          blocked: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
          inFlight: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
          harvestedPct: fc.integer({ min: 0, max: 300 }),
        })
        .chain((g) => {
          const C = moneyFromUnits(g.capital);
          const r =
            g.which === 'harvest'
              ? pool?.harvestThreshold
              : g.which === 'refill'
                ? lr?.interventionThreshold
                : undefined;
          return near(C, r).map((balance) => ({
            balance: text(balance),
            capital_base: text(g.capital),
            contributed: text(g.capital),
            harvested: text((g.capital * BigInt(g.harvestedPct)) / 100n),
            refills: g.refills,
            refill_blocked: g.blocked,
            in_flight: g.inFlight,
          }));
        }),
      { freq: 4 },
    );
  });
  return fc
    .record({
      reserves,
      bots: fc.tuple(...botArbs),
      halted: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
      blackSwan: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
      // 0: the equity now is the peak (no drawdown); else a peak the equity may be far below.
      peak: fc.oneof(fc.constant(0n), units(config.totalCapital * 2n)),
      lastRebalance: fc.constantFrom(
        undefined,
        '2026-11-19T12:00:00Z', // exactly one interval ago: due
        '2026-11-20T00:00:00Z', // half an interval ago: not due
      ),
      // Per bot, daily balances as a share of its capital base in percent (none: no history).
      history: fc.array(
        fc.option(fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 8, maxLength: 12 })),
        {
          minLength: config.bots.length,
          maxLength: config.bots.length,
        },
      ),
      inFlight: fc.array(
        fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
        {
          minLength: config.bots.length,
          maxLength: config.bots.length,
        },
      ),
    })
    .map((g) => {
      const bots: Json = {};
      g.bots.forEach((b, i) => {
        const id = config.bots[i]?.botId;
        if (b && id) bots[id] = b;
      });
      const stateJson: Json = {
        as_of: AS_OF,
        peak_equity: text(g.peak),
        flags: { halted: g.halted, black_swan: g.blackSwan },
        reserves: Object.fromEntries(Object.entries(g.reserves).map(([k, v]) => [k, text(v)])),
        bots,
        ...(g.lastRebalance !== undefined && { last_rebalance: g.lastRebalance }),
      };
      const inFlight = new Set(config.bots.filter((_, i) => g.inFlight[i]).map((b) => b.botId));
      const state = parseState(stateJson, config);
      const history = new Map<string, EquitySample[]>();
      config.bots.forEach((bot, i) => {
        const b = state.bots.get(bot.botId);
        const pcts = g.history[i];
        if (!b || !pcts) return;
        const net = b.contributed - b.harvested - b.protected;
        history.set(
          bot.botId,
          pcts.map((pct, k) => ({
            at: new Date(Date.parse(AS_OF) - (pcts.length - k) * DAY).toISOString(),
            balance: ((b.capitalBase * BigInt(pct)) / 100n) as Money,
            netContributed: net as Money,
          })),
        );
      });
      return { config, stateJson, state, inFlight, history };
    });
}

export const scenarioArb: fc.Arbitrary<Scenario> = configArb.chain(scenarioFor);
