/**
 * One plan per bot (DESIGN.md §4). A cycle claims each bot it wants to move money for before it
 * journals anything for it; a bot another cycle's plan holds gets nothing from this one. The
 * claim ends when every transfer of its plan has ended — released by the transfer's unlock step,
 * by reconciliation, or taken over by the next cycle that finds the plan over. So two cycles that
 * overlap (a slow one and the next slot, a schedule delivered twice) can never both move money
 * for one bot, whatever the journal's status index shows at the time.
 */
import type { BotPlan, Journal, LockStore, PlanStore } from '../core/store-ports.ts';
import { isTerminal, type JournalEntry } from '../core/transfer.ts';

/**
 * How long a claim whose transfers are not in the journal may still be its cycle's, between the
 * claim and the journal write: a cycle writes its journal right after its claims (seconds, also
 * for a large fleet), and a cycle function lives two minutes at most.
 */
export const UNJOURNALED_CLAIM_MS = 10 * 60_000;

interface PlanDeps {
  readonly journal: Pick<Journal, 'get'>;
  readonly plans: PlanStore;
}

/**
 * The plan is over: every transfer it journaled has a final status. A transfer of it that is
 * not in the journal counts as over only once the claim is older than UNJOURNALED_CLAIM_MS (its
 * cycle may be between the claim and the journal write).
 */
export async function planEnded(deps: PlanDeps, plan: BotPlan, now: Date): Promise<boolean> {
  const young = now.getTime() - Date.parse(plan.at) < UNJOURNALED_CLAIM_MS;
  for (const id of plan.transferIds) {
    const entry = await deps.journal.get(id);
    if (entry ? !isTerminal(entry.status) : young) return false;
  }
  return true;
}

/**
 * Claims every bot the cycle's entries move money for; returns the entries of the bots it got.
 * A bot held by another cycle's plan that is still running is left out.
 */
export async function claimBots(
  deps: PlanDeps,
  portfolioId: string,
  cycleId: string,
  entries: readonly JournalEntry[],
  now: Date,
  readAt: Date,
): Promise<JournalEntry[]> {
  const byBot = new Map<string, JournalEntry[]>();
  for (const e of entries) byBot.set(e.botId, [...(byBot.get(e.botId) ?? []), e]);
  const claimed = new Set<string>();
  for (const [botId, own] of byBot) {
    const plan: BotPlan = {
      cycleId,
      transferIds: own.map((e) => e.id),
      at: now.toISOString(),
      readAt: readAt.toISOString(),
    };
    if (await claimBot(deps, portfolioId, botId, plan, now)) claimed.add(botId);
  }
  return entries.filter((e) => claimed.has(e.botId));
}

async function claimBot(
  deps: PlanDeps,
  portfolioId: string,
  botId: string,
  plan: BotPlan,
  now: Date,
): Promise<boolean> {
  if (await deps.plans.claimBot(portfolioId, botId, plan)) return true;
  const holder = await deps.plans.planOf(portfolioId, botId);
  // Released after this plan's reading (or between the two calls): the reading may predate what
  // that plan moved, so the bot waits for the next cycle's. Held by this very cycle: not twice.
  if (holder === undefined || holder.releasedAt !== undefined) return false;
  if (holder.cycleId === plan.cycleId) return false;
  if (!(await planEnded(deps, holder, now))) return false;
  // Ended but not released: taken over only if it ended by the time of this plan's reading.
  if (plan.readAt !== undefined && (await lastEnd(deps, holder)) > plan.readAt) return false;
  return deps.plans.claimBot(portfolioId, botId, plan, holder.cycleId);
}

/** When the plan's last transfer reached its final status (ISO; '' when none is journaled). */
async function lastEnd(deps: PlanDeps, plan: BotPlan): Promise<string> {
  let last = '';
  for (const id of plan.transferIds) {
    const at = (await deps.journal.get(id))?.history.at(-1)?.at ?? '';
    if (at > last) last = at;
  }
  return last;
}

/**
 * A transfer's end: frees the bot's lock `transferId` holds, and releases the bot from the plan
 * of `cycleId` once every transfer of that plan has ended — in one write when both go.
 */
export async function endTransfer(
  deps: PlanDeps & { readonly locks: Pick<LockStore, 'unlockBot'> },
  portfolioId: string,
  botId: string,
  { cycleId, transferId }: { readonly cycleId: string; readonly transferId: string },
  now: Date,
): Promise<void> {
  const plan = await deps.plans.planOf(portfolioId, botId);
  const ours = plan?.cycleId === cycleId && plan.releasedAt === undefined;
  if (ours && (await planEnded(deps, plan, now))) {
    await deps.plans.releaseBot(portfolioId, botId, cycleId, transferId);
  } else {
    await deps.locks.unlockBot(portfolioId, botId, transferId);
  }
}

/** Releases every plan that is over (reconciliation's sweep); returns the bots released. */
export async function releaseEndedPlans(
  deps: PlanDeps,
  portfolioId: string,
  now: Date,
): Promise<string[]> {
  const released: string[] = [];
  for (const [botId, plan] of await deps.plans.plans(portfolioId)) {
    if (await planEnded(deps, plan, now)) {
      await deps.plans.releaseBot(portfolioId, botId, plan.cycleId);
      released.push(botId);
    }
  }
  return released;
}
