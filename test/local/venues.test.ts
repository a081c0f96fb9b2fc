/**
 * A two-exchange portfolio (examples/venues-portfolio.json: low_frequency on Bitget, the primary,
 * high_frequency on Binance) run through the real use cases and both real adapters, each against
 * its own fake server with its own master account: every transfer moves on its bot's exchange,
 * a refill draws only on its own exchange's reserves, and reconciliation checks each master
 * account against the books of the reserves in it (DESIGN.md §5, venues).
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type Config, parseConfig } from '../../functions/core/config.ts';
import { add, formatMoney, type Money, money, sub, sum, ZERO } from '../../functions/core/money.ts';
import type { Exchange } from '../../functions/core/ports.ts';
import { type DrivenFake, FAKE_EXCHANGES } from '../../functions/local/chaos/fakes.ts';
import { type LocalRuntime, startLocalRuntime } from '../../functions/local/runtime.ts';
import { booksByExchange } from '../../functions/usecases/master-accounts.ts';
import { withPaths } from '../core/fixtures.ts';

const T0 = Date.parse('2026-12-03T12:00:00Z');
const CYCLE = 15 * 60_000;
const USDT = 'USDT';

const FILE = new URL('../../examples/venues-portfolio.json', import.meta.url);
// A 100 minimum over both parts: each exchange's part has 50 above its own to refill from.
const config: Config = parseConfig(
  withPaths(JSON.parse(readFileSync(FILE, 'utf8')), { 'emergency_reserve.minimum': 100 }),
);

let fakes: DrivenFake[] = [];
let rt: LocalRuntime | undefined;
afterEach(async () => {
  await rt?.close();
  await Promise.all(fakes.map((f) => f.fake.close()));
  rt = undefined;
  fakes = [];
});

/**
 * Each exchange's fake, its master holding the opening books of the reserves on it, with a
 * sub-account for each of its bots (and for `more`, by exchange).
 */
async function twoExchanges(
  now: () => number,
  on: Config = config,
  more: Readonly<Record<string, readonly string[]>> = {},
) {
  const config = on;
  const opening = booksByExchange(
    config,
    new Map([
      ...config.emergencyReserve.parts.map((p) => [p.reserve, p.capital] as const),
      ...[...config.pools.values()].map((p) => [p.name, p.capital] as const),
    ]),
  );
  const started = new Map<string, DrivenFake>();
  for (const name of ['bitget', 'binance'] as const) {
    const driven = await FAKE_EXCHANGES[name].start(
      {
        master: { spot: { [USDT]: formatMoney(opening.get(name) ?? ZERO) } },
        subAccounts: Object.fromEntries(
          [
            ...config.bots.filter((b) => b.exchange === name).map((b) => b.account),
            ...(more[name] ?? []),
          ].map((uid) => [uid, { futures: { [USDT]: 0 } }]),
        ),
      },
      { now, clientClock: Date.now, enforceRateLimits: false },
    );
    fakes.push(driven);
    started.set(name, driven);
  }
  return started;
}

const masterOf = (d: DrivenFake | undefined): Money =>
  d
    ? add(d.fake.balance(d.masterId, 'spot', USDT), d.fake.balance(d.masterId, 'futures', USDT))
    : ZERO;

