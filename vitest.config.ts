import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The deployed stack on an AWS emulator: `npm run test:cloud` (vitest.cloud.config.ts).
    exclude: ['test/cloud/**', 'node_modules/**'],
    // The slowest test (a CLI halt/resume spawning five processes) takes about 12 s on two
    // cores; five times that leaves room for a loaded machine without hiding a hang for minutes.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration suites start emulators on 127.0.0.1; two cores, so keep the pool small.
    maxWorkers: 2,
  },
});
