/** The fake exchanges' base lives with the local tools (the fault campaign's fake Bitget stands on it). */
export * from '../../functions/local/fake-venue.ts';
