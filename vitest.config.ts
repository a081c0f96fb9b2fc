import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Generous: CLI tests spawn processes that synthesize the stack, and CI has two cores.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    // Integration suites start emulators on 127.0.0.1; two cores, so keep the pool small.
    maxWorkers: 2,
  },
});
