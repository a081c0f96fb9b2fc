/**
 * A process that opens a data folder's books at a given moment and holds them a while, for the
 * race of several processes (test/local/live.test.ts): `tsx open-folder.ts DIR START_AT_MS
 * [HOLD_MS]` (default 300 ms).
 * Prints whether it claimed the alert key `race` (one cooldown for all: one claimer of them all,
 * since they share one store).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { withLocalStore } from '../../functions/local/local-store.ts';
import { specConfig } from '../core/fixtures.ts';

const [dir, startAt, hold = '300'] = process.argv.slice(2);
if (dir === undefined || startAt === undefined)
  throw new Error('usage: open-folder DIR START_AT_MS');
await sleep(Math.max(0, Number(startAt) - Date.now()));
const claimed = await withLocalStore(specConfig(), dir, async (stores) => {
  const mine = await stores.cooldowns.claimAlert('main', 'race', Date.now(), 3_600_000);
  await sleep(Number(hold)); // still open while the others arrive
  await stores.portfolio.load('main');
  return mine;
});
process.stdout.write(claimed ? 'claimed\n' : 'not claimed\n');
