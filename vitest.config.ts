import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration suites start emulators on 127.0.0.1; two cores, so keep the pool small.
    maxWorkers: 2,
  },
});
