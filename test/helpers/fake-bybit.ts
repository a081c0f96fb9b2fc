/** The fake Bybit lives with the local tools (the fault campaign runs against it too). */
export * from '../../functions/local/fake-bybit.ts';
