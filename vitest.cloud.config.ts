import { defineConfig } from 'vitest/config';

/** `npm run test:cloud`: the stack deployed to an AWS emulator (test/cloud), one file, in order. */
export default defineConfig({
  test: {
    include: ['test/cloud/**/*.test.ts'],
    // Deploying takes about half a minute; a transfer retried after a timed-out call about as long.
    testTimeout: 120_000,
    hookTimeout: 240_000,
    fileParallelism: false,
  },
});
