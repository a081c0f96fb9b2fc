import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ledgerAccounts } from '../../functions/core/config.ts';
import { floorToDecimals, type Money, mulRatio, sub, sum } from '../../functions/core/money.ts';
import { type Plan, plan } from '../../functions/core/policy.ts';
import { afterPlan } from '../../functions/core/simulate.ts';
import { balanceOf } from '../../functions/core/state.ts';
import { parseState } from '../../functions/core/state-file.ts';
import { addsRisk, type PlannedTransfer } from '../../functions/core/transfer.ts';
import { configArb, type Scenario, scenarioArb } from './arbitraries.ts';

const RUNS = { numRuns: 1000 };

const planOf = (s: Scenario): Plan =>
  plan(s.config, s.state, { inFlight: s.inFlight, history: s.history });
const outOf = (transfers: readonly PlannedTransfer[], reserve: string): Money =>
  sum(transfers.filter((t) => t.from === `reserve:${reserve}`).map((t) => t.amount));

function byBot(transfers: readonly PlannedTransfer[]): Map<string, PlannedTransfer[]> {
  const groups = new Map<string, PlannedTransfer[]>();
  for (const t of transfers) groups.set(t.botId, [...(groups.get(t.botId) ?? []), t]);
  return groups;
}

describe('policy properties', () => {
  it('generates valid configs often enough to be worth it', () => {
    fc.assert(
      fc.property(configArb, (c) => c.bots.length > 0),
      { numRuns: 50 },
    );
  });

  it('never plans more out of a reserve than the state says it holds', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const { transfers } = planOf(s);
        for (const [name, held] of s.state.reserves) {
          expect(outOf(transfers, name)).toBeLessThanOrEqual(held);
        }
      }),
      RUNS,
    );
  });

  it('never plans the emergency reserve below its minimum', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const out = outOf(planOf(s).transfers, 'emergency');
        if (out > 0n) {
          const held = s.state.reserves.get('emergency') ?? 0n;
          expect(held - out).toBeGreaterThanOrEqual(s.config.emergencyReserve.minimum);
        }
      }),
      RUNS,
    );
  });

  it("keeps every amount within [min_transfer, max_transfer] and on the exchange's precision", () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        for (const t of planOf(s).transfers) {
          const bot = s.config.bots.find((b) => b.botId === t.botId);
          const ex = bot && s.config.exchanges.get(bot.exchange);
          if (!ex) throw new Error(`transfer for unknown bot ${t.botId}`);
          expect(t.amount).toBeGreaterThanOrEqual(ex.minTransfer);
          expect(t.amount).toBeLessThanOrEqual(ex.maxTransfer);
          expect(floorToDecimals(t.amount, ex.precision)).toBe(t.amount);
        }
      }),
      RUNS,
    );
  });

  it('plans the same for the same input', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const again = parseState(structuredClone(s.stateJson), s.config);
        const history = new Map([...s.history].map(([id, xs]) => [id, xs.map((x) => ({ ...x }))]));
        expect(plan(s.config, again, { inFlight: new Set(s.inFlight), history })).toEqual(
          planOf(s),
        );
        expect(planOf(s)).toEqual(planOf(s));
      }),
      RUNS,
    );
  });

  it('makes at most one decision per bot, its legs numbered 0, 1, …', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const groups = byBot(planOf(s).transfers);
        for (const ts of groups.values()) {
          expect(new Set(ts.map((t) => t.kind)).size).toBe(1);
          expect(ts.map((t) => t.leg)).toEqual(ts.map((_, i) => i));
          if (ts[0]?.kind !== 'refill') expect(ts).toHaveLength(1);
        }
      }),
      RUNS,
    );
  });

  it('leaves in-flight bots alone, and disabled bots but for black-swan protection', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const p = planOf(s);
        const busy = (id: string) => s.inFlight.has(id) || s.state.bots.get(id)?.inFlight;
        const disabled = new Set(s.config.bots.filter((b) => !b.enabled).map((b) => b.botId));
        expect(p.transfers.filter((t) => busy(t.botId))).toEqual([]);
        const fromDisabled = p.transfers.filter((t) => disabled.has(t.botId));
        expect(fromDisabled.filter((t) => t.kind !== 'protect')).toEqual([]);
      }),
      RUNS,
    );
  });

  it('plans nothing toward risk while halted, and only permitted refills in black swan', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const p = planOf(s);
        const risky = p.transfers.filter(addsRisk);
        if (p.flags.halted) expect(risky).toEqual([]);
        if (p.flags.blackSwan) {
          expect(risky.filter((t) => t.kind !== 'refill')).toEqual([]);
          if (s.config.blackSwan?.noRefillPolicy !== false) expect(risky).toEqual([]);
        }
        expect(p.mode === 'normal').toBe(!p.flags.halted && !p.flags.blackSwan);
      }),
      RUNS,
    );
  });

  it('keeps halted latched, and protects only in black swan, each bot once an episode', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const p = planOf(s);
        if (s.state.flags.halted) expect(p.flags.halted).toBe(true);
        const protects = p.transfers.filter((t) => t.kind === 'protect');
        if (!p.flags.blackSwan) expect(protects).toEqual([]);
        if (s.state.flags.blackSwan) {
          const done = s.state.protectedThisEpisode ?? new Set();
          for (const t of protects) expect(done.has(t.botId)).toBe(false);
        }
        for (const t of protects) expect(t.to).toBe('reserve:emergency');
        const entered = p.alerts.filter((a) => a.code === 'black_swan_entered');
        expect(entered.length).toBe(!s.state.flags.blackSwan && p.flags.blackSwan ? 1 : 0);
      }),
      RUNS,
    );
  });

  it('does not repeat itself on the books it leaves once every transfer completed', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const first = planOf(s);
        const after = afterPlan(s.state, first);
        const second = plan(s.config, after, { history: s.history });
        const kindsOf = (p: Plan, botId: string) =>
          new Set(p.transfers.filter((t) => t.botId === botId).map((t) => t.kind));
        for (const [botId, ts] of byBot(first.transfers)) {
          const again = kindsOf(second, botId);
          const kind = ts[0]?.kind;
          // Funded, protected, rebalanced: each happens once.
          if (kind === 'allocation' || kind === 'protect' || kind === 'rebalance') {
            expect(again.has(kind)).toBe(false);
          }
          if (kind === 'harvest') {
            // The second harvest can only take from what the first left above the capital base.
            const before = s.state.bots.get(botId);
            const b = after.bots.get(botId);
            const taken = sum(
              second.transfers.filter((t) => t.botId === botId).map((t) => t.amount),
            );
            if (b && before && again.has('harvest')) {
              expect(taken).toBeLessThanOrEqual(sub(balanceOf(b), b.capitalBase));
              expect(sum(ts.map((t) => t.amount)) + taken).toBeLessThanOrEqual(
                sub(balanceOf(before), before.capitalBase),
              );
            }
          }
          const lr = s.config.lossRecovery;
          const b = after.bots.get(botId);
          // A refill that reached its target is not planned again.
          if (
            kind === 'refill' &&
            lr &&
            b &&
            balanceOf(b) >= mulRatio(b.capitalBase, lr.refillTarget)
          ) {
            expect(again.has('refill')).toBe(false);
          }
        }
      }),
      RUNS,
    );
  });

  it('persists what it decides: blocks only under no_refill_policy, the strategy at most once per interval', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const p = planOf(s);
        for (const change of p.refillBlocks) {
          expect(s.state.bots.has(change.botId)).toBe(true);
          if (change.blocked) expect(s.config.blackSwan?.noRefillPolicy).toBe(true);
          else expect(p.flags.blackSwan).toBe(false);
        }
        const rebalanced = p.transfers.some((t) => t.kind === 'rebalance');
        if (rebalanced) expect(p.lastRebalance).toBe(s.state.asOf);
        if (p.lastRebalance !== s.state.lastRebalance)
          expect(s.config.allocation.strategy).not.toBe('fixed');
      }),
      RUNS,
    );
  });

  it('moves money only between accounts of the portfolio, one end always the bot', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const accounts = new Set(ledgerAccounts(s.config));
        for (const t of planOf(s).transfers) {
          expect(accounts.has(t.from) && accounts.has(t.to)).toBe(true);
          expect([t.from, t.to]).toContain(`bot:${t.botId}`);
          expect(t.from).not.toBe(t.to);
        }
      }),
      RUNS,
    );
  });

  it('never harvests a bot below its capital base, nor refills it above the refill target', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const groups = byBot(planOf(s).transfers);
        for (const [botId, ts] of groups) {
          const b = s.state.bots.get(botId);
          const total = sum(ts.map((t) => t.amount));
          if (!b) continue;
          if (ts[0]?.kind === 'harvest') {
            expect(total).toBeLessThanOrEqual(sub(balanceOf(b), b.capitalBase));
          }
          const lr = s.config.lossRecovery;
          if (ts[0]?.kind === 'refill' && lr) {
            expect(total).toBeLessThanOrEqual(
              sub(mulRatio(b.capitalBase, lr.refillTarget), balanceOf(b)),
            );
          }
        }
      }),
      RUNS,
    );
  });

  it('keeps the peak at or above both the previous peak and the equity', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const p = planOf(s);
        const equity =
          sum([...s.state.bots.values()].map(balanceOf)) + sum(s.state.reserves.values());
        expect(p.peakEquity >= s.state.peakEquity && p.peakEquity >= equity).toBe(true);
        expect([s.state.peakEquity, equity]).toContain(p.peakEquity);
      }),
      RUNS,
    );
  });
});
