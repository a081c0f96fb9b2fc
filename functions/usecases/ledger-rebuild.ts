/**
 * `botfolio state --rebuild`: the ledger recomputed from the journal (core/projection.ts) and
 * compared with the projection the store keeps; with `replace`, written over it — conditioned on
 * no entry being applied meanwhile, so a rebuild never loses a transfer that completes during it.
 */
import { compareLedgers, type LedgerDifference, projectLedger } from '../core/projection.ts';
import { openingOf } from '../core/state.ts';
import type { LedgerWatermark } from '../core/store-ports.ts';
import type { TransferDeps } from './transfer-settlement.ts';

export interface RebuildReport {
  /** Completed entries the journal holds (all applied). */
  readonly entries: number;
  readonly differences: readonly LedgerDifference[];
  /** The projection was replaced by the journal's ledger. */
  readonly replaced: boolean;
  readonly watermark: LedgerWatermark;
  /** The rebuild started from the recorded opening (false: from today's config, none recorded). */
  readonly openingRecorded: boolean;
}

const REBUILD_ATTEMPTS = 8;

/**
 * Recomputes the ledger from the journal and compares it with the projection; with `replace`,
 * writes the journal's ledger over the projection, conditioned on no entry being applied meanwhile.
 * Completed entries not applied yet are applied first, so the two count the same entries.
 */
export async function rebuildLedger(
  deps: Pick<TransferDeps, 'config' | 'journal' | 'portfolio' | 'ledger'>,
  opts: { replace: boolean },
): Promise<RebuildReport> {
  const { config, journal, ledger } = deps;
  const pid = config.portfolioId;
  for (let attempt = 1; ; attempt++) {
    for (const e of await journal.completedUnapplied(pid)) await ledger.applyCompleted(e);
    const watermark = await ledger.watermark(pid);
    for (const id of watermark.applying) {
      const e = await journal.get(id);
      if (e) await ledger.applyCompleted(e);
    }
    if (watermark.applying.size > 0) continue;
    const completed = (await journal.byStatus(pid, ['completed'])).filter((e) => e.ledgerApplied);
    const current = await deps.portfolio.load(pid);
    if (!current) throw new Error(`portfolio ${pid} has no state to rebuild`);
    const after = await ledger.watermark(pid);
    if (after.applied !== watermark.applied || after.applying.size > 0) {
      if (attempt >= REBUILD_ATTEMPTS) throw new Error('the ledger kept moving during the rebuild');
      continue;
    }
    // From the recorded opening; books older than openings have none, and start from the config.
    const opening = current.opening ?? openingOf(config, current.asOf);
    const rebuilt = projectLedger(opening, completed);
    const differences = compareLedgers(current, rebuilt);
    if (BigInt(completed.length) !== watermark.applied) {
      differences.push({
        field: 'watermark (entries applied)',
        projection: String(watermark.applied),
        journal: String(completed.length),
      });
    }
    let replaced = false;
    if (opts.replace && differences.length > 0) {
      replaced = await ledger.replace(pid, rebuilt, watermark);
      if (!replaced) {
        if (attempt >= REBUILD_ATTEMPTS)
          throw new Error('the ledger kept moving during the rebuild');
        continue;
      }
    }
    return {
      entries: completed.length,
      differences,
      replaced,
      watermark,
      openingRecorded: current.opening !== undefined,
    };
  }
}
