/**
 * The status board: what it shows of the portfolio and of each bot, that its columns add up, its
 * JSON form, and how it reaches the screen — redrawn in place on a terminal (driven here in a
 * pseudo-terminal with `script`), plain lines in a pipe.
 */
import { spawnSync } from 'node:child_process';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { dynamoStores } from '../../functions/adapters/dynamodb/store.ts';
import { money } from '../../functions/core/money.ts';
import { plannedEntry } from '../../functions/core/transfer.ts';
import {
  type BoardInput,
  boardJson,
  renderBoard,
  sentAlertOf,
} from '../../functions/local/board.ts';
import { demo } from '../../functions/local/commands/demo.ts';
import { startEmbeddedDynamo } from '../../functions/local/dynamo.ts';
import { specConfig, stateOf } from '../core/fixtures.ts';
import { root } from '../helpers/cli.ts';

const config = specConfig();

function input(changes: Record<string, unknown>, extra: Partial<BoardInput> = {}): BoardInput {
  const state = stateOf(config, changes);
  return {
    config,
    state,
    cycleId: '20261120T1200Z-15m',
    mode: 'normal',
    equity: money(800),
    peakEquity: money(1000),
    nextCycleAt: '2026-11-20T12:15:00.000Z',
    lastAction: new Map([
      [
        '4h_swing_btc',
        { kind: 'refill', amount: money(30), status: 'completed', at: '2026-11-20T11:45:00.000Z' },
      ],
    ]),
    ...extra,
  };
}

const rowOf = (text: string, bot: string) =>
  stripVTControlCharacters(text)
    .split('\n')
    .find((l) => l.includes(bot)) ?? '';

