/**
 * The fault campaign, CI-sized: it holds (nothing doubled, lost or off), it injects what it says,
 * a seed replays exactly, and the command keeps its contract. The checks it relies on are shown
 * to catch a transfer applied twice.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PaperExchange } from '../../functions/adapters/paper/exchange.ts';
import { money } from '../../functions/core/money.ts';
import { holds, runCampaign, summarize } from '../../functions/local/chaos/campaign.ts';
import { auditAgainstPaper } from '../../functions/local/paper-audit.ts';
import { specConfig } from '../core/fixtures.ts';

const root = new URL('../..', import.meta.url).pathname;
const base = JSON.parse(readFileSync(join(root, 'examples/spec-portfolio.json'), 'utf8'));
const campaign = (runs: number, seed: number) =>
  runCampaign(
    { base, seed, cycles: 8, runs: Array.from({ length: runs }, (_, i) => i) },
    { workers: 1 },
  );

describe('the fault campaign', () => {
  it('holds over 10 runs: nothing doubled, lost or off, under every kind of fault', async () => {
    // Act
    const summary = summarize(await campaign(10, 2027), { seed: 2027, cycles: 8 });
    // Assess
    expect(summary.failures).toEqual([]);
    expect(summary).toMatchObject({ runs: 10, duplicates: 0, lost: 0, mismatch: 0 });
    expect(holds(summary)).toBe(true);
    // It did inject: faults of most kinds, deaths, duplicate starts, repeated cycles.
    expect(Object.values(summary.faults).filter((n) => n > 0).length).toBeGreaterThanOrEqual(4);
    expect(summary.deaths).toBeGreaterThan(0);
    expect(summary.duplicateStarts).toBeGreaterThan(0);
    expect(summary.repeatedCycles).toBeGreaterThan(0);
    expect(summary.completed).toBeGreaterThan(summary.runs * 4);
    // Every family of stale facts was injected, and no money moved on them.
    expect(Object.values(summary.families).every((n) => n > 0)).toBe(true);
    expect(summary).toMatchObject({
      unknown_decisions: 0,
      double_moves: 0,
      stale_moves: 0,
      silent_drops: 0,
      unprotected: 0,
    });
  });

  it("plays a portfolio's life in the storm: every change settled, nothing moved in drift, no bot funded twice", async () => {
    // Act: runs of seed 8 that drew the lifecycle family, between them every kind of its events
    const runs = [8, 10, 17, 18, 21, 28];
    const summary = summarize(
      await runCampaign({ base, seed: 8, cycles: 8, runs }, { workers: 1 }),
      { seed: 8, cycles: 8 },
    );
    // Assess
    expect(summary.failures).toEqual([]);
    expect(holds(summary)).toBe(true);
    expect(summary).toMatchObject({ drift_moves: 0, double_funding: 0, unsettled: 0 });
    const played = Object.entries(summary.lifecycle_events).filter(([, n]) => n > 0);
    expect(played.map(([k]) => k).sort()).toEqual(
      expect.arrayContaining(['account', 'lost_books', 'new_portfolio_id', 'rename', 'withdraw']),
    );
    expect(played.length).toBeGreaterThanOrEqual(10);
  });

  it('holds on a fake Bitget through the real adapter, its own parsing included', async () => {
    // Act
    const runs = Array.from({ length: 4 }, (_, i) => i);
    const results = await runCampaign(
      { base, seed: 11, cycles: 8, runs, exchange: 'bitget' },
      { workers: 1 },
    );
    const summary = summarize(results, { seed: 11, cycles: 8, exchange: 'bitget' });
    // Assess: it moved money, met faults and garbled answers, and nothing went wrong
    expect(summary.failures).toEqual([]);
    expect(holds(summary)).toBe(true);
    expect(summary.completed).toBeGreaterThan(summary.runs * 4);
    expect(summary.faults.unavailable).toBeGreaterThan(0);
    expect(summary.families.partial_balances).toBeGreaterThan(0);
  });

  it.each(['binance', 'okx', 'bybit'] as const)(
    'holds on a fake %s through its real adapter, its own parsing included',
    async (exchange) => {
      // Act
      const runs = Array.from({ length: 3 }, (_, i) => i);
      const results = await runCampaign(
        { base, seed: 11, cycles: 8, runs, exchange },
        { workers: 1 },
      );
      const summary = summarize(results, { seed: 11, cycles: 8, exchange });
      // Assess: it moved money on that exchange, met faults on the wire and garbled answers
      expect(summary.failures).toEqual([]);
      expect(holds(summary)).toBe(true);
      expect(summary.exchange).toBe(exchange);
      expect(summary.completed).toBeGreaterThan(summary.runs * 4);
      expect(summary.faults.timeout_after).toBeGreaterThan(0);
      expect(summary.families.partial_balances).toBeGreaterThan(0);
    },
  );

  it('replays a seed exactly', async () => {
    // Act
    const [a, b] = [await campaign(3, 7), await campaign(3, 7)];
    // Assess
    expect(b).toEqual(a);
  });

  it('prints the contract object on stdout and progress on stderr, and exits 0 when it holds', () => {
    // Act
    const r = spawnSync(
      join(root, 'node_modules/.bin/tsx'),
      ['bin/botfolio.ts', 'chaos', '--runs', '2', '--seed', '5', '--json'],
      { cwd: root, encoding: 'utf8', timeout: 120_000 },
    );
    // Assess
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const field of [
      'runs',
      'transfers',
      'completed',
      'failed',
      'rejected',
      'uncertain',
      'duplicates',
      'lost',
      'mismatch',
      'unknown_decisions',
      'double_moves',
      'stale_moves',
      'silent_drops',
      'unprotected',
      'drift_moves',
      'double_funding',
      'unsettled',
    ]) {
      expect(typeof out[field], field).toBe('number');
    }
    expect(Object.keys(out.families as object)).toEqual([
      'partial_balances',
      'overlapping_cycles',
      'stale_restarts',
      'rate_limit_storms',
      'lifecycle',
    ]);
    expect(out.runs).toBe(2);
    expect(r.stderr).toMatch(/chaos: 2\/2 runs/);
  });
});

describe('the books check', () => {
  it('catches a transfer the exchange applied twice, and the accounts it put off', async () => {
    // Prepare: an exchange that does not deduplicate, given one transfer twice.
    const config = specConfig();
    const exchange = new PaperExchange({
      currency: 'USDT',
      master: money(1000),
      subAccounts: { '6712345678': money(0) },
      dedupeClientOid: false,
    });
    const request = {
      clientOid: 'twice',
      from: { kind: 'master' as const },
      to: { kind: 'sub' as const, uid: '6712345678' },
      amount: money(10),
      currency: 'USDT',
    };
    await exchange.transfer(request);
    await exchange.transfer(request);
    const emptyJournal = {
      portfolio: { load: async () => undefined },
      journal: { byStatus: async () => [] },
    };
    // Act
    const check = await auditAgainstPaper(emptyJournal, exchange, config);
    // Assess
    expect(check.agree).toBe(false);
    expect(check.duplicates).toEqual(['twice']);
    expect(check.unjournaled).toEqual(['twice']);
    expect(check.mismatched).toEqual(['master', '1h_lorentzian_sol']);
  });
});
