/**
 * The seed the demo runs with (market.ts simulates with it): its default path shows a harvest and
 * a refill early. On its own so the CLI can name it as `--seed`'s default without loading the
 * simulator.
 */
export const DEMO_SEED = 7;
