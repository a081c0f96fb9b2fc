/**
 * A fake Freqtrade REST API on 127.0.0.1: `POST /api/v1/token/login` checks HTTP basic auth and
 * gives a JWT-like token; `/api/v1/health`, `/api/v1/show_config`, `/api/v1/status` and
 * `POST /api/v1/stopentry` want it as a bearer token, as Freqtrade does. Its mood is set by the
 * test: healthy, stopped, failing (HTTP 500), or hanging (never answers); `refuseStop` makes it
 * answer the pause 401 (a token it no longer accepts) while its health still answers.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeFreqtrade {
  readonly url: string;
  /** How it answers from now on. */
  mood: 'healthy' | 'stopped' | 'failing' | 'hanging';
  /** Its `last_process_ts` (Unix seconds); null before its loop first ran. */
  lastProcessTs: number | null;
  /** What `/api/v1/status` lists while running (its open trades, raw: a test may give nonsense). */
  trades: unknown;
  /** Paths asked, in order. */
  readonly asked: string[];
  /** `POST /api/v1/stopentry` answers 401. */
  refuseStop: boolean;
  /** Pauses it accepted (`POST /api/v1/stopentry` answered 200). */
  stopEntries: number;
  close(): Promise<void>;
}

export async function startFakeFreqtrade(user: string, password: string): Promise<FakeFreqtrade> {
  const token = 'eyJ.fake.token';
  const hanging = new Set<ServerResponse>();
  const fake: FakeFreqtrade = {
    url: '',
    mood: 'healthy',
    lastProcessTs: null,
    trades: [
      {
        trade_id: 1,
        pair: 'SOL/USDT:USDT',
        quote_currency: 'USDT',
        amount: 2.5,
        current_rate: 150.12,
        leverage: 3,
        is_short: false,
      },
    ],
    asked: [],
    refuseStop: false,
    stopEntries: 0,
    close: async () => {},
  };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    fake.asked.push(`${req.method} ${path}`);
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (fake.mood === 'hanging') {
      hanging.add(res);
      return;
    }
    if (path === '/api/v1/token/login' && req.method === 'POST') {
      const basic = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      if (req.headers.authorization !== basic) return json(401, { detail: 'Unauthorized' });
      return json(200, { access_token: token, refresh_token: 'r' });
    }
    if (req.headers.authorization !== `Bearer ${token}`)
      return json(401, { detail: 'Unauthorized' });
    if (fake.mood === 'failing') return json(500, { error: 'Internal Server Error' });
    if (path === '/api/v1/stopentry' && req.method === 'POST') {
      if (fake.refuseStop) return json(401, { detail: 'Unauthorized' });
      fake.stopEntries += 1;
      return json(200, {
        status: 'No more entries will occur from now. Run /reload_config to reset.',
      });
    }
    const state = fake.mood === 'stopped' ? 'stopped' : 'running';
    if (path === '/api/v1/health') {
      const ts = fake.lastProcessTs;
      return json(
        200,
        ts === null
          ? { last_process: null, last_process_loc: null, last_process_ts: null }
          : {
              last_process: new Date(ts * 1000).toISOString(),
              last_process_loc: new Date(ts * 1000).toISOString(),
              last_process_ts: ts,
            },
      );
    }
    if (path === '/api/v1/show_config')
      return json(200, { state, strategy: 'Fake', dry_run: true });
    // Freqtrade answers [] when the trader is not running.
    if (path === '/api/v1/status') return json(200, state === 'running' ? fake.trades : []);
    return json(404, { detail: 'Not Found' });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((ok) => {
        for (const r of hanging) r.destroy();
        server.closeAllConnections();
        server.close(() => ok());
      }),
  });
}
