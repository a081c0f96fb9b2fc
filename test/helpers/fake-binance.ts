/** The fake Binance lives with the local tools (the fault campaign runs against it too). */
export * from '../../functions/local/fake-binance.ts';
