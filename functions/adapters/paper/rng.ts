/** The seeded generators live in core (functions/core/rng.ts): pure, and the stress scenarios draw from them too. */
export * from '../../core/rng.ts';
