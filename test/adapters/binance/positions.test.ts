/**
 * Binance's sub-account futures position risk (V2) read through the real adapter against the fake
 * Binance, which checks each request's signature: Σ |positionAmount| × markPrice per futures bot,
 * one signed call per bot, and unknown — never zero — wherever the answer cannot be read.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ExchangeKey } from '../../../functions/adapters/secrets.ts';
import { AuthenticationFailedError } from '../../../functions/core/errors.ts';
import { money } from '../../../functions/core/money.ts';
import {
  type FakeBinance,
  type FakeBinanceOptions,
  POSITION_RISK_PATH,
  startFakeBinance,
} from '../../helpers/fake-binance.ts';
import { binanceFor } from './support.ts';

const BOT_A = 'bot-a_virtual@botfolio.test';
const BOT_B = 'bot-b_virtual@botfolio.test';

let fake: FakeBinance | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function fakeWith(options: FakeBinanceOptions = {}): Promise<FakeBinance> {
  fake = await startFakeBinance({
    master: { spot: { USDT: 1000 } },
    subAccounts: {
      [BOT_A]: {
        futures: { USDT: 100 },
        positions: [
          { symbol: 'BTCUSDT', positionAmount: '0.010', markPrice: '9973.50770517' },
          // A short: its amount is negative, its notional is not.
          { symbol: 'ETHUSDT', positionAmount: '-0.5', markPrice: '3000.1' },
          { symbol: 'SOLUSDT', positionAmount: '0.000', markPrice: '150' },
        ],
      },
      [BOT_B]: { futures: { USDT: 50 } },
    },
    ...options,
  });
  return fake;
}

describe('Binance positions', () => {
  it('reads each futures bot’s USDⓈ-M notional exactly, one signed call per bot', async () => {
    // Prepare
    const f = await fakeWith();
    // Act
    const positions = await binanceFor(f).subAccountPositions([BOT_A, BOT_B], 'USDT');
    // Assess: 0.01 × 9973.50770517 + 0.5 × 3000.1, rounded down to 10⁻⁸
    expect(positions.get(BOT_A)).toEqual({
      known: true,
      notional: money('1599.78507705'),
      source: 'Binance position risk (2 open positions)',
    });
    expect(positions.get(BOT_B)).toEqual({
      known: true,
      notional: money(0),
      source: 'Binance position risk (0 open positions)',
    });
    expect(f.calls(POSITION_RISK_PATH)).toBe(2);
    expect(f.requests.every((r) => r.signed && r.status === 200)).toBe(true);
    expect(f.requests.map((r) => r.query.futuresType)).toEqual(['1', '1']);
  });

  it.each([
    ['a price that is not a number', { symbol: 'BTCUSDT', positionAmount: '1', markPrice: 'abc' }],
    ['a negative price', { symbol: 'BTCUSDT', positionAmount: '1', markPrice: '-5' }],
    ['an amount that is not a number', { symbol: 'BTCUSDT', positionAmount: null, markPrice: '5' }],
    ['an exponent', { symbol: 'BTCUSDT', positionAmount: '1e3', markPrice: '5' }],
    ['another quote currency', { symbol: 'BTCUSDC', positionAmount: '1', markPrice: '5' }],
  ])('makes a bot unknown, not zero, for %s', async (_what, row) => {
    // Prepare
    const f = await fakeWith();
    f.setPositions(BOT_B, [row]);
    // Act
    const positions = await binanceFor(f).subAccountPositions([BOT_A, BOT_B], 'USDT');
    // Assess: that bot only
    expect(positions.get(BOT_B)?.known).toBe(false);
    expect(positions.get(BOT_A)?.known).toBe(true);
  });

  it('leaves a bot unknown when its read fails, and a spot bot unread', async () => {
    // Prepare: BOT_B has no futures account; a third bot is spot
    const f = await fakeWith({
      subAccounts: { [BOT_A]: { futures: { USDT: 1 } }, [BOT_B]: { spot: { USDT: 1 } } },
    });
    const binance = binanceFor(f, { accountTypes: new Map([['spot@botfolio.test', 'spot']]) });
    // Act
    const positions = await binance.subAccountPositions(
      [BOT_A, BOT_B, 'spot@botfolio.test'],
      'USDT',
    );
    // Assess
    expect(positions.get(BOT_A)).toMatchObject({ known: true, notional: money(0) });
    expect(positions.get(BOT_B)).toMatchObject({ known: false });
    expect(positions.get('spot@botfolio.test')).toMatchObject({
      known: false,
      reason: expect.stringContaining('spot'),
    });
    expect(f.calls(POSITION_RISK_PATH)).toBe(2);
  });

  it('refuses a wrongly signed call (a wrong secret): the key is refused, nothing is guessed', async () => {
    // Prepare
    const f = await fakeWith();
    const binance = binanceFor(f, {
      key: async () => new ExchangeKey(f.masterKey.apiKey, 'not-the-secret'),
    });
    // Act & Assess
    await expect(binance.subAccountPositions([BOT_A], 'USDT')).rejects.toBeInstanceOf(
      AuthenticationFailedError,
    );
    expect(f.requests[0]?.status).toBe(400);
  });
});
