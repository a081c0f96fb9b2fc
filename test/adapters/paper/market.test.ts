import { describe, expect, it } from 'vitest';
import { PaperExchange } from '../../../functions/adapters/paper/exchange.ts';
import {
  type BotProfile,
  BotSimulator,
  crash,
  DEMO_SEED,
  defaultProfiles,
  multipliersFromEquityCurve,
} from '../../../functions/adapters/paper/market.ts';
import { type Money, money, moneyFromFloat, toFloat } from '../../../functions/core/money.ts';

/** The spec portfolio's sub-accounts and capital bases (examples/spec-portfolio.json). */
const SPEC_BOTS: Record<string, number> = {
  '6712345678': 150,
  '6712345679': 150,
  '6712345680': 100,
  '6712345681': 100,
};
const SPEC_UIDS = Object.keys(SPEC_BOTS);

function funded(): PaperExchange {
  return new PaperExchange({
    currency: 'USDT',
    master: money(490),
    subAccounts: Object.fromEntries(SPEC_UIDS.map((uid) => [uid, money(SPEC_BOTS[uid] ?? 0)])),
  });
}

function path(sim: BotSimulator, ex: PaperExchange, steps: number): Money[][] {
  return Array.from({ length: steps }, () => sim.step(ex).map((m) => m.after));
}

describe('BotSimulator', () => {
  it('walks the same path for the same seed', () => {
    const profiles = defaultProfiles(SPEC_UIDS);

    const a = path(new BotSimulator({ seed: 9, profiles }), funded(), 40);
    const b = path(new BotSimulator({ seed: 9, profiles }), funded(), 40);

    expect(a).toEqual(b);
  });

  it('walks another path for another seed', () => {
    const profiles = defaultProfiles(SPEC_UIDS);

    const a = path(new BotSimulator({ seed: 9, profiles }), funded(), 10);
    const b = path(new BotSimulator({ seed: 10, profiles }), funded(), 10);

    expect(a).not.toEqual(b);
  });

  it('gives a bot the same path whatever other bots there are', () => {
    const profile: BotProfile = { drift: 0, volatility: 0.05 };
    const alone = new BotSimulator({ seed: 4, profiles: { A: profile } });
    const together = new BotSimulator({ seed: 4, profiles: { Z: profile, A: profile } });
    const ex1 = new PaperExchange({
      currency: 'USDT',
      master: money(0),
      subAccounts: { A: money(100) },
    });
    const ex2 = new PaperExchange({
      currency: 'USDT',
      master: money(0),
      subAccounts: { A: money(100), Z: money(100) },
    });

    for (let i = 0; i < 10; i++) {
      alone.step(ex1);
      together.step(ex2);
    }

    expect(ex2.equityOf('A')).toBe(ex1.equityOf('A'));
  });

  it('moves equity by its drift and volatility (mean and spread of returns)', () => {
    const sim = new BotSimulator({ seed: 2, profiles: { A: { drift: 0.01, volatility: 0.02 } } });
    const ex = new PaperExchange({
      currency: 'USDT',
      master: money(0),
      subAccounts: { A: money(1e6) },
    });

    const returns = Array.from({ length: 4000 }, () => {
      ex.setSubAccountEquity('A', money(1e6));
      return (sim.step(ex)[0]?.multiplier ?? 1) - 1;
    });

    const mean = returns.reduce((s, r) => s + r, 0) / returns.length;
    const sd = Math.sqrt(returns.reduce((s, r) => s + (r - mean) ** 2, 0) / returns.length);
    expect(mean).toBeCloseTo(0.01, 3);
    expect(sd).toBeCloseTo(0.02, 3);
  });

  it('turns each new equity into money once, rounded down, and never below zero', () => {
    const sim = new BotSimulator({ seed: 1, profiles: { A: { drift: -0.5, volatility: 1 } } });
    const ex = new PaperExchange({
      currency: 'USDT',
      master: money(0),
      subAccounts: { A: money(100) },
    });

    for (let i = 0; i < 20; i++) {
      const [move] = sim.step(ex);
      if (!move) throw new Error('no move');
      const expected = moneyFromFloat(Math.max(0, toFloat(move.before) * move.multiplier));
      expect(move.after).toBe(expected);
      expect(move.after >= 0n).toBe(true);
    }
  });

  it('books the moves on the exchange as trading PnL, not transfers', () => {
    const ex = funded();
    const sim = new BotSimulator({ seed: 3, profiles: defaultProfiles(SPEC_UIDS) });

    sim.step(ex);

    const books = ex.books();
    const uid = SPEC_UIDS[0] ?? '';
    const account = books.subAccounts.get(uid);
    expect(account?.balance).toBe(ex.equityOf(uid));
    expect(account && account.balance - account.opening).toBe(account?.tradingPnl);
    expect(books.transfers).toEqual([]);
  });

  it('crashes every bot at the given step', () => {
    const flat: BotProfile = { drift: 0, volatility: 0 };
    const sim = new BotSimulator({
      seed: 1,
      profiles: { A: flat, B: { replay: [1.1] } },
      shocks: [crash({ at: 1, drop: 0.5 })],
    });
    const ex = new PaperExchange({
      currency: 'USDT',
      master: money(0),
      subAccounts: { A: money(100), B: money(100) },
    });

    sim.step(ex);
    expect([ex.equityOf('A'), ex.equityOf('B')]).toEqual([money(100), money(110)]);
    sim.step(ex);
    expect([ex.equityOf('A'), ex.equityOf('B')]).toEqual([money(50), money(55)]);
  });

  it('refuses a crash dropping more than everything', () => {
    expect(() => crash({ at: 3, drop: 1.5 })).toThrow(RangeError);
  });

  it('replays an equity curve, then holds flat', () => {
    const replay = multipliersFromEquityCurve([100, 120, 90, 135]);
    const sim = new BotSimulator({ seed: 1, profiles: { A: { replay } } });
    const ex = new PaperExchange({
      currency: 'USDT',
      master: money(0),
      subAccounts: { A: money(200) },
    });

    const seen = Array.from({ length: 5 }, () => sim.step(ex)[0]?.after);

    expect(seen).toEqual([money(240), money(180), money(270), money(270), money(270)]);
  });

  it('resumes from JSON exactly where it stopped', () => {
    const profiles = defaultProfiles(SPEC_UIDS);
    const straight = new BotSimulator({
      seed: 5,
      profiles,
      shocks: [crash({ at: 12, drop: 0.3 })],
    });
    const exStraight = funded();
    path(straight, exStraight, 8);
    const rest = path(straight, exStraight, 8);

    const first = new BotSimulator({ seed: 5, profiles, shocks: [crash({ at: 12, drop: 0.3 })] });
    const exSaved = funded();
    path(first, exSaved, 8);
    const resumed = BotSimulator.fromJSON(JSON.parse(JSON.stringify(first)));
    const restoredExchange = PaperExchange.fromJSON(JSON.parse(JSON.stringify(exSaved)));

    expect(resumed.steps).toBe(8);
    expect(path(resumed, restoredExchange, 8)).toEqual(rest);
  });
});

