/** The exchanges a config may name, in a module of their own: the CLI's choices load no schema. */

/**
 * Exchanges with an adapter; the config may name only these. A semantic rule, not the schema, refuses
 * any other name, so that its message can list these.
 */
export const SUPPORTED_EXCHANGES = ['bitget', 'binance', 'okx', 'bybit', 'paper'] as const;

/** True for the name of an exchange with an adapter. */
export function isSupportedExchange(name: string): name is (typeof SUPPORTED_EXCHANGES)[number] {
  return (SUPPORTED_EXCHANGES as readonly string[]).includes(name);
}
