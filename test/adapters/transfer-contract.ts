/**
 * What every exchange adapter must do with a transfer, whatever the exchange: a reused client id
 * moves nothing twice (answered from the exchange's record, if it is the same transfer), an
 * unaffordable one is refused with nothing moved, and a lost answer is ambiguous with the lookup
 * by client id telling the truth. Each adapter's test runs it against its fake server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  AmbiguousOutcomeError,
  InsufficientFundsError,
  TransferRejectedError,
} from '../../functions/core/errors.ts';
import { type Money, money } from '../../functions/core/money.ts';
import type { Exchange } from '../../functions/core/ports.ts';
import type { FakeFault, FakeVenueOptions } from '../helpers/fake-venue.ts';
import { MASTER, sub, transferOf } from './bitget/support.ts';

/** One exchange's fake and adapter, as the contract drives them. */
export interface ContractVenue<F> {
  /** The exchange's name in test names: "Bitget". */
  readonly name: string;
  /** Its name for the client id: "clientOid". */
  readonly clientId: string;
  /** A bot's sub-account on the fake, with a futures account. */
  readonly bot: string;
  /** Where the transfer endpoint's faults are injected. */
  readonly transferPath: string;
  /** A started fake: the master holds 1 000 USDT in spot, the bot 0 in futures. */
  start(options: FakeVenueOptions): Promise<F>;
  close(fake: F): Promise<void>;
  adapter(fake: F): Exchange;
  inject(fake: F, path: string, fault: FakeFault): void;
  botFutures(fake: F): Money;
  transfers(fake: F): number;
}

/** Transfer ids as the journal makes them: 32 hex characters (Bybit needs them as UUIDs). */
const ID = {
  twice: 'c0ffee00000000000000000000000001',
  reuse: 'c0ffee00000000000000000000000002',
  slow: 'c0ffee00000000000000000000000003',
  big: 'c0ffee00000000000000000000000004',
  lost: 'c0ffee00000000000000000000000005',
} as const;

export function transferContract<F>(venue: ContractVenue<F>): void {
  const { name, clientId, bot } = venue;
  let fake: F | undefined;
  afterEach(async () => {
    if (fake !== undefined) await venue.close(fake);
    fake = undefined;
  });
  const started = async (options: FakeVenueOptions = {}) => {
    fake = await venue.start(options);
    return fake;
  };
  const hint = () => ({ from: MASTER, to: sub(bot), sentAt: new Date().toISOString() });

  describe(`transfers on ${name} (the contract of every adapter)`, () => {
    it.each(['reject', 'replay'] as const)(
      `answers a reused ${clientId} from ${name}’s record, moving nothing twice (${name} answers %s)`,
      async (duplicateClientOid) => {
        // Prepare
        const f = await started({ duplicateClientOid });
        const exchange = venue.adapter(f);
        await exchange.transfer(transferOf(ID.twice, MASTER, sub(bot), 100));
        // Act
        const again = await exchange.transfer(transferOf(ID.twice, MASTER, sub(bot), 100));
        // Assess
        expect(again).toMatchObject({ clientOid: ID.twice, amount: money(100) });
        expect(venue.transfers(f)).toBe(1);
        expect(venue.botFutures(f)).toBe(money(100));
      },
    );

    it(`refuses to treat a ${clientId} used for another amount as the same transfer`, async () => {
      // Prepare
      const f = await started();
      const exchange = venue.adapter(f);
      await exchange.transfer(transferOf(ID.reuse, MASTER, sub(bot), 100));
      // Act & Assess
      await expect(exchange.transfer(transferOf(ID.reuse, MASTER, sub(bot), 90))).rejects.toThrow(
        TransferRejectedError,
      );
      expect(venue.botFutures(f)).toBe(money(100));
    });

    it(`calls a used ${clientId} without a visible record yet ambiguous: look again, never resend`, async () => {
      // Prepare
      const f = await started({ recordDelayMs: 60_000 });
      const exchange = venue.adapter(f);
      await exchange.transfer(transferOf(ID.slow, MASTER, sub(bot), 100));
      // Act & Assess
      await expect(exchange.transfer(transferOf(ID.slow, MASTER, sub(bot), 100))).rejects.toThrow(
        AmbiguousOutcomeError,
      );
      expect(venue.transfers(f)).toBe(1);
    });

    it('refuses a transfer the source cannot cover: InsufficientFundsError, nothing moved', async () => {
      // Prepare
      const f = await started();
      // Act & Assess
      await expect(
        venue.adapter(f).transfer(transferOf(ID.big, MASTER, sub(bot), 5000)),
      ).rejects.toThrow(InsufficientFundsError);
      expect(venue.transfers(f)).toBe(0);
    });

    it.each([
      ['timed out before it was applied', { kind: 'hang', applied: false }, false],
      ['timed out after it was applied', { kind: 'hang', applied: true }, true],
      ['lost its connection after it was applied', { kind: 'reset', applied: true }, true],
      ['got a 502 from a gateway', { kind: 'status', status: 502 }, false],
    ] as const)(
      `calls a transfer that %s ambiguous, and the lookup by ${clientId} tells the truth`,
      async (_, fault, applied) => {
        // Prepare
        const f = await started();
        const exchange = venue.adapter(f);
        venue.inject(f, venue.transferPath, fault);
        // Act
        const sending = exchange.transfer(transferOf(ID.lost, MASTER, sub(bot), 25));
        // Assess
        await expect(sending).rejects.toThrow(AmbiguousOutcomeError);
        expect(Boolean(await exchange.findTransfer(ID.lost, hint()))).toBe(applied);
        expect(venue.transfers(f)).toBe(applied ? 1 : 0);
      },
    );
  });
}
