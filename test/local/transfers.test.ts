/** `botfolio transfers --json`: every amount of an entry as a decimal string. */
import { describe, expect, it } from 'vitest';
import { money } from '../../functions/core/money.ts';
import { plannedEntry } from '../../functions/core/transfer.ts';
import { entryToJson } from '../../functions/local/commands/transfers.ts';

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
