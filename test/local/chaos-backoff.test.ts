/**
 * The campaign on a fake exchange waits a task's retries as the deployed state machine does
 * (2 s, 4 s, 8 s … at most 60 s), on the run's clock; a new execution of the same transfer, or
 * the next step, waits nothing.
 */
import { describe, expect, it } from 'vitest';
import { retryWaits } from '../../functions/local/chaos/backoff.ts';
import { synthesizeTransferDefinition } from '../../functions/local/definition.ts';
import type { DeathPoint } from '../../functions/local/workflow.ts';

const point = (state: string, entered: number, when: DeathPoint['when'] = 'before') => ({
  transferId: 't1',
  state,
  entered,
  when,
});

describe('retry waits on the run clock', () => {
  it('waits the definition’s backoff before each retry of a step, capped at its max delay', () => {
    // Prepare
    const waits: number[] = [];
    const watch = retryWaits(synthesizeTransferDefinition(), (ms) => waits.push(ms));
    // Act: Lock and Validate pass; Submit fails and is retried seven times
    watch(point('Lock', 1));
    watch(point('Lock', 1, 'after'));
    watch(point('Validate', 2));
    watch(point('Validate', 2, 'after'));
    for (let i = 0; i < 8; i++) watch(point('Submit', 3 + i));
    // Assess
    expect(waits).toEqual([2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]);
  });

  it('waits nothing when a new execution of the transfer enters the step the last one died at', () => {
    // Prepare
    const waits: number[] = [];
    const watch = retryWaits(synthesizeTransferDefinition(), (ms) => waits.push(ms));
    // Act
    watch(point('Lock', 1));
    watch(point('Lock', 1));
    // Assess
    expect(waits).toEqual([]);
  });
});
