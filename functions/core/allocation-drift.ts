/**
 * `allocation_drift` (DESIGN.md §11, the launcher's "allocation drift" warning): a bot whose share
 * of its pool's money at work has moved away from the share it is meant to have.
 *
 * The policy already judges drift, differently: the rebalance rule (policy-rebalance.ts) compares
 * each bot's *capital base* with its strategy's target, once per `rebalance_interval` and only for
 * strategies other than `fixed`, and moves the base. It never looks at equity, so a pool whose
 * winners and losers pull apart between two rebalances drifts without a word. This warning is
 * that word; it moves no money. The meaning, the least surprising one we found, and the one the
 * README and the config reference give:
 *
 * - Only for an allocation strategy that rebalances (not `fixed`). Under `fixed` a bot's target
 *   is its own `allocation`, never rebalanced: its equity is meant to wander between the harvest
 *   and refill triggers around its capital base, and those rules act on it there (DESIGN.md's own
 *   harvest example, B 200 beside a pool mate at 150, would warn every cycle). "No rebalance
 *   planned" only says something where a rebalance can be.
 * - A bot's *equity share* is its balance ÷ the balances of its pool's enabled, funded bots; its
 *   *target share* is its target ÷ theirs, the target being the strategy's target capital base
 *   when this cycle's rebalance set one for the pool, else its capital base (what its allocation
 *   and the last rebalance made it).
 * - It has drifted when |equity share − target share| > `allocation.rebalance_threshold` × target
 *   share — the rebalance rule's own test (`driftFrom`), on shares instead of bases, compared
 *   exactly by cross-multiplication.
 * - Judged only for a bot that is enabled, funded, of known balance and running (a monitored bot
 *   that is not running is left alone; a bot without a health source counts as running, as it
 *   does for money), and that has no transfer planned this cycle: a planned rebalance is the fix
 *   under way, and a harvest, refill or protect is about to change the equity judged.
 * - A pool is not judged at all on a cycle where one of its enabled, funded bots has a transfer in
 *   flight or an unknown balance (the shares would not add up), nor with fewer than two such bots.
 *
 * Warning severity, with the usual per-(code, bot) cooldown.
 */
import { type Alert, alert } from './alerts.ts';
import type { Config } from './config.ts';
import { type Money, showMoney, sum, toFloat } from './money.ts';
import { showPercent } from './policy-amounts.ts';
import { driftFrom } from './policy-rebalance.ts';
import type { Target } from './policy-rules.ts';
import { isKnown, type PortfolioState } from './state.ts';

export interface DriftInput {
  /** This cycle's rebalance targets, by bot (empty when none is due). */
  readonly targets: ReadonlyMap<string, Target>;
  /** Bots with a transfer planned this cycle. */
  readonly planned: ReadonlySet<string>;
  /** Bots left alone this cycle: in flight, of unknown balance, in config drift, unbooked. */
  readonly aside: (botId: string) => boolean;
  /** Monitored bots that are not running (policy-rules.ts `Context.notRunning`). */
  readonly notRunning: ReadonlyMap<string, string>;
}

const share = (part: Money, whole: Money): string =>
  `${(whole > 0n ? (toFloat(part) / toFloat(whole)) * 100 : 0).toFixed(1)}%`;

/** The `allocation_drift` warnings of this cycle, pool by pool in config order. */
export function allocationDriftAlerts(
  config: Pick<Config, 'pools' | 'bots' | 'allocation'>,
  state: PortfolioState,
  input: DriftInput,
): Alert[] {
  const threshold = config.allocation.rebalanceThreshold;
  if (config.allocation.strategy === 'fixed') return [];
  const alerts: Alert[] = [];
  for (const pool of config.pools.values()) {
    const members = config.bots.filter((b) => b.pool === pool.name && b.enabled);
    const funded = members.flatMap((b) => {
      const s = state.bots.get(b.botId);
      return s ? [{ bot: b, s }] : [];
    });
    if (funded.length < 2 || funded.some(({ bot }) => input.aside(bot.botId))) continue;
    const known = funded.flatMap(({ bot, s }) => (isKnown(s) ? [{ bot, s }] : []));
    if (known.length < funded.length) continue;
    // The strategy's targets cover every enabled bot of a pool, or none of them.
    const byStrategy = known.every(({ bot }) => input.targets.has(bot.botId));
    const rows = known.map(({ bot, s }) => ({
      botId: bot.botId,
      balance: s.balance,
      target: byStrategy
        ? (input.targets.get(bot.botId)?.capitalBase ?? s.capitalBase)
        : s.capitalBase,
    }));
    const equity = sum(rows.map((r) => r.balance));
    const targets = sum(rows.map((r) => r.target));
    if (equity <= 0n || targets <= 0n) continue;
    const what = byStrategy ? `its ${config.allocation.strategy} target` : 'its capital base';
    for (const r of rows) {
      if (input.planned.has(r.botId) || input.notRunning.has(r.botId)) continue;
      // B ÷ ΣB against T ÷ ΣT, as B × ΣT against T × ΣB: exact.
      const d = driftFrom((r.balance * targets) as Money, (r.target * equity) as Money, threshold);
      if (!d.beyond) continue;
      const above = r.balance * targets > r.target * equity;
      alerts.push(
        alert(
          'allocation_drift',
          `${r.botId}: its equity ${showMoney(r.balance)} is ${share(r.balance, equity)} of pool ${pool.name}'s ${showMoney(equity)}, ${d.text} ${above ? 'above' : 'below'} its target share ${share(r.target, targets)} (${what} ${showMoney(r.target)} of ${showMoney(targets)}; rebalance_threshold ${showPercent(threshold)}); no rebalance is planned for it this cycle`,
          r.botId,
        ),
      );
    }
  }
  return alerts;
}
