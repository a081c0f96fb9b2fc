/**
 * The campaign's checks on stale facts, on hand-made cycle runs: a silent drop is a decision
 * whose id other content held and that no collision alert named; a decision left out because
 * another plan held its bot never tried its id.
 */
import { describe, expect, it } from 'vitest';
import { money } from '../../functions/core/money.ts';
import { type PlannedTransfer, plannedEntry } from '../../functions/core/transfer.ts';
import { type CycleSeen, silentDrops } from '../../functions/local/chaos/families.ts';
import { specConfig } from '../core/fixtures.ts';

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
