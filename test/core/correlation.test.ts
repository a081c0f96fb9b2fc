/** Correlation monitoring's math (DESIGN.md §11): daily returns from end-of-day equity, Pearson per pair, pool averages. */
import { describe, expect, it } from 'vitest';
import type { EquitySample } from '../../functions/core/analytics.ts';
import {
  closeDays,
  dailyCloseReturns,
  endOfDayCloses,
  MIN_COMMON_DAYS,
  pairCorrelation,
  poolCorrelations,
} from '../../functions/core/correlation.ts';
import { money } from '../../functions/core/money.ts';

/** Consecutive UTC days from 2026-11-01, as `2026-11-01`. */
const day = (i: number) => new Date(Date.UTC(2026, 10, 1 + i)).toISOString().slice(0, 10);

/** Returns by day from a list (undefined: no return that day). */
const series = (rs: readonly (number | undefined)[]) =>
  new Map(rs.flatMap((r, i) => (r === undefined ? [] : [[day(i), r] as const])));

const up = [0.01, -0.02, 0.03, 0.005, -0.01, 0.02, -0.015, 0.01, 0.004, -0.007];

describe('Pearson correlation of two bots’ daily returns', () => {
  it('is 1 for bots whose returns move together (one a scaled copy of the other)', () => {
    const c = pairCorrelation(series(up), series(up.map((r) => 2 * r + 0.001)));
    expect(c).toEqual({ known: true, r: expect.closeTo(1, 12), days: 10 });
  });

  it('is −1 for bots whose returns move against each other', () => {
    const c = pairCorrelation(series(up), series(up.map((r) => -r)));
    expect(c).toEqual({ known: true, r: expect.closeTo(-1, 12), days: 10 });
  });

  it(`is unknown, not 0, below ${MIN_COMMON_DAYS} common days`, () => {
    const six = up.slice(0, MIN_COMMON_DAYS - 1);
    expect(pairCorrelation(series(six), series(six))).toEqual({
      known: false,
      days: 6,
      why: '6 common daily returns, 7 needed',
    });
  });

  it('counts only the days both bots have, leaving out the missing ones', () => {
    // b misses days 2, 5 and 8; on the seven days both have, b is a's copy: still 1.
    const b = up.map((r, i) => ([2, 5, 8].includes(i) ? undefined : r));
    expect(pairCorrelation(series(up), series(b))).toEqual({
      known: true,
      r: expect.closeTo(1, 12),
      days: 7,
    });
    // one day more missing: too few in common
    const fewer = b.map((r, i) => (i === 9 ? undefined : r));
    expect(pairCorrelation(series(up), series(fewer))).toMatchObject({ known: false, days: 6 });
  });

  it('is unknown for a bot whose returns never varied (an idle bot)', () => {
    expect(pairCorrelation(series(up), series(up.map(() => 0)))).toMatchObject({
      known: false,
      why: 'a bot’s daily returns never varied',
    });
  });
});

describe('daily returns from end-of-day equity', () => {
  const sample = (at: string, balance: number, net = 100): EquitySample => ({
    at,
    balance: money(balance),
    netContributed: money(net),
  });

  it('takes the last snapshot of each UTC day as its close', () => {
    const closes = endOfDayCloses([
      sample('2026-11-01T08:00:00.000Z', 90),
      sample('2026-11-01T23:45:00.000Z', 100),
      sample('2026-11-02T12:00:00.000Z', 110),
    ]);
    expect([...closes].map(([d, s]) => [d, s.balance])).toEqual([
      ['2026-11-01', money(100)],
      ['2026-11-02', money(110)],
    ]);
  });

  it('is flow-adjusted (a harvest is not a loss), and a missing day breaks the series', () => {
    const closes = endOfDayCloses([
      sample('2026-11-01T23:00:00.000Z', 100),
      sample('2026-11-02T23:00:00.000Z', 110),
      // 30 harvested on day 3: the balance falls to 88 but the bot made 8 = +7.27%
      sample('2026-11-03T23:00:00.000Z', 88, 70),
      // no close on day 4: days 4 and 5 have no return
      sample('2026-11-05T23:00:00.000Z', 99, 70),
      sample('2026-11-06T23:00:00.000Z', 99, 70),
    ]);
    const days = [
      '2026-11-01',
      '2026-11-02',
      '2026-11-03',
      '2026-11-04',
      '2026-11-05',
      '2026-11-06',
    ];
    const r = dailyCloseReturns(closes, days);
    expect([...r.keys()]).toEqual(['2026-11-02', '2026-11-03', '2026-11-06']);
    expect(r.get('2026-11-02')).toBeCloseTo(0.1, 12);
    expect(r.get('2026-11-03')).toBeCloseTo(118 / 110 - 1, 12);
    expect(r.get('2026-11-06')).toBe(0);
  });

  it('reads the complete days before the as-of day, and the one before them', () => {
    expect(closeDays('2026-11-20T12:00:00.000Z', 7)).toEqual([
      '2026-11-12',
      '2026-11-13',
      '2026-11-14',
      '2026-11-15',
      '2026-11-16',
      '2026-11-17',
      '2026-11-18',
      '2026-11-19',
    ]);
  });
});

describe('a pool’s average pairwise correlation', () => {
  it('averages the known pairs, and gives each bot its average with its mates', () => {
    const [pool] = poolCorrelations(
      new Map([['lf', ['a', 'b', 'c', 'new']]]),
      new Map([
        ['a', series(up)],
        ['b', series(up)],
        ['c', series(up.map((r) => -r))],
        ['new', series([0.01, 0.02])], // two days only: its pairs are unknown
      ]),
    );
    // pairs: a–b 1, a–c −1, b–c −1 known; the three with `new` unknown
    expect(pool?.pairs).toBe(6);
    expect(pool?.knownPairs).toBe(3);
    expect(pool?.average).toBeCloseTo(-1 / 3, 12);
    expect(pool?.minDays).toBe(10);
    expect(pool?.perBot.get('a')).toEqual({ average: expect.closeTo(0, 12), knownPairs: 2 });
    expect(pool?.perBot.get('c')).toEqual({ average: expect.closeTo(-1, 12), knownPairs: 2 });
    expect(pool?.perBot.get('new')).toEqual({ average: undefined, knownPairs: 0 });
  });

  it('is unknown for a pool with no known pair (one bot, or too little history)', () => {
    const pools = poolCorrelations(
      new Map([
        ['solo', ['a']],
        ['young', ['x', 'y']],
      ]),
      new Map([
        ['a', series(up)],
        ['x', series(up.slice(0, 3))],
        ['y', series(up.slice(0, 3))],
      ]),
    );
    expect(pools.map((p) => [p.pool, p.average, p.pairs])).toEqual([
      ['solo', undefined, 0],
      ['young', undefined, 1],
    ]);
  });
});
