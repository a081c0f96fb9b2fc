/** The dashboard's server without a browser: 127.0.0.1, read-only, one page and one document. */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startDashboard } from '../../functions/local/commands/dashboard.ts';
import { specConfig } from '../core/fixtures.ts';

const config = specConfig();
const empty = () => mkdtempSync(join(tmpdir(), 'botfolio-dash-'));

describe('the dashboard server', () => {
  it('serves the page and says there are no books yet, on 127.0.0.1', async () => {
    const dir = empty();
    const d = await startDashboard({ config, at: { dir }, port: 0, refreshMs: 2_000 });
    try {
      expect(d.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const page = await fetch(d.url);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      const html = await page.text();
      expect(html).toContain('const REFRESH_MS = 2000;');
      expect(html).not.toMatch(/<button|<form|<input|src=|href=/);
      const json = await (await fetch(`${d.url}api/dashboard`)).json();
      expect(json).toEqual({
        ready: false,
        portfolio_id: 'main',
        message: `no state yet in ${dir}: run \`botfolio cycle\` first`,
      });
    } finally {
      await d.close();
    }
  });

  it('refuses anything but reading, and knows no other address', async () => {
    const d = await startDashboard({ config, at: { dir: empty() }, port: 0, refreshMs: 2_000 });
    try {
      for (const method of ['POST', 'PUT', 'DELETE']) {
        const r = await fetch(`${d.url}api/dashboard`, { method });
        expect(r.status, method).toBe(405);
      }
      expect((await fetch(`${d.url}halt`)).status).toBe(404);
    } finally {
      await d.close();
    }
  });

  it('names a port already taken', async () => {
    const taken = createServer();
    await new Promise<void>((ok) => taken.listen(0, '127.0.0.1', ok));
    const port = (taken.address() as { port: number }).port;
    try {
      await expect(
        startDashboard({ config, at: { dir: empty() }, port, refreshMs: 2_000 }),
      ).rejects.toThrow(`cannot serve on 127.0.0.1:${port} (in use): give another --port`);
    } finally {
      taken.close();
    }
  });
});
