/**
 * Alert delivery with the cooldown of DESIGN.md §3: the same (code, bot) — or (code, pool) for an
 * alert about a whole pool — is not re-sent within the config's cooldown. The claim lives in the
 * store, so it holds across Lambda invocations. An alert about one transfer is its own event,
 * claimed once per transfer and status: a retried notify step does not repeat it, two transfers
 * of one bot are both reported, and so is an uncertain transfer once reconciliation settles it.
 *
 * Digests (issue 16): a cycle's alerts go out as one message per (code, severity); so do the
 * transfers' non-critical ones (a completed harvest, a refused refill), held in the store as each
 * transfer ends and sent together when a cycle or a reconciliation ends (`flush`) — an allocation
 * wave of a thousand bots is one message, not a thousand. A transfer's critical alert (money may
 * be stuck) goes out at once, on its own.
 */
import { type Alert, digestAlerts } from '../core/alerts.ts';
import type { Alerter } from '../core/ports.ts';
import type { CooldownStore } from '../core/store-ports.ts';

type Context = Parameters<Alerter['send']>[1];

/** The cooldown's key of an alert: (code, bot), (code, pool), or the transfer and its status. */
function cooldownKey(a: Alert, context: Context): string {
  return context.transferId
    ? `${a.code}#transfer#${context.transferId}${context.transferStatus ? `#${context.transferStatus}` : ''}`
    : a.botId === undefined && a.pool !== undefined
      ? `${a.code}#pool#${a.pool}`
      : `${a.code}#${a.botId ?? '-'}`;
}

/**
 * `inner` behind the cooldown. `sendMany` (a cycle's alerts) claims each alert's own key, then
 * sends the ones due as digests (core/alerts.ts `digestAlerts`): the cooldown keeps its meaning
 * per (code, bot), and a fleet's worth of one warning is one message.
 */
export function withCooldown(
  inner: Alerter,
  cooldowns: CooldownStore,
  cooldownMs: number,
  now: () => Date,
): Alerter {
  const claim = (a: Alert, context: Context) =>
    cooldowns.claimAlert(context.portfolioId, cooldownKey(a, context), now().getTime(), cooldownMs);
  return {
    async send(a, context) {
      if (context.transferId !== undefined && a.severity !== 'critical') {
        // Held for the next digest, once: the hold is its claim.
        await cooldowns.hold(context.portfolioId, cooldownKey(a, context), a);
        return;
      }
      if (await claim(a, context)) await inner.send(a, context);
    },
    async flush(portfolioId) {
      const held = await cooldowns.held(portfolioId);
      if (held.length === 0) return;
      for (const d of digestAlerts(held.map((h) => h.alert))) await inner.send(d, { portfolioId });
      // Marked sent once sent: a flush that dies in between sends them again, never loses them.
      await cooldowns.release(
        portfolioId,
        held.map((h) => h.key),
      );
    },
    async sendMany(alerts, context) {
      const due: Alert[] = [];
      for (const a of alerts) if (await claim(a, context)) due.push(a);
      for (const d of digestAlerts(due)) await inner.send(d, context);
    },
  };
}
