/**
 * `botfolio serve [--data DIR] [--port N]`: the heartbeat endpoint on 127.0.0.1 (DESIGN.md §11),
 * for bots on this machine (or behind a tunnel the trader sets up). Each request reads and writes
 * the local books the way `status` does (books.ts `withStores`): beside `botfolio run` it borrows
 * the store the loop serves, on a data folder alone it opens it for that request and lets it go.
 * The bots' secrets come from the environment or `.env` (`BOTFOLIO_HEARTBEAT_SECRET_<BOT_ID>`).
 */
import {
  envHeartbeatSecrets,
  heartbeatSecretEnvName,
  missingHeartbeatSecrets,
} from '../../adapters/health-secrets.ts';
import { withDotEnv } from '../../adapters/secrets.ts';
import type { Config } from '../../core/config.ts';
import { type BooksAt, withStores } from '../books.ts';
import { startHeartbeatServer } from '../heartbeat-server.ts';

export interface ServeOptions {
  readonly config: Config;
  readonly at: BooksAt;
  /** 0: any free port. */
  readonly port: number;
}

/** `botfolio serve`: answers heartbeats until Ctrl+C (or SIGTERM). */
export async function serveCommand(o: ServeOptions): Promise<number> {
  const env = withDotEnv(process.env);
  const heartbeatBots = o.config.bots.filter((b) => b.health?.heartbeat);
  if (heartbeatBots.length === 0) {
    process.stderr.write(
      'no bot of this config sends heartbeats: give a bot `"health": {"heartbeat": true}` first\n',
    );
    return 1;
  }
  const secretOf = envHeartbeatSecrets(o.config, env);
  for (const name of missingHeartbeatSecrets(o.config, env)) {
    process.stderr.write(`warning: ${name} is not set: that bot's heartbeats are refused (401)\n`);
  }
  const server = await startHeartbeatServer({
    port: o.port,
    withDeps: (fn) =>
      withStores(o.config, o.at, (stores) =>
        fn({ config: o.config, heartbeats: stores.heartbeats, secretOf, now: () => new Date() }),
      ),
    onAnswer: (a) =>
      process.stdout.write(
        `${new Date().toISOString()} ${a.status} ${a.body.ok ? `heartbeat of ${a.body.bot_id}` : a.body.error}\n`,
      ),
  });
  process.stdout.write(
    `heartbeats of portfolio ${o.config.portfolioId} on ${server.url}/heartbeat (bots: ${heartbeatBots.map((b) => `${b.botId} [${heartbeatSecretEnvName(b.botId)}]`).join(', ')}; Ctrl+C stops it)\n`,
  );
  const signal = await new Promise<NodeJS.Signals>((ok) => {
    process.once('SIGINT', () => ok('SIGINT'));
    process.once('SIGTERM', () => ok('SIGTERM'));
  });
  await server.close();
  return signal === 'SIGINT' ? 130 : 143;
}
