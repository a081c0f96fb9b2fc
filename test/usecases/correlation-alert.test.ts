/**
 * `bots_correlated` (DESIGN.md §11) in the real cycle: the first cycle of a UTC day reads the
 * stored end-of-day equity, and a pool whose bots move together is reported once per cooldown,
 * per pool.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../functions/core/alerts.ts';
import { money } from '../../functions/core/money.ts';
import type { BotSnapshot, CooldownStore } from '../../functions/core/store-ports.ts';
import { botCommand } from '../../functions/local/commands/bot.ts';
import { readsOf, statusBoard, statusJson } from '../../functions/local/commands/status.ts';
import { withCooldown } from '../../functions/usecases/alerting.ts';
import { correlationAlerts, readPoolCorrelations } from '../../functions/usecases/correlation.ts';
import { specConfig } from '../core/fixtures.ts';
import { type Harness, harness, T0 } from './harness.ts';

const DAY = 86_400_000;
/** Daily returns with some spread; the low_frequency bots both follow it. */
const MOVES = [0.02, -0.01, 0.03, -0.025, 0.01, 0.015, -0.02, 0.005, 0.012, -0.008, 0.02];

/**
 * Eleven days of end-of-day snapshots before T0's day (2026-11-09 … 2026-11-19), one a day at
 * 23:00: the two low_frequency bots move together, the two high_frequency ones against each other.
 */
function history(): BotSnapshot[] {
  const bots: [string, number, number][] = [
    ['1h_lorentzian_sol', 150, 1],
    ['4h_swing_btc', 150, 1],
    ['5m_scalping_sol', 100, 1],
    ['15m_momentum_eth', 100, -1],
  ];
  return bots.flatMap(([botId, base, sign]) => {
    let balance = base;
    return MOVES.map((r, i) => {
      balance *= 1 + sign * r;
      const at = new Date(T0 - (11 - i) * DAY);
      at.setUTCHours(23, 0, 0, 0);
      const b = money(balance.toFixed(8));
      return {
        botId,
        cycleId: `past-${i}`,
        at: at.toISOString(),
        balance: b,
        capitalBase: money(base),
        contributed: money(base),
        harvested: money(0),
        protected: money(0),
        netContributed: money(base),
        pnl: money(0),
      };
    });
  });
}

const correlated = (h: Harness) => h.alerts.filter((a) => a.code === 'bots_correlated');

