/**
 * `botfolio dashboard` and `backtest --report` in a real browser (Chromium, headless, through
 * playwright-core): the dashboard beside a running `botfolio run` — mode, equity, every bot's row,
 * a transfer and its story, a refresh after the loop's next cycle — and on the data folder alone
 * once the loop stopped; the report opened from its file. Screenshots go to docs/.
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`): skipped with a message without it,
 * except under CI=true, where a missing browser fails. Every wait is bounded; every address is
 * 127.0.0.1 or a local file.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BotSimulator } from '../../functions/adapters/paper/market.ts';
import { specFile, withPaths } from '../core/fixtures.ts';
import { botfolio, root } from '../helpers/cli.ts';

const CHROMIUM = '/usr/bin/chromium';
const missing = !existsSync(CHROMIUM);
const ci = process.env.CI === 'true';
if (missing && !ci) {
  console.warn(
    `dashboard.browser.test.ts skipped: no browser at ${CHROMIUM} (apt-get install -y chromium); under CI=true this fails`,
  );
}

const UIDS = ['6712345678', '6712345679', '6712345680', '6712345681'];
const BOTS = ['1h_lorentzian_sol', '4h_swing_btc', '5m_scalping_sol', '15m_momentum_eth'];

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

/** A CLI process of ours, its output collected. */
function start(...args: string[]) {
  const child = spawn(join(root, 'node_modules/.bin/tsx'), ['bin/botfolio.ts', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const proc = { child, out: '' };
  child.stdout?.on('data', (d: Buffer) => {
    proc.out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    proc.out += d.toString();
  });
  const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
  return Object.assign(proc, { exited });
}

/** Polls `ok` every 200 ms; fails with `what` after `ms`. */
async function until(what: string, ms: number, ok: () => boolean | Promise<boolean>) {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(200);
  }
}

describe.skipIf(missing && !ci)('in a browser', () => {
  let browser: Browser | undefined;
  beforeAll(async () => {
    expect(existsSync(CHROMIUM), `CI=true: the browser tests need ${CHROMIUM}`).toBe(true);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, timeout: 60_000 });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
  });

  /** A page that may reach only 127.0.0.1 and local files; `elsewhere` lists what it tried beyond. */
  const newPage = async (): Promise<{ page: Page; elsewhere: string[] }> => {
    const page = await (browser as Browser).newPage({ viewport: { width: 1320, height: 900 } });
    page.setDefaultTimeout(30_000);
    // Nothing but 127.0.0.1 and local files: any other request fails the test.
    const elsewhere: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('http://127.0.0.1:') || url.startsWith('file://')) return route.continue();
      elsewhere.push(url);
      return route.abort();
    });
    return { page, elsewhere };
  };

  it('shows the portfolio beside a running loop, refreshes after its next cycle, and reads the folder alone once it stopped', async () => {
    // Prepare: a loop with a cycle every 2 s; one bot up 30 % at its 3rd step (a harvest), one
    // down to 24 % at its 4th (a refill).
    const dir = mkdtempSync(join(tmpdir(), 'botfolio-dashboard-'));
    const data = join(dir, 'data');
    mkdirSync(data);
    const configFile = join(dir, 'portfolio.json');
    writeFileSync(
      configFile,
      JSON.stringify(withPaths(specFile(), { 'black_swan_protection.enabled': false })),
    );
    const market = new BotSimulator({
      seed: 3,
      profiles: {
        [UIDS[0] as string]: { replay: [1, 1, 1.3] },
        [UIDS[2] as string]: { replay: [1, 1, 1, 0.24] },
      },
    });
    writeFileSync(join(data, 'market.json'), JSON.stringify(market.toJSON()));
    const loop = start('run', '-c', configFile, '-d', data, '--interval', '2s');
    const cycles = () => loop.out.split('\n').filter((l) => l.startsWith('cycle ')).length;
    await until('the loop’s fifth cycle', 120_000, () => cycles() >= 5);

    const dashboard = start(
      'dashboard',
      '-c',
      configFile,
      '-d',
      data,
      '--port',
      '0',
      '--refresh',
      '1s',
    );
    await until('the dashboard’s address', 60_000, () =>
      /http:\/\/127\.0\.0\.1:\d+\//.test(dashboard.out),
    );
    const url = /http:\/\/127\.0\.0\.1:\d+\//.exec(dashboard.out)?.[0] as string;
    expect(dashboard.out).toMatch(/read-only/);

    // Act: open it.
    const { page, elsewhere } = await newPage();
    await page.goto(url);
    await page.locator('#mode', { hasText: 'normal' }).waitFor();

    // Assess: the portfolio, every bot, a transfer with its story, alerts.
    await expect(page.locator('#equity').textContent()).resolves.toMatch(/^\d+\.\d\d USDT$/);
    await expect(page.locator('#drawdown').textContent()).resolves.toMatch(/% of 25 % stop$/);
    for (const chart of ['#chart-equity', '#chart-drawdown', '#chart-reserves']) {
      expect(await page.locator(`${chart} svg`).count(), chart).toBe(1);
    }
    await expect(page.locator('tr[data-reserve="emergency"]').textContent()).resolves.toMatch(
      /reserve:emergency.*200\.00/,
    );
    for (const bot of BOTS) {
      const row = page.locator(`tr[data-bot="${bot}"]`);
      await expect(row.textContent(), bot).resolves.toMatch(/active|in flight/);
      expect(await row.locator('svg').count(), `${bot}'s sparkline`).toBe(1);
    }
    await page
      .locator('#transfers li', { hasText: 'harvest' })
      .first()
      .waitFor({ timeout: 60_000 });
    const allocation = page
      .locator('#transfers li')
      .filter({
        hasText: /allocation 150\.00 USDT {2}reserve:low_frequency → bot:1h_lorentzian_sol/,
      })
      .first();
    await allocation.locator('summary').click();
    await expect(allocation.locator('pre').textContent()).resolves.toMatch(
      /^transfer [0-9a-f-]+ +\(clientOid .*\n +allocation of 150\.00000000 USDT: reserve low_frequency → bot 1h_lorentzian_sol,.*\n {2}planned by cycle /,
    );
    // No halt button, nor any form: the page only shows.
    expect(await page.locator('button, form, input').count()).toBe(0);
    // The server refuses anything but reading.
    const posted = await page.evaluate(
      async () => (await fetch('/api/dashboard', { method: 'POST' })).status,
    );
    expect(posted).toBe(405);

    // The loop's next cycle shows without a reload, and the story stays open.
    const asOfBefore = await page.locator('#as-of').textContent();
    await until(
      'the next cycle on the page',
      60_000,
      async () => (await page.locator('#as-of').textContent()) !== asOfBefore,
    );
    expect(await allocation.locator('details').getAttribute('open')).not.toBeNull();
    await page.locator('#transfers li', { hasText: 'refill' }).first().waitFor({ timeout: 60_000 });
    await page.screenshot({ path: join(root, 'docs/dashboard.png'), fullPage: true });

    // With the loop stopped, the dashboard reads the data folder's store itself.
    loop.child.kill('SIGINT');
    expect(await Promise.race([loop.exited, sleep(60_000).then(() => 'still running')])).toBe(130);
    const polls = Number(await page.locator('body').getAttribute('data-polls'));
    await until(
      'two more polls',
      60_000,
      async () => Number(await page.locator('body').getAttribute('data-polls')) >= polls + 2,
    );
    await expect(page.locator('#error').textContent()).resolves.toBe('');
    await expect(page.locator('#mode').textContent()).resolves.toBe('normal');
    expect(elsewhere).toEqual([]);
    await page.close();
    dashboard.child.kill('SIGINT');
    expect(await Promise.race([dashboard.exited, sleep(30_000).then(() => 'still running')])).toBe(
      130,
    );
  }, 420_000);

  it('opens the report with every chart drawn and nothing fetched', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'botfolio-report-')), 'report.html');
    const sweep = join(mkdtempSync(join(tmpdir(), 'botfolio-report-')), 'sweep.json');
    writeFileSync(
      sweep,
      JSON.stringify({
        parameters: {
          'pools.low_frequency.harvest_threshold': [1.15, 1.25, 1.5],
          'loss_recovery.refill_target': [0.5, 0.75],
        },
      }),
    );
    const r = botfolio(
      'backtest',
      '--config',
      'examples/spec-portfolio.json',
      '--curves',
      'examples/spec-curves.csv',
      '--sweep',
      sweep,
      '--report',
      file,
    );
    expect(r.code).toBe(0);
    const { page, elsewhere } = await newPage();
    await page.goto(`file://${file}`);
    expect(await page.locator('figure svg').count()).toBe(4 + BOTS.length + 1);
    const box = await page.locator('figure#equity svg').boundingBox();
    expect(box?.width).toBeGreaterThan(500);
    await page.screenshot({ path: join(root, 'docs/report.png'), fullPage: true });
    expect(elsewhere).toEqual([]);
    await page.close();
  }, 180_000);
});
