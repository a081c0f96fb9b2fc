/**
 * Alert delivery with the cooldown of DESIGN.md §3: the same (code, bot) — or (code, pool) for an
 * alert about a whole pool — is not re-sent within the config's cooldown. The claim lives in the store, so it holds across Lambda invocations. An alert
 * about one transfer is its own event, claimed once per transfer and status: a retried notify step
 * does not repeat it, two transfers of one bot are both reported, and so is an uncertain transfer
 * once reconciliation settles it.
 */
import type { Alert } from '../core/alerts.ts';
import type { Alerter } from '../core/ports.ts';
import type { CooldownStore } from '../core/store-ports.ts';

export function withCooldown(
  inner: Alerter,
  cooldowns: CooldownStore,
  cooldownMs: number,
  now: () => Date,
): Alerter {
  return {
    async send(a: Alert, context) {
      const key = context.transferId
        ? `${a.code}#transfer#${context.transferId}${context.transferStatus ? `#${context.transferStatus}` : ''}`
        : a.botId === undefined && a.pool !== undefined
          ? `${a.code}#pool#${a.pool}`
          : `${a.code}#${a.botId ?? '-'}`;
      if (await cooldowns.claimAlert(context.portfolioId, key, now().getTime(), cooldownMs)) {
        await inner.send(a, context);
      }
    },
  };
}
