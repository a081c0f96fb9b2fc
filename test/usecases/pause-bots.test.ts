/**
 * The coordinated stop (DESIGN.md §11, `emergency_stop.pause_bots`) through the real cycle, against
 * fake Freqtrade APIs on 127.0.0.1: on the cycle that enters `halted`, every bot with a control
 * API is asked to pause (`POST /api/v1/stopentry`, login and JWT as for its health), and what
 * each answered is journaled as one `pause_bots` operation — within the stop's deadline, once per
 * slot, and never again while the halt is in force.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freqtradePauser, freqtradePuller } from '../../functions/adapters/freqtrade-api.ts';
import { envPasswords } from '../../functions/adapters/health-secrets.ts';
import type { Config } from '../../functions/core/config.ts';
import { money } from '../../functions/core/money.ts';
import { type BotPause, FLEET } from '../../functions/core/pause.ts';
import { askToPause, coordinatedStop } from '../../functions/usecases/pause-bots.ts';
import { specConfig } from '../core/fixtures.ts';
import { type FakeFreqtrade, startFakeFreqtrade } from '../helpers/fake-freqtrade.ts';
import { CYCLE, type Harness, harness, T0, UID } from './harness.ts';

const USER = 'botfolio';
const PASSWORD = 'ft-pass';
/** Each bot's API gets this long; the tests' fakes answer in milliseconds, or never. */
const TIMEOUT_MS = 300;
const passwords = envPasswords({ FT_PASSWORD: PASSWORD });
const pull = freqtradePuller(passwords, { timeoutMs: TIMEOUT_MS });
const pause = freqtradePauser(passwords, { timeoutMs: TIMEOUT_MS });

let lorentzian: FakeFreqtrade; // bots[0], 1h_lorentzian_sol
let swing: FakeFreqtrade; // bots[1], 4h_swing_btc
let h: Harness | undefined;
beforeEach(async () => {
  lorentzian = await startFakeFreqtrade(USER, PASSWORD);
  swing = await startFakeFreqtrade(USER, PASSWORD);
});
afterEach(async () => {
  await h?.close();
  h = undefined;
  await lorentzian.close();
  await swing.close();
});

const api = (url: string) => ({ freqtrade: { url, user: USER, password_secret: 'FT_PASSWORD' } });
/** Two Freqtrade bots and two without a control API; no black swan, to see the halt alone. */
const configFor = (pauseBots: boolean): Config =>
  specConfig({
    'bots[0].health': api(lorentzian.url),
    'bots[1].health': api(swing.url),
    emergency_stop: { max_drawdown_percent: 25, pause_bots: pauseBots },
    'black_swan_protection.enabled': false,
  });

/** A cycle at `atMs`, the Freqtrade bots' loops having just run. */
async function cycleAt(x: Harness, atMs: number) {
  lorentzian.lastProcessTs = Math.floor(atMs / 1000) - 1;
  swing.lastProcessTs = Math.floor(atMs / 1000) - 1;
  return x.cycle(x.at(atMs));
}

/** Funds the four bots at T0, then every bot falls to 60: equity 740 ≤ 0.75 × 1000, the stop trips at T0 + CYCLE. */
async function fundedThenCrashed(config: Config): Promise<Harness> {
  const x = await harness({ config, freqtrade: pull, pauseBot: pause });
  await cycleAt(x, T0);
  for (const uid of Object.values(UID)) x.exchange.setSubAccountEquity(uid, money(60));
  return x;
}

const pausesJournaled = async (x: Harness) =>
  (await x.store.journal.byBot('main', FLEET, 10)).filter((e) => e.kind === 'pause_bots');

