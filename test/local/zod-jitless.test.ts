import { describe, expect, it } from 'vitest';

describe("the CLI's zod settings", () => {
  it('are the ones zod reads: schemas built after the entry runs are jitless', async () => {
    // Arrange
    await import('../../functions/local/zod-jitless.ts');

    // Act
    const z = await import('zod');

    // Assert
    expect(z.config().jitless).toBe(true);
  });
});