describe('bots_correlated in the cycle', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  const start = async (cooldown: string) => {
    h = await harness({
      config: specConfig({
        risk: { max_correlation: 0.8, correlation_window: '10d' },
        alerts: { cooldown },
      }),
    });
    await h.store.performance.putSnapshots(h.config.portfolioId, history());
    return h;
  };
  const cycleAt = async (rt: Harness, ms: number) => rt.cycle(rt.at(ms));

  it('warns of the pool whose bots move together, on the first cycle of a day only', async () => {
    const rt = await start('1h');
    await cycleAt(rt, T0); // funds the bots; the day's correlation was not due (the portfolio starts now)
    expect(correlated(rt)).toEqual([]);

    // 2026-11-20 has no close (the bots were funded by its only cycle): 9 returns of the 10 days
    const midnight = Date.parse('2026-11-21T00:00:00.000Z');
    await cycleAt(rt, midnight);
    expect(correlated(rt)).toEqual([
      {
        severity: 'warning',
        code: 'bots_correlated',
        pool: 'low_frequency',
        message: expect.stringMatching(
          /^pool low_frequency: its bots' daily returns correlate 1\.00 on average, above risk\.max_correlation 0\.8 \(1 of 1 pairs known, over at least 9 common days of the last 10\): they are close to one bet$/,
        ),
      },
    ]);

    // later cycles of the same day do not compute it again
    await cycleAt(rt, midnight + 15 * 60_000);
    expect(correlated(rt)).toHaveLength(1);
    // the next day's first cycle does, and the 1h cooldown has passed: sent again
    await cycleAt(rt, midnight + DAY);
    expect(correlated(rt)).toHaveLength(2);
  }, 60_000);

  it('is not re-sent within the cooldown', async () => {
    const rt = await start('2d');
    await cycleAt(rt, T0);
    const midnight = Date.parse('2026-11-21T00:00:00.000Z');
    await cycleAt(rt, midnight);
    await cycleAt(rt, midnight + DAY); // within 2 days of the first: held back
    expect(correlated(rt)).toHaveLength(1);
    await cycleAt(rt, midnight + 3 * DAY); // past it: sent again
    expect(correlated(rt)).toHaveLength(2);
  }, 60_000);

  it('shows a bot its average correlation with its pool mates (botfolio bot)', async () => {
    const rt = await start('1h');
    await cycleAt(rt, T0);
    await cycleAt(rt, Date.parse('2026-11-21T00:00:00.000Z'));
    const show = async (botId: string) => {
      let out = '';
      await botCommand(rt.config, rt.store, botId, (t) => {
        out += t;
      });
      return out;
    };
    expect(await show('4h_swing_btc')).toMatch(
      /correlation +1\.00 {2}\(average Pearson correlation with 1 of its 1 pool mates in low_frequency, daily returns over the 10 complete UTC days before 2026-11-21, each pair on ≥ 7 common days; risk\.max_correlation 0\.8 applies to the pool's average\)/,
    );
    expect(await show('15m_momentum_eth')).toMatch(/correlation +-1\.00 {2}\(average Pearson/);
  }, 60_000);

  it('adds each pool’s correlation to status --json, unknown as null', async () => {
    const rt = await start('1h');
    await cycleAt(rt, T0);
    await cycleAt(rt, Date.parse('2026-11-21T00:00:00.000Z'));
    const state = await rt.store.portfolio.load(rt.config.portfolioId);
    if (!state) throw new Error('no state');
    const reads = readsOf(rt.store);
    const json = statusJson(
      state,
      await statusBoard(rt.config, reads, state),
      await readPoolCorrelations(rt.config, reads, state.asOf),
    );
    expect(json.pools).toEqual({
      low_frequency: {
        correlation: {
          average: expect.closeTo(1, 9),
          known: true,
          pairs: 1,
          known_pairs: 1,
          min_common_days: 9,
          window_days: 10,
          bots: { '1h_lorentzian_sol': expect.closeTo(1, 9), '4h_swing_btc': expect.closeTo(1, 9) },
        },
      },
      high_frequency: {
        correlation: expect.objectContaining({ average: expect.closeTo(-1, 9), known: true }),
      },
    });
    // a window the history does not cover: unknown, never 0
    const later = await readPoolCorrelations(rt.config, reads, '2026-12-20T00:00:00.000Z');
    expect(later.map((c) => c.average)).toEqual([undefined, undefined]);
  }, 60_000);

  it('reads the same figure the cycle alerted on (status and bot read it so)', async () => {
    const rt = await start('1h');
    const [lf, hf] = await readPoolCorrelations(
      rt.config,
      rt.store.performance,
      '2026-11-20T12:00:00.000Z',
    );
    expect(lf?.average).toBeCloseTo(1, 9);
    expect(hf?.average).toBeCloseTo(-1, 9);
    expect(lf?.minDays).toBe(10);
  }, 60_000);
});

describe('the cooldown of a pool alert', () => {
  /** A cooldown store in memory, as the state table keeps it. */
  const memoryCooldowns = (): CooldownStore => {
    const sent = new Map<string, number>();
    return {
      async claimAlert(_p, key, nowMs, cooldownMs) {
        const last = sent.get(key);
        if (last !== undefined && nowMs - last < cooldownMs) return false;
        sent.set(key, nowMs);
        return true;
      },
      async sentSince() {
        return [...sent].map(([key, sentAt]) => ({ key, sentAt }));
      },
      // A pool's alert is about no transfer: it is never held for a digest.
      hold: async () => {
        throw new Error('a pool alert is not held');
      },
      held: async () => [],
      release: async () => {},
    };
  };

  it('is per (code, pool): two correlated pools are both reported, each once per cooldown', async () => {
    const config = specConfig({ risk: { max_correlation: 0.5 } });
    const pool = (name: string) => ({
      pool: name,
      bots: ['x', 'y'],
      average: 0.9,
      pairs: 1,
      knownPairs: 1,
      minDays: 20,
      perBot: new Map(),
    });
    const alerts = correlationAlerts(config, [pool('low_frequency'), pool('high_frequency')]);
    const delivered: Alert[] = [];
    const cooldowns = memoryCooldowns();
    let now = T0;
    const alerter = withCooldown(
      { send: async (a) => void delivered.push(a) },
      cooldowns,
      config.alertCooldownMs,
      () => new Date(now),
    );
    const context = { portfolioId: config.portfolioId, cycleId: 'c' };
    for (const a of alerts) await alerter.send(a, context);
    now += 30 * 60_000;
    for (const a of alerts) await alerter.send(a, context);
    expect(delivered.map((a) => a.pool)).toEqual(['low_frequency', 'high_frequency']);
    expect((await cooldowns.sentSince(config.portfolioId, 0)).map((s) => s.key)).toEqual([
      'bots_correlated#pool#low_frequency',
      'bots_correlated#pool#high_frequency',
    ]);
  });

  it('raises nothing without risk.max_correlation, nor for an unknown average', () => {
    const unknown = {
      pool: 'low_frequency',
      bots: ['x', 'y'],
      average: undefined,
      pairs: 1,
      knownPairs: 0,
      minDays: undefined,
      perBot: new Map(),
    };
    expect(correlationAlerts(specConfig({ risk: { max_correlation: -0.5 } }), [unknown])).toEqual(
      [],
    );
    expect(correlationAlerts(specConfig(), [{ ...unknown, average: 0.99 }])).toEqual([]);
  });
});
