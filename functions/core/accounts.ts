/**
 * Ledger accounts (DESIGN.md §1): every transfer debits one and credits another. Written as
 * strings in the journal and the plan JSON (`bot:<bot_id>`, `reserve:emergency`,
 * `reserve:<pool>`), and parsed here, in one place, into a union the code can switch on — so a
 * new kind of account name is one change in this file.
 */

/**
 * An account as the journal and the plan write it. `outside` is the world beyond the portfolio:
 * where a deposit comes from and a withdrawal goes (DESIGN.md §10); it has no books.
 */
export type LedgerAccount = `bot:${string}` | `reserve:${string}` | typeof OUTSIDE_ACCOUNT;

/** Money entering or leaving the portfolio (an operator's deposit, withdrawal, adoption, retirement). */
export const OUTSIDE_ACCOUNT = 'outside';

/** The reserve that is not a pool's: no pool may take its name. */
export const EMERGENCY_RESERVE = 'emergency';

/**
 * The emergency reserve's part on an exchange other than the primary (DESIGN.md §5, venues):
 * `emergency@binance`, so `reserve:emergency@binance`. The primary's part keeps the plain name,
 * and a pool can never take either ("@" is not allowed in a pool's name).
 */
export const emergencyPartName = (exchange: string): string => `${EMERGENCY_RESERVE}@${exchange}`;

/** True for `emergency` and every `emergency@<exchange>`: a reserve with a minimum, of no pool. */
export const isEmergencyReserve = (reserve: string): boolean =>
  reserve === EMERGENCY_RESERVE || reserve.startsWith(`${EMERGENCY_RESERVE}@`);

/** A ledger account, parsed. */
export type Account =
  | { readonly kind: 'bot'; readonly botId: string }
  | { readonly kind: 'reserve'; readonly reserve: string }
  | { readonly kind: 'outside' };

const BOT_PREFIX = 'bot:';
const RESERVE_PREFIX = 'reserve:';

export const botAccount = (botId: string): LedgerAccount => `${BOT_PREFIX}${botId}`;
export const reserveAccount = (reserve: string): LedgerAccount => `${RESERVE_PREFIX}${reserve}`;
export const EMERGENCY_ACCOUNT: LedgerAccount = reserveAccount(EMERGENCY_RESERVE);

/** Parses `bot:<id>`, `reserve:<name>` or `outside`; undefined for anything else (an empty name included). */
export function parseAccount(text: string): Account | undefined {
  if (text === OUTSIDE_ACCOUNT) return { kind: 'outside' };
  if (text.startsWith(BOT_PREFIX) && text.length > BOT_PREFIX.length) {
    return { kind: 'bot', botId: text.slice(BOT_PREFIX.length) };
  }
  if (text.startsWith(RESERVE_PREFIX) && text.length > RESERVE_PREFIX.length) {
    return { kind: 'reserve', reserve: text.slice(RESERVE_PREFIX.length) };
  }
  return undefined;
}

/** True for the written form of a ledger account. */
export const isLedgerAccount = (text: string): text is LedgerAccount =>
  parseAccount(text) !== undefined;

/** The reserve an account names, or undefined for a bot's. */
export function reserveOf(account: LedgerAccount): string | undefined {
  const a = parseAccount(account);
  return a?.kind === 'reserve' ? a.reserve : undefined;
}

/** The bot an account names, or undefined for a reserve. */
export function botOf(account: LedgerAccount): string | undefined {
  const a = parseAccount(account);
  return a?.kind === 'bot' ? a.botId : undefined;
}
