/**
 * Exposure and leverage (DESIGN.md §11): a bot's leverage is its notional ÷ its equity, total
 * exposure Σ notional ÷ portfolio equity over the bots whose position is known — a lower bound
 * naming the unknown ones, never a zero put in their place — and the warnings over the limits.
 */
import { describe, expect, it } from 'vitest';
import {
  freqtradePosition,
  notionalOf,
  type PositionReading,
  positionOfStored,
  ratioFixed,
  riskAlerts,
  riskJson,
  riskOf,
  storedPosition,
} from '../../functions/core/exposure.ts';
import { money } from '../../functions/core/money.ts';
import { SPEC_BOTS, specConfig, stateOf } from './fixtures.ts';

const known = (notional: number | string): PositionReading => ({
  known: true,
  notional: money(notional),
  source: 'test',
});

/** Spec state (equity 1000: bots 150, 150, 100, 100) with these positions, in bot order. */
const riskFor = (...notionals: (number | string | undefined)[]) => {
  const state = stateOf(specConfig());
  const positions = new Map<string, PositionReading>();
  SPEC_BOTS.forEach((id, i) => {
    const n = notionals[i];
    positions.set(id, n === undefined ? { known: false, reason: 'not readable' } : known(n));
  });
  return riskOf(state, positions);
};

describe('exposure', () => {
  it('is Σ notional ÷ portfolio equity, and each bot’s leverage its notional ÷ its equity', () => {
    // Act: 450 + 300 + 500 + 800 on equity 1000
    const risk = riskFor(450, 300, 500, 800);
    // Assess
    expect(risk.exposure.ratio && ratioFixed(risk.exposure.ratio)).toBe('2.050000');
    expect(risk.exposure.unknownBots).toEqual([]);
    const lev = risk.bots.get('1h_lorentzian_sol');
    expect(lev?.known && lev.leverage && ratioFixed(lev.leverage)).toBe('3.000000');
  });

  it('counts only the known bots, says it is partial, and names the unknown one — never 0 for it', () => {
    // Act
    const risk = riskFor(450, 300, undefined, 800);
    const json = riskJson(specConfig(), risk) as {
      exposure: Record<string, unknown>;
      bots: Record<string, unknown>;
    };
    // Assess
    expect(risk.exposure.knownBots).toHaveLength(3);
    expect(risk.exposure.unknownBots).toEqual(['5m_scalping_sol']);
    expect(json.exposure).toMatchObject({
      ratio: '1.550000',
      known_bots: 3,
      unknown_bots: 1,
      partial: true,
      unknown: { '5m_scalping_sol': 'not readable' },
    });
    expect(json.bots['5m_scalping_sol']).toBe('unknown');
    expect(json.bots['1h_lorentzian_sol']).toEqual({
      notional: '450.00000000',
      leverage: '3.000000',
      source: 'test',
    });
  });

  it('is unknown (null), not 0, when no bot’s position is known', () => {
    const risk = riskFor(undefined, undefined, undefined, undefined);
    const json = riskJson(specConfig(), risk) as { exposure: Record<string, unknown> };
    // Σ over no known bot is 0 notional, and it says 0 of 4 bots are known.
    expect(json.exposure).toMatchObject({ known_bots: 0, unknown_bots: 4, partial: true });
  });
});

