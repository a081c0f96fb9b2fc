/**
 * The campaign's checks on stale facts, on hand-made cycle runs: a silent drop is a decision
 * whose id other content held and that no collision alert named; a decision left out because
 * another plan held its bot never tried its id. Three cycles into a black swan, a bot worth
 * protecting is unprotected unless its balance was unknown to one of the episode's cycles.
 */
import { describe, expect, it } from 'vitest';
import { type Money, money } from '../../functions/core/money.ts';
import { type PlannedTransfer, plannedEntry } from '../../functions/core/transfer.ts';
import {
  type CycleSeen,
  silentDrops,
  unprotectedBots,
} from '../../functions/local/chaos/families.ts';
import { specConfig, stateOf } from '../core/fixtures.ts';

const config = specConfig();
const CYCLE = '20260106T0015Z-15m';
const refill = (from: string, amount: string): PlannedTransfer => ({
  kind: 'refill',
  botId: '1h_lorentzian_sol',
  from: from as PlannedTransfer['from'],
  to: 'bot:1h_lorentzian_sol' as PlannedTransfer['to'],
  amount: money(amount),
  reason: 'refill to 0.75 × 150',
  leg: 0,
});
// The slot's first run journaled a refill from low_frequency (rejected since, or not).
const first = plannedEntry(refill('reserve:low_frequency', '89.66402840'), {
  portfolioId: config.portfolioId,
  cycleId: CYCLE,
  exchange: 'bybit',
  now: '2026-01-06T00:15:00.000Z',
});
const run = (held: readonly string[], batch: number, journaled = false): CycleSeen => ({
  cycleId: CYCLE,
  decisions: [
    journaled
      ? refill('reserve:low_frequency', '89.66402840')
      : refill('reserve:emergency', '75.65169309'),
  ],
  journaled: journaled ? [first] : [],
  unknownBots: new Set(),
  held: new Set(held),
  batch,
  portfolioId: config.portfolioId,
});

describe('silent drops', () => {
  it('counts a later run of the slot that decided other content for a taken id, unalerted', () => {
    // Act
    const problems: string[] = [];
    const n = silentDrops([run([], 1, true), run([], 2)], [first], new Set(), problems);
    // Assess
    expect(n).toBe(1);
    expect(problems).toEqual([
      `silent drop: refill of 1h_lorentzian_sol in ${CYCLE}, id held by other content`,
    ]);
  });

  it('leaves out a later run of the slot whose bot another plan held: it never tried the id', () => {
    // Act: a slow run of the slot, alongside the next slot's cycle that claimed the bot
    const problems: string[] = [];
    const n = silentDrops(
      [run([], 1, true), run(['1h_lorentzian_sol'], 2)],
      [first],
      new Set(),
      problems,
    );
    // Assess
    expect(n).toBe(0);
    expect(problems).toEqual([]);
  });
});

describe('unprotected bots', () => {
  const T0 = Date.parse('2026-01-05T23:45:00.000Z');
  const EPISODE = ['20260105T2345Z-15m', '20260106T0000Z-15m', '20260106T0015Z-15m'];
  const swan = stateOf(config, { 'flags.black_swan': true });
  // 5m_scalping_sol's protect was refused on the entry cycle (no transfer of it since); the
  // other three bots' protects are applied on the exchange.
  const protects = ['1h_lorentzian_sol', '4h_swing_btc', '15m_momentum_eth'].map((botId) =>
    plannedEntry(
      {
        kind: 'protect',
        botId,
        from: `bot:${botId}` as PlannedTransfer['from'],
        to: 'reserve:emergency',
        amount: money('20'),
        reason: 'black swan entered: 0.2 × balance 100 to safety',
        leg: 0,
      },
      {
        portfolioId: config.portfolioId,
        cycleId: EPISODE[0] ?? '',
        exchange: 'bybit',
        now: '2026-01-05T23:45:00.000Z',
      },
    ),
  );
  const check = (readings: ReturnType<typeof stateOf>[]) => {
    const problems: string[] = [];
    const n = unprotectedBots(
      config,
      {
        state: swan,
        episode: EPISODE,
        unknownInEpisode: new Set(),
        readings,
        equityOf: (): Money => money('100'),
        all: protects,
        applied: new Set(protects.map((e) => e.id)),
        since: T0 - 15 * 60_000,
        now: T0 + 30 * 60_000,
      },
      problems,
    );
    return { n, problems };
  };

  it('counts a bot every cycle of the episode read that holds money and was never protected', () => {
    // Act
    const found = check([swan, swan, swan]);
    // Assess
    expect(found.n).toBe(1);
    expect(found.problems).toEqual([
      `unprotected: 5m_scalping_sol holds money 3 cycles into the black swan of ${EPISODE[0]}`,
    ]);
  });

  it('leaves out a bot whose balance read failed in a cycle of the episode: it could not be sized', () => {
    // Prepare: the second cycle ran, but its read of the bot's account failed
    const unread = stateOf(config, {
      'flags.black_swan': true,
      'bots.5m_scalping_sol.balance': null,
    });
    // Act
    const found = check([swan, unread, swan]);
    // Assess
    expect(found).toEqual({ n: 0, problems: [] });
  });
});
