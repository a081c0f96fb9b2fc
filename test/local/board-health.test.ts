/** The board's health column and counts, and `status --json`'s health, from the stored heartbeats. */
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { BotHealth } from '../../functions/core/health.ts';
import { money } from '../../functions/core/money.ts';
import { type BoardInput, boardJson, renderBoard } from '../../functions/local/board.ts';
import { statusBoard } from '../../functions/local/commands/status.ts';
import { specConfig, stateOf } from '../core/fixtures.ts';

const config = specConfig({ 'bots[3].health': { heartbeat: true } });
const health = new Map<string, BotHealth>(
  config.bots.map((b) => [
    b.botId,
    b.botId === '15m_momentum_eth'
      ? { status: 'stale', reason: 'not heard from', lastSeen: '2026-11-20T11:40:00.000Z' }
      : { status: 'not_monitored', reason: 'no health source configured' },
  ]),
);
const input = (extra: Partial<BoardInput> = {}): BoardInput => ({
  config,
  state: stateOf(config),
  cycleId: '20261120T1200Z-15m',
  mode: 'normal',
  equity: money(1000),
  peakEquity: money(1000),
  lastAction: new Map(),
  ...extra,
});

describe('the board with monitored bots', () => {
  it('shows each bot’s health and the counts by status', () => {
    const text = stripVTControlCharacters(renderBoard(input({ health })));
    expect(text).toContain('Bots 0 running · 1 stale · 0 stopped · 0 error · 3 not monitored');
    const row = text.split('\n').find((l) => l.includes('15m_momentum_eth')) ?? '';
    expect(row).toContain('STALE (seen 2026-11-20 11:40)');
  });

  it('has no health column when no bot is monitored (as before)', () => {
    expect(stripVTControlCharacters(renderBoard(input()))).not.toContain('health');
  });

  it('gives each bot’s health and the counts in JSON', () => {
    const json = boardJson(input({ health })) as {
      bots: { bot_id: string; health?: { status: string } }[];
      health_counts: Record<string, number>;
    };
    expect(json.bots.find((b) => b.bot_id === '15m_momentum_eth')?.health?.status).toBe('stale');
    expect(json.health_counts).toEqual({
      running: 0,
      stale: 1,
      stopped: 0,
      error: 0,
      not_monitored: 3,
    });
  });

  it('judges the stored facts as of now for `status` (a stored heartbeat ages)', async () => {
    const receivedAt = new Date(Date.now() - 10 * 60_000).toISOString();
    const reads = {
      sentSince: async () => [],
      byStatus: async () => [],
      byBot: async () => [],
      endOfDay: async () => [],
      healthFacts: async () =>
        new Map([
          [
            '15m_momentum_eth',
            {
              push: { ts: 1, status: 'running' as const, errors: 0, receivedAt, recentErrors: [] },
            },
          ],
        ]),
    };
    const board = await statusBoard(config, reads, stateOf(config));
    expect(board.health?.get('15m_momentum_eth')?.status).toBe('stale');
  });
});
