/** `botfolio bot ID`: one bot's equity over time, its metrics and what they come from, its transfers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botCommand } from '../../functions/local/commands/bot.ts';
import { cycleAt, type TestRuntime, testRuntime } from '../helpers/runtime.ts';

describe('botfolio bot', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await testRuntime();
    // a day and a half of 15-minute cycles: enough for daily returns
    for (let i = 0; i < 150; i++) {
      if (i > 0) rt.trade();
      await rt.cycle(cycleAt(i));
    }
  }, 120_000);
  afterAll(() => rt.close());

  const show = async (botId: string) => {
    let out = '';
    const code = await botCommand(rt.config, rt.store, botId, (t) => {
      out += t;
    });
    return { code, out };
  };

  it('charts its equity over the cycles recorded', async () => {
    const r = await show('4h_swing_btc');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /equity \(USDT\), 149 cycles from 2026-11-20T12:15 to 2026-11-22T01:15 UTC/,
    );
    expect(r.out).toMatch(/┼/); // the chart's axis
  });

  it('gives its metrics with what each is computed from', async () => {
    const r = await show('4h_swing_btc');
    expect(r.out).toMatch(
      /total PnL +-?\d+\.\d{2} USDT {2}\(balance .* − contributed 150\.00, from the books\)/,
    );
    expect(r.out).toMatch(
      /win rate +\d+\.\d % {2}\(3 daily returns; win rate = share of positive daily equity returns/,
    );
    expect(r.out).toMatch(
      /max drawdown +\d+\.\d % {2}\(largest fall of the flow-adjusted equity over 149 snapshots\)/,
    );
  });

  it('lists its transfers under a header row', async () => {
    const r = await show('4h_swing_btc');
    expect(r.out).toMatch(/transfers \(\d+\)\nid +planned \(UTC\) +kind/);
    expect(r.out).toMatch(/allocation +150\.00 +reserve low_frequency +bot 4h_swing_btc/);
  });

  it('refuses a bot the portfolio does not know, exit 1', async () => {
    const r = await show('nosuchbot');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
  });
});