describe('entering halted with pause_bots', () => {
  it('pauses the bots with a control API and journals each answer; a 401 is recorded as refused', async () => {
    // Prepare
    h = await fundedThenCrashed(configFor(true));
    swing.refuseStop = true;
    // Act
    const result = await cycleAt(h, T0 + CYCLE);
    // Assess: halted, one pause accepted, one refused, two bots without an API.
    expect(result.plan.flags.halted).toBe(true);
    expect(lorentzian.stopEntries).toBe(1);
    expect(lorentzian.asked).toContain('POST /api/v1/stopentry');
    expect(swing.asked).toContain('POST /api/v1/stopentry');
    expect(swing.stopEntries).toBe(0);
    const [entry, ...more] = await pausesJournaled(h);
    expect(more).toEqual([]);
    expect(entry).toMatchObject({
      kind: 'pause_bots',
      status: 'completed',
      cycleId: result.cycleId,
      ledgerApplied: true,
      operation: {
        by: 'botfolio',
        pauses: [
          {
            botId: '1h_lorentzian_sol',
            outcome: 'paused',
            detail: 'stopentry: No more entries will occur from now. Run /reload_config to reset.',
          },
          { botId: '4h_swing_btc', outcome: 'refused', status: 401 },
          { botId: '5m_scalping_sol', outcome: 'no_control_api' },
          { botId: '15m_momentum_eth', outcome: 'no_control_api' },
        ],
      },
    });
    const halted = h.alerts.find((a) => a.code === 'halted');
    expect(halted?.severity).toBe('critical');
    expect(halted?.message).toContain(
      "coordinated stop (pause_bots): 1 of 4 bots paused (1h_lorentzian_sol); 3 not paused: 4h_swing_btc refused (/api/v1/stopentry answered 401: the API refused Botfolio's credentials), 5m_scalping_sol no control API, 15m_momentum_eth no control API — stop them by hand",
    );
    const state = await h.store.portfolio.load('main');
    expect(state?.haltedAt).toBe(new Date(T0 + CYCLE).toISOString());
  });

  it('does not pause again on the next cycle while the halt is in force', async () => {
    // Prepare
    h = await fundedThenCrashed(configFor(true));
    await cycleAt(h, T0 + CYCLE);
    // Act
    const next = await cycleAt(h, T0 + 2 * CYCLE);
    // Assess
    expect(next.plan.flags.halted).toBe(true);
    expect(next.stop).toBeUndefined();
    expect(lorentzian.stopEntries).toBe(1);
    expect(await pausesJournaled(h)).toHaveLength(1);
  });

  it('journals it once when the cycle of the slot is run again before it saved the halt', async () => {
    // Prepare: the stop's cycle ran; as if it died before saving, the halt is not in the books.
    h = await fundedThenCrashed(configFor(true));
    const first = await cycleAt(h, T0 + CYCLE);
    await h.store.portfolio.setHalted('main', false);
    // Act: the same slot again.
    const retried = await cycleAt(h, T0 + CYCLE);
    // Assess: it asked again (a pause is harmless twice), and wrote nothing new.
    expect(retried.cycleId).toBe(first.cycleId);
    expect(retried.stop?.journaled).toBe(false);
    expect(lorentzian.stopEntries).toBe(2);
    expect(await pausesJournaled(h)).toHaveLength(1);
    expect((await h.store.portfolio.load('main'))?.flags.halted).toBe(true);
  });

  it('is not held back by a bot that hangs: no answer within the deadline', async () => {
    // Prepare
    h = await fundedThenCrashed(configFor(true));
    swing.mood = 'hanging';
    // Act
    const started = Date.now();
    const result = await cycleAt(h, T0 + CYCLE);
    const tookMs = Date.now() - started;
    // Assess: halted, the hanging bot recorded as no answer, the others as before.
    expect(result.plan.flags.halted).toBe(true);
    expect(result.stop?.answers.map((a) => `${a.botId} ${a.outcome} ${a.detail}`)).toEqual([
      '1h_lorentzian_sol paused stopentry: No more entries will occur from now. Run /reload_config to reset.',
      `4h_swing_btc no_answer no answer within ${TIMEOUT_MS} ms`,
      '5m_scalping_sol no_control_api no control API configured',
      '15m_momentum_eth no_control_api no control API configured',
    ]);
    // Its health pull and its pause waited TIMEOUT_MS each, the rest of the cycle a little more.
    expect(tookMs).toBeLessThan(2 * TIMEOUT_MS + 3_000);
    expect((await h.store.portfolio.load('main'))?.flags.halted).toBe(true);
  });

  it('pauses nobody when pause_bots is false', async () => {
    // Prepare
    h = await fundedThenCrashed(configFor(false));
    // Act
    const result = await cycleAt(h, T0 + CYCLE);
    // Assess
    expect(result.plan.flags.halted).toBe(true);
    expect(result.stop).toBeUndefined();
    expect(lorentzian.asked).not.toContain('POST /api/v1/stopentry');
    expect(swing.asked).not.toContain('POST /api/v1/stopentry');
    expect(await pausesJournaled(h)).toEqual([]);
    expect(h.alerts.find((a) => a.code === 'halted')?.message).not.toContain('coordinated stop');
  });
});

describe('asking the bots to pause', () => {
  const bots = [
    { botId: 'a', health: { freqtrade: { url: 'http://a', user: 'u', passwordSecret: 'P' } } },
    { botId: 'b', health: { freqtrade: { url: 'http://b', user: 'u', passwordSecret: 'P' } } },
    { botId: 'c' },
  ] as unknown as Config['bots'];
  /** Bot a never answers; b does at once. */
  const stuck: BotPause = (target) =>
    target.url === 'http://a'
      ? new Promise(() => {})
      : Promise.resolve({ outcome: 'paused', detail: 'ok' });

  it('answers within the stop’s deadline, whatever a bot does', async () => {
    const started = Date.now();
    const answers = await askToPause({ bots }, stuck, { deadlineMs: 200 });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(answers).toEqual([
      { botId: 'a', outcome: 'no_answer', detail: 'not answered within 200 ms' },
      { botId: 'b', outcome: 'paused', detail: 'ok' },
      { botId: 'c', outcome: 'no_control_api', detail: 'no control API configured' },
    ]);
  });

  it('asks at most `concurrency` bots at once: one behind a hanging bot is not answered either', async () => {
    const answers = await askToPause({ bots }, stuck, { deadlineMs: 200, concurrency: 1 });
    expect(answers.map((a) => a.outcome)).toEqual(['no_answer', 'no_answer', 'no_control_api']);
  });

  it('still says what the bots answered when the journal cannot be written', async () => {
    const config = { ...configFor(true), bots } as Config;
    const stop = await coordinatedStop(
      {
        config,
        journal: { putOperation: () => Promise.reject(new Error('table gone')) },
        ledger: { applyCompleted: async () => {} },
        pauseBot: async () => ({ outcome: 'paused', detail: 'ok' }),
      },
      { cycleId: 'c1', now: new Date(T0).toISOString(), why: 'test', by: 'me' },
    );
    expect(stop.journalError).toBe('table gone');
    expect(stop.answers.map((a) => a.outcome)).toEqual(['paused', 'paused', 'no_control_api']);
  });
});