describe('the status board', () => {
  it('shows the drawdown against the emergency stop, the reserves against their floors, the next cycle', () => {
    const text = stripVTControlCharacters(renderBoard(input({ 'reserves.emergency': 150 })));
    expect(text).toContain('cycle 2026-11-20 12:00 UTC (every 15m)');
    expect(text).toContain('next cycle 2026-11-20 12:15 UTC');
    expect(text).toContain('drawdown 20.0 % of the 25 % emergency stop');
    expect(text).toContain('emergency 150.00 (floor 200.00) BELOW FLOOR');
    expect(text).toContain('Harvested 0.00 USDT in all · protected 0.00 · contributed 500.00');
  });

  it('rounds every amount down to the cent, so balance and PnL agree (149.59 and −0.41)', () => {
    const text = renderBoard(
      input({
        'bots.1h_lorentzian_sol.balance': '149.596',
        'bots.1h_lorentzian_sol.contributed': 150,
      }),
    );
    expect(rowOf(text, '1h_lorentzian_sol')).toMatch(/149\.59 .*150\.00 .*-0\.41/);
  });

  it('shows each bot’s ratio to its triggers, refills used and blocked, compounding and last action', () => {
    const text = renderBoard(
      input({
        'bots.4h_swing_btc.balance': 120,
        'bots.4h_swing_btc.refills': 1,
        'bots.4h_swing_btc.refill_blocked': true,
        'bots.5m_scalping_sol.balance': 230,
        'bots.5m_scalping_sol.contributed': 100,
      }),
    );
    expect(rowOf(text, '4h_swing_btc')).toMatch(
      /0\.80 \(≥1\.25 · ≤0\.25\) .*1\/2 BLOCKED .*refill 30\.00 completed · 2026-11-20 11:45/,
    );
    expect(rowOf(text, '5m_scalping_sol')).toMatch(/2\.30 \(≥1\.15 · ≤0\.25\) compounding/);
  });

  it('lists the transfers in flight and the last alerts', () => {
    const entry = plannedEntry(
      {
        kind: 'harvest',
        botId: '5m_scalping_sol',
        from: 'bot:5m_scalping_sol',
        to: 'reserve:high_frequency',
        amount: money(12),
        reason: 'test',
        leg: 0,
      },
      { portfolioId: 'main', cycleId: 'c1', exchange: 'bitget', now: '2026-11-20T12:00:00.000Z' },
    );
    const text = stripVTControlCharacters(
      renderBoard(
        input(
          {},
          {
            inFlight: [{ ...entry, status: 'submitted' }],
            alerts: [
              {
                severity: 'warning',
                code: 'unusual_loss',
                botId: '4h_swing_btc',
                message: 'fell 9 %',
              },
            ],
          },
        ),
      ),
    );
    expect(text).toMatch(
      /In flight: \n {2}[0-9a-f]{8} harvest 12\.00 bot:5m_scalping_sol → reserve:high_frequency: submitted/,
    );
    expect(text).toMatch(/Alerts: \n {2}warning {2}unusual_loss \[4h_swing_btc\]: fell 9 %/);
  });

  it('lists the alerts the store remembers sending, what and about whom and when', async () => {
    // Prepare: two alerts sent through the cooldown store, one of them a day and a half ago
    const dynamo = await startEmbeddedDynamo();
    try {
      const { cooldowns } = dynamoStores(dynamo.client, dynamo.tableNames);
      const now = Date.parse('2026-11-20T12:00:00Z');
      await cooldowns.claimAlert('main', 'unusual_loss#4h_swing_btc', now - 60_000, 3_600_000);
      await cooldowns.claimAlert(
        'main',
        'transfer_failed#transfer#3f2a9c1b77#failed',
        now - 36 * 3_600_000,
        3_600_000,
      );
      // Act
      const sent = await cooldowns.sentSince('main', now - 24 * 3_600_000);
      const text = stripVTControlCharacters(
        renderBoard(input({}, { recentAlerts: sent.map((a) => sentAlertOf(a.key, a.sentAt)) })),
      );
      // Assess
      expect(text).toMatch(
        /Alerts sent in the last 24 h: \n {2}2026-11-20 11:59 {2}unusual_loss \[bot 4h_swing_btc\]$/,
      );
      expect(sentAlertOf('transfer_failed#transfer#3f2a9c1b77#failed', now).about).toBe(
        'transfer 3f2a9c1b (failed)',
      );
      expect(sentAlertOf('bots_correlated#pool#low_frequency', now).about).toBe(
        'pool low_frequency',
      );
      expect(sentAlertOf('unusual_loss#pool', now).about).toBe('bot pool');
    } finally {
      await dynamo.close();
    }
  });

  it('gives machines decimal strings for every amount and ratio', () => {
    const json = boardJson(input({ 'bots.1h_lorentzian_sol.balance': '149.596' }));
    expect(json).toMatchObject({
      equity: '800.00000000',
      drawdown: '0.200000',
      reserves: { emergency: { balance: '200.00000000', floor: '200.00000000' } },
    });
    const bots = json.bots as Record<string, unknown>[];
    expect(bots[0]).toMatchObject({
      balance: '149.59600000',
      pnl: '-0.40400000',
      harvest_at: '1.25',
    });
    expect(JSON.stringify(json)).not.toMatch(/:\s*\d+\.\d+[,}]/); // no float amounts
  });

  it('prints one plain line per cycle into a pipe, not a table each time', async () => {
    const lines: string[] = [];
    const code = await demo({
      config,
      cycles: 3,
      seed: 7,
      quiet: false,
      delayMs: 0,
      out: (l) => lines.push(l),
    });
    expect(code).toBe(0);
    const cycles = lines.filter((l) => /^cycle +\d /.test(l));
    expect(cycles).toHaveLength(3);
    expect(lines.join('\n')).not.toContain('┌');
  });

  it('redraws in place on a terminal (a pseudo-terminal through `script`)', () => {
    // Act: the demo in a pty 200 columns wide
    const r = spawnSync(
      'script',
      [
        '-q',
        '-e',
        '-c',
        `stty cols 200 rows 60; ${process.execPath} --import tsx bin/botfolio.ts demo --cycles 3 --delay 0`,
        '/dev/null',
      ],
      { cwd: root, encoding: 'utf8', timeout: 90_000 },
    );
    // Assess: three boards drawn, the second and third over the one before
    expect(r.status).toBe(0);
    const out = r.stdout;
    const boards = out.split('BOTFOLIO ·').length - 1;
    expect(boards).toBe(3);
    const last = stripVTControlCharacters(out.slice(out.lastIndexOf('BOTFOLIO ·')));
    const height = last.slice(0, last.indexOf('Demo summary')).trimEnd().split('\n').length;
    const cursorUps = out.split('\u001b[1A').length - 1;
    expect(cursorUps).toBeGreaterThanOrEqual(2 * (height - 1)); // each redraw goes up over the board before
    expect(out.split('\u001b[2K').length - 1).toBeGreaterThanOrEqual(2 * height); // and erases them
    expect(out).toContain('Demo summary — 3 cycle(s)');
  }, 120_000);
});
