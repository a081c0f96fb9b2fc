/**
 * `botfolio validate FILE --against-state`: the config checked, then compared with the portfolio's
 * books (the local data folder, or a deployed stack with `--stack`) — the `config_drift` a deploy
 * of it would cause, by the very function each cycle asks (core/drift.ts). Read-only: it writes
 * nothing to the books and moves nothing; a data folder without a store is not created.
 *
 * Exit codes: 0 valid and no drift, 1 invalid (or no books to compare with), DRIFT_EXIT when the
 * config drifts from the books.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadAllocationModule } from '../../adapters/allocation-module.ts';
import type { AlertCode, Severity } from '../../core/alerts.ts';
import type { Config } from '../../core/config.ts';
import { configDrift, type Drift } from '../../core/drift.ts';
import { withCompleted } from '../../core/simulate.ts';
import { type BooksAt, withStores } from '../books.ts';
import { loadConfigFile } from '../files.ts';
import { dataDirOf } from '../local-store.ts';
import { validSummary } from './plan.ts';

/** The exit code of a valid config that drifts from the books (README, "Operate (CLI)"). */
export const DRIFT_EXIT = 2;

/** `validate --against-state --json` (amounts inside the messages, as the cycle's alerts). */
export interface DriftJson {
  readonly file: string;
  readonly valid: true;
  readonly portfolio_id: string;
  /** Where the books were read: a data folder or a deployed stack. */
  readonly books: { readonly data: string } | { readonly stack: string };
  /** When the books were last written by a cycle (the state's `as_of`). */
  readonly as_of: string;
  /** One `config_drift` alert per difference, in the plan JSON's alert form. */
  readonly drift: readonly {
    readonly severity: Severity;
    readonly code: AlertCode;
    readonly bot_id: string | null;
    readonly message: string;
  }[];
  /** What a cycle would leave alone: bots without a decision, reserves giving nothing. */
  readonly left_alone: { readonly bots: readonly string[]; readonly reserves: readonly string[] };
}

export async function validateAgainstState(
  file: string,
  at: BooksAt,
  opts: { readonly json: boolean },
  out: (text: string) => void = (t) => process.stdout.write(t),
  err: (text: string) => void = (t) => process.stderr.write(t),
): Promise<number> {
  const config = loadConfigFile(file);
  await loadAllocationModule(config, file);
  const where =
    at.stack === undefined ? `data folder ${dataDirOf(config, at.dir)}` : `stack ${at.stack}`;
  if (at.stack === undefined && !existsSync(join(dataDirOf(config, at.dir), 'dynamo'))) {
    err(
      `no store in ${where}: nothing to compare ${file} with (give --data the folder \`botfolio run\` or \`cycle\` keeps, or --stack)\n`,
    );
    return 1;
  }
  return withStores(config, at, async (stores) => {
    const stored = await stores.portfolio.load(config.portfolioId);
    if (!stored) {
      err(
        `no books of portfolio ${config.portfolioId} in ${where} yet: nothing to compare ${file} with (its first cycle records them)\n`,
      );
      return 1;
    }
    // As the next cycle sees them: completed transfers the ledger has not applied yet folded in.
    const state = withCompleted(
      stored,
      await stores.journal.completedUnapplied(config.portfolioId),
    );
    const drift = configDrift(config, state);
    out(
      opts.json
        ? `${JSON.stringify(driftJson(file, config, at, state.asOf, drift), null, 2)}\n`
        : driftText(file, config, where, state.asOf, drift),
    );
    return drift.alerts.length > 0 ? DRIFT_EXIT : 0;
  });
}

function driftJson(
  file: string,
  config: Config,
  at: BooksAt,
  asOf: string,
  drift: Drift,
): DriftJson {
  return {
    file,
    valid: true,
    portfolio_id: config.portfolioId,
    books: at.stack === undefined ? { data: dataDirOf(config, at.dir) } : { stack: at.stack },
    as_of: asOf,
    drift: drift.alerts.map((a) => ({
      severity: a.severity,
      code: a.code,
      bot_id: a.botId ?? null,
      message: a.message,
    })),
    left_alone: { bots: [...drift.botsAside], reserves: [...drift.frozen] },
  };
}

function driftText(
  file: string,
  config: Config,
  where: string,
  asOf: string,
  drift: Drift,
): string {
  const lines = [validSummary(config, file)];
  const n = drift.alerts.length;
  lines.push(
    n === 0
      ? `no config drift against the books in ${where} (as of ${asOf}): a deploy of it changes nothing the books disagree with`
      : `${n} config drift against the books in ${where} (as of ${asOf}); a cycle leaves what each names alone until it is settled:`,
  );
  for (const a of drift.alerts)
    lines.push(`  ${a.code}${a.botId ? ` [${a.botId}]` : ''} ${a.message}`);
  return `${lines.join('\n')}\n`;
}
