/**
 * Alert channels in local mode: the runtime sends every alert that passes the cooldown to the
 * config's channels right after publishing it, with the secrets from its environment — and a
 * channel that is down never fails the cycle.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { alertChannels } from '../../functions/adapters/channels/index.ts';
import { channelSecretFromEnv } from '../../functions/adapters/channels/secrets.ts';
import { alert } from '../../functions/core/alerts.ts';
import type { MetricName } from '../../functions/core/metrics.ts';
import { run } from '../../functions/local/commands/run.ts';
import { type LocalRuntime, startLocalRuntime } from '../../functions/local/runtime.ts';
import { type ChannelFailure, withChannels } from '../../functions/usecases/alert-channels.ts';
import { withCooldown } from '../../functions/usecases/alerting.ts';
import { specConfig } from '../core/fixtures.ts';
import {
  DISCORD_WEBHOOK_PATH,
  FAKE_BOT_TOKEN,
  type FakePlatform,
  startFakeDiscord,
  startFakeTelegram,
} from '../helpers/fake-channels.ts';
import { T0 } from '../helpers/runtime.ts';

const FAST = { backoffMs: 5, attempts: 2 } as const;

const closing: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of closing.splice(0).reverse()) await c.close();
});

interface Started {
  readonly rt: LocalRuntime;
  readonly published: string[];
  readonly failures: ChannelFailure[];
  readonly metrics: Partial<Record<MetricName, number>>[];
}

/** The spec portfolio with a Telegram channel (every alert) and a Discord one (critical only, unless said). */
async function runtimeWith(
  telegram: FakePlatform,
  discord: FakePlatform,
  env: Record<string, string>,
  discordFloor = 'critical',
): Promise<Started> {
  const published: string[] = [];
  const failures: ChannelFailure[] = [];
  const metrics: Partial<Record<MetricName, number>>[] = [];
  const config = specConfig({
    alerts: {
      channels: [
        { type: 'telegram', chat_id: 42, min_severity: 'info', api_url: telegram.url },
        { type: 'discord', min_severity: discordFloor },
      ],
    },
  });
  const rt = await startLocalRuntime({
    config,
    retryIntervalMs: 0,
    now: () => T0,
    onAlert: (a) => published.push(a.code),
    channelEnv: { DISCORD_WEBHOOK_URL: `${discord.url}${DISCORD_WEBHOOK_PATH}`, ...env },
    channelDelivery: FAST,
    onChannelFailure: (f) => failures.push(f),
    metrics: { emit: (_, values) => void metrics.push(values) },
  });
  closing.push(rt);
  return { rt, published, failures, metrics };
}

async function fake(started: Promise<FakePlatform>): Promise<FakePlatform> {
  const f = await started;
  closing.unshift(f);
  return f;
}

describe('alert channels in local mode', () => {
  it('get each alert of a cycle right after it is published, at or above their floor', async () => {
    // Prepare
    const telegram = await fake(startFakeTelegram());
    const discord = await fake(startFakeDiscord());
    const { rt, published, failures } = await runtimeWith(telegram, discord, {
      TELEGRAM_BOT_TOKEN: FAKE_BOT_TOKEN,
    });
    // Act: the first cycle allocates the four bots
    await rt.cycle(T0);
    // Assess: Telegram got every published alert (its floor is info), Discord none (no critical)
    expect(published.length).toBeGreaterThan(0);
    expect(failures).toEqual([]);
    expect(telegram.requests.map((r) => String(r.json?.text).split(' ')[2]).sort()).toEqual(
      [...published].sort(),
    );
    expect(telegram.requests.every((r) => r.json?.chat_id === '42')).toBe(true);
    expect(discord.requests).toEqual([]);
  });

  it('never fail the cycle when a channel is down or its token missing: logged and counted', async () => {
    // Prepare: Telegram's token is not set; Discord's server is gone
    const telegram = await fake(startFakeTelegram());
    const discord = await startFakeDiscord();
    await discord.close();
    const { rt, published, failures, metrics } = await runtimeWith(telegram, discord, {}, 'info');
    // Act
    const result = await rt.cycle(T0);
    // Assess: the cycle ran and moved money; each alert's two failures are reported and counted
    expect(result.entries.length).toBeGreaterThan(0);
    const completed = await Promise.all(result.entries.map((e) => rt.store.journal.get(e.id)));
    expect(completed.map((e) => e?.status)).toEqual(result.entries.map(() => 'completed'));
    expect(telegram.requests).toEqual([]);
    expect(failures).toHaveLength(2 * published.length);
    expect(new Set(failures.map((f) => f.error.message))).toEqual(
      new Set([
        'set TELEGRAM_BOT_TOKEN (in the environment or .env) (README, "Alert channels")',
        'alert channel discord: network error ECONNREFUSED (2 attempts)',
      ]),
    );
    const failed = metrics.reduce((n, m) => n + (m.AlertChannelFailures ?? 0), 0);
    expect(failed).toBe(2 * published.length);
  });

  it('keep the cooldown: an alert the cooldown holds back reaches no channel', async () => {
    // Prepare: the channels behind the runtime's own cooldown store, as the runtime wires them
    const telegram = await fake(startFakeTelegram());
    const discord = await fake(startFakeDiscord());
    const { rt } = await runtimeWith(telegram, discord, { TELEGRAM_BOT_TOKEN: FAKE_BOT_TOKEN });
    const channels = withChannels(
      { send: async () => {} },
      alertChannels(rt.config, (c) =>
        channelSecretFromEnv(c, { TELEGRAM_BOT_TOKEN: FAKE_BOT_TOKEN }),
      ),
      { metrics: { emit: () => {} }, onFailure: () => {} },
    );
    const alerter = withCooldown(channels, rt.store.cooldowns, rt.config.alertCooldownMs, () => T0);
    const stale = alert('unusual_loss', 'lost 40% in one cycle', '4h_swing_btc');
    // Act: the same alert twice within the cooldown, and another bot's once
    await alerter.send(stale, { portfolioId: 'main' });
    await alerter.send(stale, { portfolioId: 'main' });
    await alerter.send({ ...stale, botId: '1h_lorentzian_sol' }, { portfolioId: 'main' });
    await channels.drain();
    // Assess
    expect(telegram.requests).toHaveLength(2);
  });
});

describe('botfolio run with alert channels', () => {
  it('says where alerts also go, which secret is not set, and sends with the ones that are', async () => {
    // Prepare: Telegram's token is set, Slack's webhook URL is not
    const telegram = await fake(startFakeTelegram());
    const out: string[] = [];
    const config = specConfig({
      alerts: {
        channels: [
          { type: 'telegram', chat_id: 42, min_severity: 'info', api_url: telegram.url },
          { type: 'slack', min_severity: 'critical' },
        ],
      },
    });
    // Act
    const code = await run({
      config,
      exchange: 'paper',
      dataDir: mkdtempSync(join(tmpdir(), 'botfolio-channels-run-')),
      dryRun: false,
      cycles: 1,
      intervalMs: 0,
      env: { TELEGRAM_BOT_TOKEN: FAKE_BOT_TOKEN },
      out: (line) => out.push(line),
    });
    // Assess
    expect(code).toBe(0);
    expect(out).toContain('  alerts also to telegram (info and above), slack (critical and above)');
    expect(
      out.some((l) =>
        l.includes('alert channel slack: set SLACK_WEBHOOK_URL in the environment or .env'),
      ),
    ).toBe(true);
    expect(telegram.requests.length).toBeGreaterThan(0);
  });
});