describe('risk alerts', () => {
  const limits = specConfig({ risk: { max_total_exposure: 2, max_bot_leverage: 5 } });

  it('warns exposure_high above risk.max_total_exposure, not at it nor under it', () => {
    const limits = specConfig({ risk: { max_total_exposure: 2 } });
    expect(riskAlerts(limits, riskFor(500, 500, 500, 500)).map((a) => a.code)).toEqual([]);
    expect(riskAlerts(limits, riskFor(500, 500, 500, '500.00000001')).map((a) => a.code)).toEqual([
      'exposure_high',
    ]);
    const [a] = riskAlerts(limits, riskFor(900, 900, undefined, 300));
    expect(a).toMatchObject({ code: 'exposure_high', severity: 'warning' });
    expect(a?.message).toContain('a lower bound: 1 bot(s) of unknown position (5m_scalping_sol)');
  });

  it('warns bot_leverage_high for the bot above risk.max_bot_leverage only', () => {
    // 100 × 5 = 500 is at the limit; 100 × 5.01 above it
    const alerts = riskAlerts(limits, riskFor(0, 0, 500, 501));
    expect(alerts.map((a) => [a.code, a.botId, a.severity])).toEqual([
      ['bot_leverage_high', '15m_momentum_eth', 'warning'],
    ]);
    expect(alerts[0]?.message).toContain('leverage 5.01×');
  });

  it('raises nothing without limits, and nothing for an unknown bot', () => {
    expect(riskAlerts(specConfig(), riskFor(9000, 9000, 9000, 9000))).toEqual([]);
    expect(riskAlerts(limits, riskFor(0, 0, undefined, 0))).toEqual([]);
  });

  it('takes a position on zero equity as above any leverage limit', () => {
    const state = stateOf(specConfig(), { 'bots.15m_momentum_eth.balance': 0 });
    const risk = riskOf(state, new Map([['15m_momentum_eth', known(10)]]));
    expect(riskAlerts(limits, risk).map((a) => a.code)).toContain('bot_leverage_high');
  });
});

describe('notional', () => {
  it('multiplies exactly and rounds down to 10⁻⁸; refuses what is not a decimal', () => {
    expect(notionalOf(0.1, 0.2)).toBe(money('0.02'));
    expect(notionalOf('1.23456789', '3.3')).toBe(money('4.07407403'));
    expect(notionalOf('-2', '3')).toBe(money(6));
    expect(notionalOf('1', '-3')).toBeUndefined();
    expect(notionalOf('NaN', '3')).toBeUndefined();
    expect(notionalOf(Number.POSITIVE_INFINITY, 3)).toBeUndefined();
    expect(notionalOf({}, 3)).toBeUndefined();
  });
});

describe('a Freqtrade bot’s position', () => {
  const NOW = Date.parse('2026-11-20T12:00:00Z');
  const pull = (positions: unknown, at = '2026-11-20T11:59:00Z') =>
    ({
      at,
      answer: { status: 'running', note: '', positions },
    }) as Parameters<typeof freqtradePosition>[0];

  it('is known only in the portfolio currency, from a fresh answer', () => {
    const ok = pull({ known: true, trades: 2, byQuote: { USDT: '12.5' } });
    expect(freqtradePosition(ok, 'USDT', NOW, 120_000)).toMatchObject({
      known: true,
      notional: money('12.5'),
    });
    const eur = pull({ known: true, trades: 1, byQuote: { USDT: '1', EUR: '2' } });
    expect(freqtradePosition(eur, 'USDT', NOW, 120_000)).toMatchObject({ known: false });
    expect(freqtradePosition(ok, 'USDT', NOW + 600_000, 120_000)).toMatchObject({ known: false });
    expect(freqtradePosition(undefined, 'USDT', NOW, 120_000)).toMatchObject({ known: false });
    const down = { at: '2026-11-20T11:59:00Z', answer: undefined, error: 'timeout' };
    expect(freqtradePosition(down, 'USDT', NOW, 120_000)).toMatchObject({ known: false });
  });
});

describe('a stored position', () => {
  it('stands for the cycle that read it only', () => {
    const stored = storedPosition(known('1.5'), '2026-11-20T12:00:00.000Z');
    expect(positionOfStored(stored, '2026-11-20T12:00:00.000Z')).toMatchObject({
      known: true,
      notional: money('1.5'),
    });
    expect(positionOfStored(stored, '2026-11-20T12:15:00.000Z').known).toBe(false);
    const garbled = { ...stored, notional: '-3' };
    expect(positionOfStored(garbled, stored.at).known).toBe(false);
  });
});
