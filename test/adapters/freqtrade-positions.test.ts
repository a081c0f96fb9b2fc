/**
 * A Freqtrade bot's open trades from `GET /api/v1/status` (a fake API on 127.0.0.1) as its
 * position: Σ amount × current rate, exact; its leverage on its equity; and unknown — never zero —
 * for a stopped trader (it lists no trades then), nonsense values, or another quote currency.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freqtradePuller } from '../../functions/adapters/freqtrade-api.ts';
import { envPasswords } from '../../functions/adapters/health-secrets.ts';
import { PaperExchange } from '../../functions/adapters/paper/exchange.ts';
import { ratioFixed, riskOf } from '../../functions/core/exposure.ts';
import { nextPulled } from '../../functions/core/health.ts';
import { money } from '../../functions/core/money.ts';
import { readPositions } from '../../functions/usecases/exposure.ts';
import { specConfig, stateOf } from '../core/fixtures.ts';
import { type FakeFreqtrade, startFakeFreqtrade } from '../helpers/fake-freqtrade.ts';

const USER = 'botfolio';
const PASSWORD = 'ft-pass';
const pull = freqtradePuller(envPasswords({ FT_PASSWORD: PASSWORD }), { timeoutMs: 1_000 });
const BOT = '1h_lorentzian_sol';

let ft: FakeFreqtrade;
beforeEach(async () => {
  ft = await startFakeFreqtrade(USER, PASSWORD);
  ft.lastProcessTs = Math.floor(Date.now() / 1000);
});
afterEach(async () => {
  await ft.close();
});

/** The bot's position as the cycle reads it: the paper exchange knows none, its API does. */
async function positionNow() {
  const config = specConfig({
    [`bots[0].health`]: { freqtrade: { url: ft.url, user: USER, password_secret: 'FT_PASSWORD' } },
  });
  const now = new Date();
  const pulled = nextPulled(
    undefined,
    await pull({ url: ft.url, user: USER, passwordSecret: 'FT_PASSWORD' }, now),
  );
  const state = stateOf(config);
  const paper = new PaperExchange({
    currency: 'USDT',
    master: money(0),
    subAccounts: Object.fromEntries(config.bots.map((b) => [b.account, money(0)])),
  });
  const positions = await readPositions(
    { config, exchanges: new Map([['bitget', paper]]) },
    state,
    new Map([[BOT, { pull: pulled }]]),
    now.getTime(),
  );
  return { position: positions.get(BOT), risk: riskOf(state, positions) };
}

describe('a Freqtrade bot’s position', () => {
  it('is Σ amount × current_rate of its open trades, and its leverage that ÷ its equity', async () => {
    // Prepare: two trades, one short (amount is positive in Freqtrade; is_short says the side)
    ft.trades = [
      { trade_id: 1, pair: 'SOL/USDT:USDT', amount: 2.5, current_rate: 150.12, leverage: 3 },
      {
        trade_id: 2,
        pair: 'BTC/USDT:USDT',
        amount: '0.001',
        current_rate: 97000.5,
        is_short: true,
      },
    ];
    // Act
    const { position, risk } = await positionNow();
    // Assess: 375.3 + 97.0005 = 472.3005 on the bot's 150
    expect(position).toEqual({
      known: true,
      notional: money('472.3005'),
      source: 'its Freqtrade API (2 open trades)',
    });
    const r = risk.bots.get(BOT);
    expect(r?.known && r.leverage && ratioFixed(r.leverage)).toBe('3.148670');
    // The other bots have no source: the exposure is partial, never counted as 0.
    expect(risk.exposure.unknownBots).toHaveLength(3);
  });

  it('is a known zero for a running bot with no open trade', async () => {
    ft.trades = [];
    expect((await positionNow()).position).toMatchObject({ known: true, notional: money(0) });
  });

  it.each([
    ['a negative amount', [{ trade_id: 1, pair: 'SOL/USDT', amount: -1, current_rate: 10 }]],
    ['a text amount', [{ trade_id: 1, pair: 'SOL/USDT', amount: 'lots', current_rate: 10 }]],
    ['no current rate', [{ trade_id: 1, pair: 'SOL/USDT', amount: 1, current_rate: null }]],
    ['a zero rate', [{ trade_id: 1, pair: 'SOL/USDT', amount: 1, current_rate: 0 }]],
    ['a leverage of -2', [{ pair: 'SOL/USDT', amount: 1, current_rate: 10, leverage: -2 }]],
    ['no pair', [{ trade_id: 1, amount: 1, current_rate: 10 }]],
    ['another quote currency', [{ pair: 'SOL/EUR', amount: 1, current_rate: 10 }]],
    ['a trade that is not an object', [42]],
    ['an answer that is not a list', { detail: 'oops' }],
  ])('is unknown, not zero, for %s', async (_what, trades) => {
    ft.trades = trades;
    const { position, risk } = await positionNow();
    expect(position?.known).toBe(false);
    expect(risk.exposure.unknownBots).toContain(BOT);
  });

  it('is unknown for a stopped trader, whose /api/v1/status lists nothing whatever it holds', async () => {
    ft.mood = 'stopped';
    const { position } = await positionNow();
    expect(position).toMatchObject({ known: false, reason: expect.stringContaining('stopped') });
  });

  it('is unknown when its API does not answer', async () => {
    ft.mood = 'failing';
    expect((await positionNow()).position?.known).toBe(false);
  });
});
