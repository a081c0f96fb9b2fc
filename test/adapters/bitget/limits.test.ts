/** The per-endpoint rate limiter, cursor pagination and exact decimals of the Bitget adapter. */

import { describe, expect, it } from 'vitest';
import { ccxtErrors } from '../../../functions/adapters/bitget/ccxt.ts';
import {
  exchangeDecimal,
  parseFuturesSubAccounts,
  parseSpotSubAccountPage,
} from '../../../functions/adapters/bitget/responses.ts';
import { collectPages } from '../../../functions/adapters/venue/pagination.ts';
import { EndpointRateLimiter } from '../../../functions/adapters/venue/rate-limiter.ts';
import { RateLimitedError } from '../../../functions/core/errors.ts';
import { money } from '../../../functions/core/money.ts';
import { known } from '../../../functions/core/readings.ts';

/** A limiter on a hand-moved clock; `slept` records each wait. */
function limiterAt(maxWaitMs = 60_000) {
  let now = 0;
  const slept: number[] = [];
  const limiter = new EndpointRateLimiter(
    { spot: { calls: 10, perMs: 1_000 }, futures: { calls: 1, perMs: 10_000 } },
    {
      maxWaitMs,
      now: () => now,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
    },
  );
  return { limiter, slept, advance: (ms: number) => (now += ms) };
}

describe('EndpointRateLimiter', () => {
  it('lets an endpoint burst up to its limit, then spaces the calls', async () => {
    // Prepare
    const { limiter, slept } = limiterAt();
    // Act
    for (let i = 0; i < 12; i++) await limiter.acquire('spot');
    // Assess: ten at once, then one every 100 ms
    expect(slept).toEqual([100, 100]);
  });

  it('keeps each endpoint’s budget apart (one futures call per 10 s, whatever spot does)', async () => {
    // Prepare
    const { limiter, slept, advance } = limiterAt();
    // Act
    await limiter.acquire('futures');
    for (let i = 0; i < 10; i++) await limiter.acquire('spot');
    advance(4_000);
    await limiter.acquire('futures');
    // Assess
    expect(slept).toEqual([6_000]);
  });

  it('fails at once with RateLimitedError rather than wait longer than allowed', async () => {
    // Prepare
    const { limiter, slept } = limiterAt(5_000);
    await limiter.acquire('futures');
    // Act & Assess
    await expect(limiter.acquire('futures')).rejects.toThrow(RateLimitedError);
    expect(slept).toEqual([]);
    expect(limiter.waitFor('futures')).toBe(10_000);
  });
});

describe('collectPages', () => {
  const pages = [[5, 4], [3, 2], [1]];

  it('follows the cursor until a short page', async () => {
    // Prepare
    const cursors: (string | undefined)[] = [];
    // Act
    const items = await collectPages(
      async (cursor) => {
        cursors.push(cursor);
        return pages[cursors.length - 1] ?? [];
      },
      String,
      { pageSize: 2 },
    );
    // Assess
    expect(items).toEqual([5, 4, 3, 2, 1]);
    expect(cursors).toEqual([undefined, '4', '2']);
  });

  it('stops on a cursor that does not move instead of looping', async () => {
    // Act & Assess
    await expect(collectPages(async () => [7, 7], String, { pageSize: 2 })).rejects.toThrow(
      ccxtErrors.BadResponse,
    );
  });
});

describe('exchangeDecimal', () => {
  it('reads decimal text exactly', () => {
    expect(exchangeDecimal('1020.00000000')).toBe(money('1020'));
    expect(exchangeDecimal('0.1')).toBe(money('0.1'));
    expect(exchangeDecimal(12.5)).toBe(money('12.5'));
  });

  it('floors digits beyond 10⁻⁸ (never rounding money up)', () => {
    expect(exchangeDecimal('150.123456789')).toBe(money('150.12345678'));
    expect(exchangeDecimal('-2.000000001')).toBe(money('-2.00000001'));
  });

  it('refuses what is not a decimal', () => {
    expect(() => exchangeDecimal('1e5')).toThrow(RangeError);
    expect(() => exchangeDecimal('')).toThrow(RangeError);
  });
});

describe('Bitget answers', () => {
  it('sums a sub-account’s spot holding of the currency: available, frozen and locked', () => {
    // Prepare
    const answer = {
      code: '00000',
      data: [
        {
          id: 1111,
          userId: 6712345678,
          assetsList: [
            { coin: 'USDT', available: '10.5', frozen: '1', locked: '0.25' },
            { coin: 'BTC', available: '1', frozen: '0', locked: '0' },
          ],
        },
      ],
    };
    // Act & Assess
    expect(parseSpotSubAccountPage(answer, 'USDT')).toEqual([
      { id: '1111', uid: '6712345678', held: money('11.75') },
    ]);
  });

  it('takes a sub-account’s futures equity from accountEquity, or equity (the docs disagree)', () => {
    // Prepare
    const answer = {
      data: [
        {
          userId: '1',
          assetList: [{ marginCoin: 'USDT', available: '1', accountEquity: '150.2' }],
        },
        { userId: '2', assetList: [{ marginCoin: 'USDT', available: '1', equity: '99' }] },
        { userId: '3', assetList: [{ marginCoin: 'USDC', available: '5', accountEquity: '5' }] },
      ],
    };
    // Act
    const equity = parseFuturesSubAccounts(answer, 'USDT');
    // Assess
    expect(equity).toEqual(
      new Map([
        ['1', known(money('150.2'))],
        ['2', known(money('99'))],
      ]),
    );
  });

  it('reads a null, missing, unparseable or negative futures equity as unknown, never as 0', () => {
    // Prepare: one good account beside each way an answer can fail to give a balance
    const account = (userId: string, fields: Record<string, unknown>) => ({
      userId,
      assetList: [{ marginCoin: 'USDT', available: '1', ...fields }],
    });
    const answer = {
      data: [
        account('ok', { accountEquity: '10' }),
        account('null', { accountEquity: null, equity: null }),
        account('missing', {}),
        account('text', { accountEquity: 'n/a' }),
        account('negative', { accountEquity: '-3' }),
        account('huge', { accountEquity: '1e20' }),
      ],
    };
    // Act
    const equity = parseFuturesSubAccounts(answer, 'USDT');
    // Assess: the good one is known, the broken ones are unknown and say why, the answer parses
    expect(equity.get('ok')).toEqual(known(money(10)));
    for (const uid of ['null', 'missing', 'text', 'negative', 'huge']) {
      expect(equity.get(uid)?.known, uid).toBe(false);
    }
    expect(equity.get('negative')).toEqual({
      known: false,
      reason: 'futures equity "-3" is negative',
    });
  });

  it('calls an answer of the wrong shape a bad response', () => {
    expect(() => parseSpotSubAccountPage({ data: [{ id: 1 }] }, 'USDT')).toThrow(
      ccxtErrors.BadResponse,
    );
  });
});
