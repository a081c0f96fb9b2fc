/** `botfolio transfers`: the journal for a person, and as JSON (every amount a decimal string). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoStores } from '../../functions/adapters/dynamodb/store.ts';
import { money } from '../../functions/core/money.ts';
import type { Stores } from '../../functions/core/store-ports.ts';
import { plannedEntry } from '../../functions/core/transfer.ts';
import { entryToJson, showTransfers } from '../../functions/local/commands/transfers.ts';
import { type EmbeddedDynamo, startEmbeddedDynamo } from '../../functions/local/dynamo.ts';
import { specConfig } from '../core/fixtures.ts';

describe('a journal entry as JSON', () => {
  it('writes the amount, the amount asked and the reading the plan was made on as decimal strings', () => {
    // Prepare: a harvest planned on a reading of 200, which the exchange recorded short
    const at = '2026-11-20T12:00:00.000Z';
    const planned = plannedEntry(
      {
        kind: 'harvest',
        botId: 'b1',
        from: 'bot:b1',
        to: 'reserve:low_frequency',
        amount: money(30),
        reason: 'test',
        leg: 0,
      },
      {
        portfolioId: 'main',
        cycleId: 'c1',
        exchange: 'bitget',
        now: at,
        reading: { balance: money(200), at },
      },
    );
    const entry = { ...planned, amount: money('29.5'), askedAmount: money(30) };
    // Act
    const json = JSON.parse(JSON.stringify(entryToJson(entry)));
    // Assess
    expect(json).toMatchObject({
      amount: '29.50000000',
      askedAmount: '30.00000000',
      reading: { balance: '200.00000000', at },
    });
  });
});

describe('botfolio transfers, for a person', () => {
  const config = specConfig();
  let dynamo: EmbeddedDynamo;
  let stores: Stores;
  const at = '2026-11-20T12:00:00.000Z';
  const planned = (botId: string, cycleId: string, venue?: string) =>
    plannedEntry(
      {
        kind: 'allocation',
        botId,
        from: 'reserve:low_frequency',
        to: `bot:${botId}`,
        amount: money(150),
        reason: 'not yet funded',
        leg: 0,
      },
      { portfolioId: config.portfolioId, cycleId, exchange: 'bitget', venue, now: at },
    );
  const run = async (opts: { bot?: string; id?: string }) => {
    let out = '';
    let err = '';
    const write = process.stderr.write;
    process.stderr.write = ((t: string) => {
      err += t;
      return true;
    }) as typeof process.stderr.write;
    try {
      const code = await showTransfers({ store: stores }, config, { ...opts, json: false }, (t) => {
        out += t;
      });
      return { code, out, err };
    } finally {
      process.stderr.write = write;
    }
  };

  beforeAll(async () => {
    dynamo = await startEmbeddedDynamo();
    stores = dynamoStores(dynamo.client, dynamo.tableNames);
    await stores.journal.putPlanned([
      planned('1h_lorentzian_sol', 'c1', 'paper'),
      planned('4h_swing_btc', 'c1', 'bitget'),
    ]);
  });
  afterAll(() => dynamo.close());

  it('lists the journal under a header row, with 8-character ids and where each transfer ran', async () => {
    const r = await run({});
    const [header, ...rows] = r.out.trimEnd().split('\n');
    expect(header).toMatch(/^id\s+planned \(UTC\)\s+kind\s+amount USDT\s+from\s+to\s+on\s+status$/);
    expect(rows).toHaveLength(2);
    const paper = rows.find((l) => l.includes('1h_lorentzian_sol')) ?? '';
    expect(paper).toMatch(/^[0-9a-f]{8}\s/);
    expect(paper).toContain('paper (standing in for bitget)');
    const real = rows.find((l) => l.includes('4h_swing_btc')) ?? '';
    expect(real).not.toContain('paper');
    expect(real).toMatch(/\sbitget\s+planned$/);
  });

  it('tells one transfer by any prefix of its id, and names the reserve instead of a "pot"', async () => {
    const id = planned('1h_lorentzian_sol', 'c1').id;
    const r = await run({ id: id.slice(0, 5).toUpperCase() });
    expect(r.code).toBe(0);
    expect(r.out).toContain(`transfer ${id}`);
    expect(r.out).not.toContain('pot');
    expect(r.out).toMatch(/reserve low_frequency → bot 1h_lorentzian_sol/);
  });

  it('refuses an empty --id with a message, not a stack trace', async () => {
    const r = await run({ id: '' });
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      '--id is empty: give a transfer id, or its first characters as `botfolio transfers` shows them\n',
    );
  });

  it('refuses a prefix that names several transfers, showing them', async () => {
    // Prepare: enough entries that two ids begin with the same character
    const more = Array.from({ length: 17 }, (_, i) => planned('15m_momentum_eth', `c${i + 2}`));
    await stores.journal.putPlanned(more);
    const ids = [...more, planned('1h_lorentzian_sol', 'c1'), planned('4h_swing_btc', 'c1')].map(
      (e) => e.id,
    );
    const first = ids.map((id) => id.slice(0, 1)).find((c, i, all) => all.indexOf(c) !== i) ?? '';
    const sharing = ids.filter((id) => id.startsWith(first)).length;
    // Act
    const r = await run({ id: first });
    // Assess
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      new RegExp(`^--id ${first} names ${sharing} transfers \\(.*\\): give more characters\n$`),
    );
  });

  it('says an unknown bot is unknown, and exits 1', async () => {
    const r = await run({ bot: 'nosuchbot' });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^no bot nosuchbot in portfolio main: its bots are 1h_lorentzian_sol, /);
  });

  it('says a known bot has no transfers yet, and exits 0', async () => {
    const r = await run({ bot: '5m_scalping_sol' });
    expect(r.code).toBe(0);
    expect(r.out).toBe('no transfers for bot 5m_scalping_sol yet\n');
  });
});