describe('a portfolio on Bitget and Binance', () => {
  it('moves each bot’s money on its own exchange, refills from its own exchange only, and reconciles each master', async () => {
    // Prepare
    let t = T0;
    // The exchanges' clock: the run's, moving with real time too (an adapter waits out its
    // endpoints' limits in real time, and the next call must see that time has passed).
    const wall = Date.now();
    const now = () => t + (Date.now() - wall);
    const venues = await twoExchanges(now);
    const bitget = venues.get('bitget');
    const binance = venues.get('binance');
    expect(masterOf(bitget)).toBe(money(600)); // emergency 100 + low_frequency 500
    expect(masterOf(binance)).toBe(money(400)); // emergency@binance 100 + high_frequency 300
    rt = await startLocalRuntime({
      config,
      exchanges: () =>
        new Map<string, Exchange>(
          [...venues].map(([name, d]) => [name, d.adapter(config, now, 5_000)] as const),
        ),
      serial: true,
      retryIntervalMs: 0,
      now: () => new Date(t),
    });

    // Act 1: the allocation cycle
    const first = await rt.cycle(new Date(t));
    // Assess: each allocation on its bot's exchange, from its pool's reserve there
    const all = await rt.store.journal.byStatus(config.portfolioId, ['completed']);
    expect(all.map((e) => [e.botId, e.exchange, e.from]).sort()).toEqual([
      ['15m_momentum_eth', 'binance', 'reserve:high_frequency'],
      ['1h_lorentzian_sol', 'bitget', 'reserve:low_frequency'],
      ['4h_swing_btc', 'bitget', 'reserve:low_frequency'],
      ['5m_scalping_sol', 'binance', 'reserve:high_frequency'],
    ]);
    expect(first.cycleId).toBeDefined();
    expect(masterOf(bitget)).toBe(money(300));
    expect(masterOf(binance)).toBe(money(200));
    expect(bitget?.applied()).toHaveLength(2);
    expect(binance?.applied()).toHaveLength(2);

    // Act 2: both Binance bots lose most of their money; Bitget's bots hold
    binance?.fake.setBalance('5m.scalping.sol_virtual@example.com', 'futures', USDT, 20);
    binance?.fake.setBalance('15m.momentum.eth_virtual@example.com', 'futures', USDT, 20);
    const bitgetBefore = masterOf(bitget);
    const binanceBefore = masterOf(binance);
    t += CYCLE;
    await rt.cycle(new Date(t));

    // Assess: 55 is needed by each (75 − 20). high_frequency gives its 100, Binance's
    // emergency part the rest (10) above its minimum; Bitget's part, holding as much, gives nothing
    const refills = (await rt.store.journal.byStatus(config.portfolioId, ['completed'])).filter(
      (e) => e.kind === 'refill',
    );
    expect(refills.length).toBeGreaterThanOrEqual(2);
    for (const r of refills) {
      expect(r.exchange).toBe('binance');
      expect(['reserve:high_frequency', 'reserve:emergency@binance']).toContain(r.from);
    }
    const refilled = sum(refills.map((r) => r.amount));
    expect(refilled).toBe(money(110));
    expect(refills.some((r) => r.from === 'reserve:emergency@binance')).toBe(true);
    expect(masterOf(bitget)).toBe(bitgetBefore);
    expect(masterOf(binance)).toBe(sub(binanceBefore, refilled));
    const state = await rt.store.portfolio.load(config.portfolioId);
    expect(state?.reserves.get('emergency')).toBe(money(100));
    expect(state?.reserves.get('emergency@binance')).toBe(money(90));

    // Act 3: reconciliation, once nothing is in flight
    t += 60_000;
    const report = await rt.reconcile();
    // Assess: each master against the books of its own reserves
    expect(report.reserves.agree).toBe(true);
    expect(report.reserves.masters?.map((m) => [m.exchanges, m.master, m.agree])).toEqual([
      [['bitget'], money(300), true],
      [['binance'], money(90), true],
    ]);

    // Act 4: money goes missing from Binance's master only (taken out by hand)
    binance?.fake.setBalance(binance.masterId, 'spot', USDT, 50);
    t += 60_000;
    const short = await rt.reconcile();
    // Assess: the mismatch names Binance's master, and Bitget's still agrees
    expect(short.reserves.agree).toBe(false);
    expect(short.reserves.masters?.map((m) => [m.exchanges[0], m.agree])).toEqual([
      ['bitget', true],
      ['binance', false],
    ]);
  }, 60_000);

  it('draws nothing on a master for a pool the config moved there: its money is still in the other one', async () => {
    // Prepare: a third pool, spare, on Bitget with a bot not yet enabled
    const raw = JSON.parse(readFileSync(FILE, 'utf8'));
    const spare = {
      'emergency_reserve.minimum': 100,
      'pools.low_frequency.share': 0.4,
      'pools.low_frequency.reserve_ratio': 0.25,
      'pools.spare': {
        share: 0.1,
        reserve_ratio: 0.5,
        harvest_threshold: 1.25,
        harvest_percentage: 0.5,
        allocation_per_bot: 50,
      },
      'bots[4]': {
        bot_id: 'spare_bot',
        pool: 'spare',
        exchange: 'bitget',
        account: '6712345690',
        enabled: false,
      },
    };
    const before = parseConfig(withPaths(raw, spare));
    // The same portfolio with spare moved to Binance, its bot enabled there
    const moved = parseConfig(
      withPaths(raw, {
        ...spare,
        'pools.spare.exchange': 'binance',
        'bots[4]': {
          bot_id: 'spare_bot',
          pool: 'spare',
          exchange: 'binance',
          account: 'spare.bot_virtual@example.com',
        },
      }),
    );
    let t = T0;
    const wall = Date.now();
    const now = () => t + (Date.now() - wall);
    const venues = await twoExchanges(now, before, { binance: ['spare.bot_virtual@example.com'] });
    const binance = venues.get('binance');
    rt = await startLocalRuntime({
      config: before,
      exchanges: () =>
        new Map<string, Exchange>(
          [...venues].map(([name, d]) => [name, d.adapter(before, now, 5_000)] as const),
        ),
      serial: true,
      retryIntervalMs: 0,
      now: () => new Date(t),
    });
    await rt.cycle(new Date(t)); // the four allocations
    const binanceBefore = masterOf(binance);
    expect(binanceBefore).toBe(money(200)); // emergency@binance 100 + high_frequency 100

    // Act: the config moves spare (100 in the books, in Bitget's master) to Binance
    rt.reconfigure(moved);
    t += CYCLE;
    const result = await rt.cycle(new Date(t));

    // Assess: Binance's master is short of the books now said to be in it — reserves frozen, no
    // allocation of spare_bot out of money Binance holds for emergency@binance
    expect(result.plan.transfers.filter((x) => x.botId === 'spare_bot')).toEqual([]);
    expect(result.plan.alerts.map((a) => a.message)).toContainEqual(
      expect.stringMatching(
        /^the master account on binance holds 200 USDT, its reserves' books 300: nothing comes out of a reserve/,
      ),
    );
    expect(masterOf(binance)).toBe(binanceBefore);
  }, 60_000);
});
