/** `npm start`: the demo runs by itself, moves money through the workflow, and its books agree. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEMO_SEED } from '../../functions/adapters/paper/market.ts';
import { parseConfig } from '../../functions/core/config.ts';
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
    // One simulated bot falls silent in cycles 15–22: stale, alerted, and no money into it.
    const cycle = (n: number) =>
      lines.find((l) => l.startsWith(`cycle ${String(n).padStart(3)} `))?.split('\n')[0];
    expect(cycle(14)).not.toContain('stale');
    for (let n = 15; n <= 22; n++) {
      expect(cycle(n)).toContain('· stale 15m_momentum_eth');
      expect(cycle(n)).not.toMatch(/(refill|allocation|rebalance) 15m_momentum_eth/);
    }
    expect(cycle(23)).not.toContain('stale');
    expect(text).toContain('15m_momentum_eth is running again (it was stale)');
    expect(text).toMatch(/warning +bot_stale \[15m_momentum_eth\]/);
    expect(text).toContain(
      '15m_momentum_eth sent no heartbeat in cycles 15–22: judged stale in cycles 15, 16, 17, 18, 19, 20, 21, 22; no money went into it meanwhile',
    );
    // The simulated bots' positions are known: every cycle after the first shows the exposure.
    expect(cycle(2)).toMatch(/· exposure \d+\.\d\d×/);
  });

  it('runs a portfolio on Bitget and Binance, each transfer on its own exchange (examples/venues-portfolio.json)', async () => {
    // Prepare
    const config = parseConfig(
      JSON.parse(
        readFileSync(new URL('../../examples/venues-portfolio.json', import.meta.url), 'utf8'),
      ),
    );
    const lines: string[] = [];
    // Act
    const code = await demo({
      config,
      cycles: 30,
      seed: DEMO_SEED,
      quiet: true,
      delayMs: 0,
      out: (l) => lines.push(l),
    });
    // Assess
    const text = lines.join('\n');
    expect(code).toBe(0);
    expect(text).toMatch(
      /exchanges +bitget: \d+ moved, reserves emergency [\d.]+, low_frequency [\d.]+; binance: \d+ moved, reserves emergency@binance [\d.]+, high_frequency [\d.]+ — no transfer between exchanges/,
    );
    expect(text).toMatch(/refill .*reserve:high_frequency → bot:15m_momentum_eth completed/);
    expect(text).toContain("the journal's books agree with the exchange");
  });
});