describe('defaultProfiles on the spec portfolio', () => {
  it(`makes one bot win ≥ 1.25× and one lose ≤ 0.25× within 30 steps (seed ${DEMO_SEED})`, () => {
    const ex = funded();
    const sim = new BotSimulator({ seed: DEMO_SEED, profiles: defaultProfiles(SPEC_UIDS) });
    const ratios = SPEC_UIDS.map(() => [] as number[]);

    for (let step = 0; step < 30; step++) {
      sim.step(ex);
      SPEC_UIDS.forEach((uid, i) => {
        ratios[i]?.push(toFloat(ex.equityOf(uid)) / (SPEC_BOTS[uid] ?? 1));
      });
    }

    const best = ratios.map((r) => Math.max(...r));
    const worst = ratios.map((r) => Math.min(...r));
    expect(Math.max(...best)).toBeGreaterThanOrEqual(1.25);
    expect(Math.min(...worst)).toBeLessThanOrEqual(0.25);
  });

  it('gives the first bot the winning profile and the last the losing one', () => {
    const profiles = defaultProfiles(['a', 'b', 'c', 'd']);

    expect(profiles.a).toMatchObject({ drift: 0.03 });
    expect(profiles.d).toMatchObject({ drift: -0.07 });
    expect(profiles.b).not.toEqual(profiles.a);
  });
});
