/**
 * Alert digests (issue 16 part 4): a cycle's warnings of one code about several bots go out as
 * one message naming them, each bot still cooled down per (code, bot) in the store; a code only
 * one bot raised, critical alerts and pool or portfolio alerts keep their own message.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Alert, alert, digestAlerts, poolAlert } from '../../functions/core/alerts.ts';
import { ratio } from '../../functions/core/money.ts';
import { renderAlert } from '../../functions/local/board.ts';
import { withCooldown } from '../../functions/usecases/alerting.ts';
import { specConfig } from '../core/fixtures.ts';
import { cycleAt, type TestRuntime, testRuntime } from '../helpers/runtime.ts';

const stale = (bot: string) => alert('bot_stale', `${bot} is stale`, bot);

describe('digestAlerts', () => {
  it('makes one message per (code, severity) of the bots, in the order the codes first came', () => {
    // Prepare
    const alerts: Alert[] = [
      stale('a'),
      alert('halted', 'portfolio halted'),
      alert('account_changed', 'a moved', 'a'),
      alert('account_changed', 'b moved', 'b'),
      alert('unusual_loss', 'c lost much', 'c'),
      stale('b'),
      poolAlert('bots_correlated', 'pool p is one bet', 'p'),
      stale('c'),
    ];
    // Act
    const out = digestAlerts(alerts);
    // Assess: critical, pool and lone alerts untouched; the three stale bots in one
    expect(out).toEqual([
      {
        severity: 'warning',
        code: 'bot_stale',
        bots: ['a', 'b', 'c'],
        message: '3 bots: a, b, c\n- a is stale\n- b is stale\n- c is stale',
      },
      alerts[1],
      alerts[2],
      alerts[3],
      alerts[4],
      alerts[6],
    ]);
    expect(digestAlerts([stale('a')])).toEqual([stale('a')]);
    expect(digestAlerts([])).toEqual([]);
  });

  it('stays one bounded message for a fleet: 50 bots named, 10 quoted', () => {
    // Act
    const [digest, ...rest] = digestAlerts(
      Array.from({ length: 10_000 }, (_, i) => stale(`b${i}`)),
    );
    // Assess
    expect(rest).toEqual([]);
    expect(digest?.bots).toHaveLength(10_000);
    const lines = digest?.message.split('\n') ?? [];
    expect(lines[0]).toBe(
      `10000 bots: ${Array.from({ length: 50 }, (_, i) => `b${i}`).join(', ')} and 9950 more`,
    );
    expect(lines.slice(1, 11)).toEqual(Array.from({ length: 10 }, (_, i) => `- b${i} is stale`));
    expect(lines.slice(11)).toEqual([
      '- and 9990 more bots of the same (botfolio status lists each)',
    ]);
    expect(digest?.message.length).toBeLessThan(1000);
    // On the console, the digest's lines stay under its tag.
    expect(renderAlert(digestAlerts([stale('a'), stale('b')])[0] as Alert)).toContain(
      'bot_stale [2 bots]: 2 bots: a, b\n      - a is stale\n      - b is stale',
    );
  });
});

describe('a cycle’s alerts, through the cooldown', () => {
  let rt: TestRuntime | undefined;
  afterEach(async () => {
    await rt?.close();
    rt = undefined;
  });

  it('sends one digest for three levered bots, none again within the cooldown, and a fourth bot alone', async () => {
    // Prepare: three bots above risk.max_bot_leverage
    const config = specConfig({ risk: { max_bot_leverage: 5 } });
    rt = await testRuntime({ config });
    const accounts = config.bots.map((b) => b.account);
    await rt.cycle(cycleAt(0)); // allocations
    for (const i of [0, 1, 2]) rt.exchange.setSubAccountLeverage(accounts[i] ?? '', ratio(8));
    rt.alerts.length = 0;
    // Act
    await rt.cycle(cycleAt(1));
    const first = rt.alerts.filter((a) => a.code === 'bot_leverage_high');
    rt.alerts.length = 0;
    await rt.cycle(cycleAt(2)); // 15 minutes later, within the 1 h cooldown
    const again = rt.alerts.filter((a) => a.code === 'bot_leverage_high');
    rt.exchange.setSubAccountLeverage(accounts[3] ?? '', ratio(9));
    rt.alerts.length = 0;
    await rt.cycle(cycleAt(3));
    const fourth = rt.alerts.filter((a) => a.code === 'bot_leverage_high');
    const claims = await rt.store.cooldowns.sentSince(config.portfolioId, 0);
    // Assess
    const three = config.bots.slice(0, 3).map((b) => b.botId);
    expect(first).toEqual([expect.objectContaining({ severity: 'warning', bots: three })]);
    expect(first[0]?.botId).toBeUndefined();
    expect(first[0]?.message.split('\n')[0]).toBe(`3 bots: ${three.join(', ')}`);
    expect(again).toEqual([]);
    expect(fourth.map((a) => [a.botId, a.bots])).toEqual([[config.bots[3]?.botId, undefined]]);
    // Each bot's claim is its own: the board's "alerts sent" still lists every bot.
    expect(
      claims
        .map((c) => c.key)
        .filter((k) => k.startsWith('bot_leverage_high#'))
        .sort(),
    ).toEqual(config.bots.map((b) => `bot_leverage_high#${b.botId}`).sort());
  });

  it('sends an allocation wave as one digest naming the bots, once', async () => {
    // Prepare: the spec portfolio, whose first cycle funds every bot
    const config = specConfig();
    rt = await testRuntime({ config });
    // Act
    await rt.cycle(cycleAt(0));
    const wave = rt.alerts.filter((a) => a.code === 'allocation');
    const held = await rt.store.cooldowns.held(config.portfolioId);
    rt.alerts.length = 0;
    await rt.cycle(cycleAt(1));
    const later = rt.alerts.filter((a) => a.code === 'allocation');
    // Assess: one message naming the funded bots, nothing held after it, not sent again
    const funded = [...((await rt.store.portfolio.load(config.portfolioId))?.bots.keys() ?? [])];
    expect(funded.length).toBeGreaterThan(1);
    expect(wave).toHaveLength(1);
    expect([...(wave[0]?.bots ?? [])].sort()).toEqual(funded.sort());
    expect(wave[0]?.message).toMatch(/^\d+ bots: /);
    expect(held).toEqual([]);
    expect(later).toEqual([]);
  });

  it('holds a transfer’s non-critical alert until a flush, and sends its critical one at once', async () => {
    // Prepare: the cooldown over a store, in front of a recording alerter
    rt = await testRuntime({ config: specConfig() });
    const sent: Alert[] = [];
    const alerter = withCooldown(
      { send: async (a) => void sent.push(a) },
      rt.store.cooldowns,
      3_600_000,
      () => cycleAt(0),
    );
    const pid = rt.config.portfolioId;
    const done = (id: string, bot: string) =>
      alerter.send(alert('harvest', `harvest of ${bot} completed`, bot), {
        portfolioId: pid,
        transferId: id,
        transferStatus: 'completed',
      });
    // Act
    await done('t1', 'a');
    await done('t2', 'b');
    await done('t1', 'a'); // a notify step run again
    const failed = alert('transfer_failed', 'refill of c failed', 'c');
    await alerter.send(failed, { portfolioId: pid, transferId: 't3', transferStatus: 'failed' });
    const beforeFlush = [...sent];
    await alerter.flush?.(pid);
    await alerter.flush?.(pid);
    await done('t2', 'b'); // run again after its digest went out
    await alerter.flush?.(pid);
    // Assess
    expect(beforeFlush).toEqual([failed]);
    expect(sent.slice(1)).toEqual([
      expect.objectContaining({ code: 'harvest', severity: 'info', bots: ['a', 'b'] }),
    ]);
    expect((await rt.store.cooldowns.sentSince(pid, 0)).map((s) => s.key).sort()).toEqual([
      'harvest#transfer#t1#completed',
      'harvest#transfer#t2#completed',
      'transfer_failed#transfer#t3#failed',
    ]);
  });
});
