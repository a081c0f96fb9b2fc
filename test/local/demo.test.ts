/** `npm start`: the demo runs by itself, moves money through the workflow, and its books agree. */
import { describe, expect, it } from 'vitest';
import { DEMO_SEED } from '../../functions/adapters/paper/market.ts';
import { demo } from '../../functions/local/commands/demo.ts';
import { specConfig } from '../core/fixtures.ts';

describe('the demo', () => {
  it('harvests and refills through the workflow within 30 cycles and ends with agreeing books', async () => {
    const lines: string[] = [];
    const code = await demo({
      config: specConfig(),
      cycles: 30,
      seed: DEMO_SEED,
      quiet: true,
      delayMs: 0,
      out: (l) => lines.push(l),
    });
    const text = lines.join('\n');
    expect(code).toBe(0);
    expect(lines.filter((l) => l.startsWith('cycle '))).toHaveLength(30);
    const byKind = /by kind\s+(\d+) allocation, (\d+) harvest, (\d+) refill/.exec(text);
    expect(Number(byKind?.[1])).toBe(4);
    expect(Number(byKind?.[2])).toBeGreaterThanOrEqual(1);
    expect(Number(byKind?.[3])).toBeGreaterThanOrEqual(1);
    expect(text).toContain("the journal's books agree with the exchange");
  });
});
