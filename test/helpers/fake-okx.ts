/** The fake OKX lives with the local tools (the fault campaign runs against it too). */
export * from '../../functions/local/fake-okx.ts';
