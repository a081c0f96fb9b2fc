/**
 * `botfolio reconcile`: settles what the transfer workflow left open on the local data (as the
 * scheduled reconcile function does in AWS) and checks the books against the exchange.
 * `botfolio state --rebuild [--dry-run]`: recomputes the ledger from the journal and replaces the
 * projection with it (or only shows the differences).
 */
import type { Config } from '../../core/config.ts';
import { formatMoney, type Money, ZERO } from '../../core/money.ts';
import { rebuildLedger } from '../../usecases/ledger-rebuild.ts';
import type { ReconcileReport } from '../../usecases/reconcile.ts';
import { withLocalStore } from '../local-store.ts';
import { withRuntime } from './local-data.ts';

export function reconcileCommand(
  config: Config,
  dir: string | undefined,
  opts: { json: boolean },
  out: (text: string) => void = (t) => process.stdout.write(t),
): Promise<number> {
  return withRuntime(config, dir, async (rt) => {
    const report = await rt.reconcile();
    out(opts.json ? `${JSON.stringify(reportToJson(report), null, 2)}\n` : describe(report));
    return report.reserves.checked && !report.reserves.agree ? 1 : 0;
  });
}

function reportToJson(r: ReconcileReport): Record<string, unknown> {
  const amount = (m: Money | undefined) => (m === undefined ? undefined : formatMoney(m));
  const { reserves, holding } = r;
  return {
    at: r.at,
    restarted: r.restarted,
    settled: r.settled,
    applied: r.applied,
    unresolved: r.unresolved,
    locksReleased: r.locksReleased,
    holdsReleased: r.holdsReleased,
    plansReleased: r.plansReleased,
    books: { ...reserves, reserves: amount(reserves.reserves), master: amount(reserves.master) },
    watermark: {
      applied: Number(r.watermark.applied),
      lastApplied: r.watermark.lastApplied ?? null,
      applying: [...r.watermark.applying],
      holding: [...holding],
    },
  };
}

function describe(r: ReconcileReport): string {
  const lines = [`reconciled at ${r.at}`];
  for (const s of r.settled) lines.push(`  settled    ${s.id}: ${s.from} → ${s.to}`);
  for (const id of r.restarted) lines.push(`  restarted  ${id}`);
  for (const id of r.applied)
    lines.push(`  applied    ${id} (completed, was missing from the ledger)`);
  for (const u of r.unresolved) lines.push(`  open       ${u.id}: ${u.status}, ${u.why}`);
  for (const b of r.locksReleased) lines.push(`  unlocked   ${b} (its transfer had ended)`);
  for (const id of r.holdsReleased) lines.push(`  released   the reserve hold of ${id}`);
  for (const b of r.plansReleased)
    lines.push(`  released   the plan holding ${b} (its transfers had ended)`);
  const b = r.reserves;
  lines.push(
    !b.checked
      ? `  books      not checked: ${b.reason}`
      : b.agree
        ? `  books      agree: reserves ${formatMoney(b.reserves ?? ZERO, 2)} = master accounts`
        : `  books      MISMATCH: reserves ${formatMoney(b.reserves ?? ZERO, 2)}, master accounts ${formatMoney(b.master ?? ZERO, 2)}`,
  );
  lines.push(
    `  watermark  ${r.watermark.applied} completed transfers in the ledger${r.watermark.lastApplied ? ` (last ${r.watermark.lastApplied.id} at ${r.watermark.lastApplied.at})` : ''}`,
  );
  return `${lines.join('\n')}\n`;
}

export function rebuildCommand(
  config: Config,
  dir: string | undefined,
  opts: { dryRun: boolean; json: boolean },
  out: (text: string) => void = (t) => process.stdout.write(t),
): Promise<number> {
  return withLocalStore(config, dir, async (stores) => {
    const report = await rebuildLedger({ config, ...stores }, { replace: !opts.dryRun });
    if (opts.json) {
      out(
        `${JSON.stringify({ entries: report.entries, differences: report.differences.map(({ field, projection, journal }) => ({ field, projection, journal })), replaced: report.replaced }, null, 2)}\n`,
      );
    } else {
      const lines = [
        `the journal holds ${report.entries} completed transfers; the ledger ${report.differences.length === 0 ? 'agrees with it' : 'differs:'}`,
        ...report.differences.map(
          (d) => `  ${d.field}: projection ${d.projection}, journal ${d.journal}`,
        ),
      ];
      if (report.replaced) lines.push('the projection was rebuilt from the journal');
      out(`${lines.join('\n')}\n`);
    }
    return opts.dryRun && report.differences.length > 0 ? 1 : 0;
  });
}
