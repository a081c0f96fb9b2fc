/**
 * `botfolio dashboard [--data DIR | --stack NAME] [--port N]`: the portfolio in a browser, on
 * 127.0.0.1 only. Strictly read-only: it serves one page and one JSON document and has no route
 * that writes (halting stays `botfolio halt`). The page polls `/api/dashboard` every few seconds.
 *
 * Each poll reads the books the way `status` does (books.ts `withStores`): beside `botfolio run`
 * it borrows the store the loop serves (live.ts), on a data folder alone it opens the store for
 * that read and lets it go, so a `cycle` or a `run` started meanwhile gets the folder; on
 * `--stack` it reads the deployed tables. The board is `status --json`'s own (local-data.ts), the
 * stories `transfers --id`'s (transfers.ts); polls that arrive during a read share its answer.
 */
import { createServer, type Server } from 'node:http';
import type { Config } from '../../core/config.ts';
import { TRANSFER_STATUSES } from '../../core/transfer.ts';
import { type BooksAt, withStores } from '../books.ts';
import { dashboardCharts } from '../dashboard-charts.ts';
import { portfolioHistory, sparkline } from '../dashboard-data.ts';
import { dashboardPage } from '../dashboard-page.ts';
import { listenOnLoopback } from '../listen.ts';
import { dataDirOf } from '../local-store.ts';
import { readsOf, statusBoard, statusJson } from './status.ts';
import { entryStory, entryToJson } from './transfers.ts';

/** Cycles of history the charts show. */
const HISTORY = 200;
/** Transfers the page lists, newest first. */
const TRANSFERS = 30;

/** The dashboard's JSON document: the books now, their recent history, their charts. */
export async function dashboardSnapshot(
  config: Config,
  at: BooksAt,
): Promise<Record<string, unknown>> {
  return withStores(config, at, async (stores) => {
    const pid = config.portfolioId;
    const state = await stores.portfolio.load(pid);
    if (!state) {
      return {
        ready: false,
        portfolio_id: pid,
        message:
          at.stack === undefined
            ? `no state yet in ${dataDirOf(config, at.dir)}: run \`botfolio cycle\` first`
            : `no state yet in stack ${at.stack}: its first cycle has not run`,
      };
    }
    const [board, journal, ...histories] = await Promise.all([
      statusBoard(config, readsOf(stores), state),
      stores.journal.byStatus(pid, TRANSFER_STATUSES),
      ...config.bots.map((b) => stores.performance.history(pid, b.botId, HISTORY)),
    ]);
    const snapshots = new Map(config.bots.map((b, k) => [b.botId, histories[k] ?? []]));
    const history = portfolioHistory(snapshots, state.reserves, journal).slice(-HISTORY);
    const sparks = new Map(
      config.bots.map((b) => [b.botId, sparkline(snapshots.get(b.botId) ?? [])]),
    );
    const newest = [...journal].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    return {
      ready: true,
      generated_at: new Date().toISOString(),
      currency: config.currency,
      status: statusJson(state, board),
      history,
      transfers: newest.slice(0, TRANSFERS).map((e) => ({
        ...entryToJson(e),
        story: entryStory(e, config.currency),
      })),
      transfer_count: journal.length,
      charts: dashboardCharts(config, state, history, sparks),
    };
  });
}

export interface DashboardOptions {
  readonly config: Config;
  readonly at: BooksAt;
  /** 0: any free port. */
  readonly port: number;
  /** How often the page polls. */
  readonly refreshMs: number;
}

export interface RunningDashboard {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the dashboard's server on 127.0.0.1. */
export async function startDashboard(o: DashboardOptions): Promise<RunningDashboard> {
  const page = dashboardPage({ portfolioId: o.config.portfolioId, refreshMs: o.refreshMs });
  let reading: Promise<string> | undefined;
  const read = () => {
    // Polls that arrive while the books are being read share that read.
    reading ??= dashboardSnapshot(o.config, o.at)
      .then((json) => JSON.stringify(json))
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const headers = {
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      // Everything is inline and nothing is fetched but our own JSON.
      'content-security-policy':
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, allow: 'GET, HEAD' }).end('read-only\n');
      return;
    }
    if (path === '/') {
      res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8' }).end(page);
      return;
    }
    if (path === '/api/dashboard') {
      read().then(
        (body) => res.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(body),
        (error: unknown) =>
          res
            .writeHead(503, { ...headers, 'content-type': 'application/json' })
            .end(
              JSON.stringify({ ready: false, message: String((error as Error)?.message ?? error) }),
            ),
      );
      return;
    }
    res.writeHead(404, headers).end('not found\n');
  });
  const port = await listenOnLoopback(server, o.port);
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/** `botfolio dashboard`: serves until Ctrl+C (or SIGTERM). */
export async function dashboardCommand(o: DashboardOptions): Promise<number> {
  const d = await startDashboard(o);
  process.stdout.write(
    `dashboard of portfolio ${o.config.portfolioId} on ${d.url} (read-only; refreshes every ${o.refreshMs / 1000}s; Ctrl+C stops it)\n`,
  );
  const signal = await new Promise<NodeJS.Signals>((ok) => {
    process.once('SIGINT', () => ok('SIGINT'));
    process.once('SIGTERM', () => ok('SIGTERM'));
  });
  await d.close();
  return signal === 'SIGINT' ? 130 : 143;
}
