/** Bitget's errors, as ccxt raises them, become ours; what a transient one means depends on the call. */
import { describe, expect, it } from 'vitest';
import { ccxtErrors } from '../../../functions/adapters/bitget/ccxt.ts';
import {
  bitgetAnswer,
  isDuplicateClientOid,
  toBotfolioError,
} from '../../../functions/adapters/bitget/errors.ts';
import {
  AmbiguousOutcomeError,
  AuthenticationFailedError,
  ExchangeRefusedError,
  ExchangeUnavailableError,
  InsufficientFundsError,
  RateLimitedError,
  TransferRejectedError,
} from '../../../functions/core/errors.ts';

/** ccxt's message for a Bitget error answer: the exchange id, then the body. */
const answered = (Class: new (m: string) => Error, code: string, msg: string) =>
  new Class(`bitget {"code":"${code}","msg":"${msg}","requestTime":1,"data":null}`);

describe('toBotfolioError', () => {
  it.each([
    [
      'rate limit (HTTP 429)',
      new ccxtErrors.RateLimitExceeded('bitget GET … 429'),
      RateLimitedError,
    ],
    [
      'rate limit (Bitget 429)',
      answered(ccxtErrors.DDoSProtection, '429', 'Too Many Requests'),
      RateLimitedError,
    ],
    [
      'throttled (Bitget 50009)',
      answered(ccxtErrors.ExchangeError, '50009', 'too frequent'),
      RateLimitedError,
    ],
    [
      'gateway error',
      new ccxtErrors.ExchangeNotAvailable('bitget GET … 502 Bad Gateway'),
      ExchangeUnavailableError,
    ],
    ['timeout', new ccxtErrors.RequestTimeout('bitget GET … timed out'), ExchangeUnavailableError],
    [
      'reset connection',
      new ccxtErrors.NetworkError('bitget GET … fetch failed'),
      ExchangeUnavailableError,
    ],
    [
      'system fault (Bitget 40015)',
      answered(ccxtErrors.ExchangeError, '40015', 'System is abnormal'),
      ExchangeUnavailableError,
    ],
    [
      'unreadable answer',
      new ccxtErrors.BadResponse('bitget unexpected answer'),
      ExchangeUnavailableError,
    ],
    [
      'bad key (Bitget 40037)',
      answered(ccxtErrors.AuthenticationError, '40037', 'Apikey does not exist'),
      AuthenticationFailedError,
    ],
    [
      'bad signature (Bitget 40009)',
      answered(ccxtErrors.AuthenticationError, '40009', 'sign signature error'),
      AuthenticationFailedError,
    ],
    [
      'IP not bound (Bitget 40018)',
      answered(ccxtErrors.PermissionDenied, '40018', 'Invalid IP'),
      AuthenticationFailedError,
    ],
    [
      'bad request (Bitget 40017)',
      answered(ccxtErrors.BadRequest, '40017', 'Parameter verification failed'),
      ExchangeRefusedError,
    ],
  ])('maps a read that failed with %s', (_, error, Expected) => {
    // Act
    const mapped = toBotfolioError(error, 'read', 'bitget read');
    // Assess
    expect(mapped).toBeInstanceOf(Expected);
    expect((mapped as Error).cause).toBe(error);
  });

  it.each([
    ['timeout', new ccxtErrors.RequestTimeout('bitget POST … timed out'), AmbiguousOutcomeError],
    [
      'reset connection',
      new ccxtErrors.NetworkError('bitget POST … fetch failed'),
      AmbiguousOutcomeError,
    ],
    [
      'gateway error',
      new ccxtErrors.ExchangeNotAvailable('bitget POST … 504'),
      AmbiguousOutcomeError,
    ],
    [
      'system fault (Bitget 40015)',
      answered(ccxtErrors.ExchangeError, '40015', 'System is abnormal'),
      AmbiguousOutcomeError,
    ],
    [
      'rate limit',
      answered(ccxtErrors.DDoSProtection, '429', 'Too Many Requests'),
      RateLimitedError,
    ],
    [
      'maintenance (Bitget 40200)',
      answered(ccxtErrors.OnMaintenance, '40200', 'Server upgrade'),
      ExchangeUnavailableError,
    ],
    [
      'stale timestamp (Bitget 40008)',
      answered(ccxtErrors.InvalidNonce, '40008', 'Request timestamp expired'),
      ExchangeUnavailableError,
    ],
    [
      'insufficient balance (Bitget 43012)',
      answered(ccxtErrors.InsufficientFunds, '43012', 'Insufficient balance'),
      InsufficientFundsError,
    ],
    [
      'insufficient balance, in words only',
      answered(ccxtErrors.ExchangeError, '47001', 'The transfer amount exceeds the balance'),
      InsufficientFundsError,
    ],
    [
      'bad request (Bitget 40017)',
      answered(ccxtErrors.BadRequest, '40017', 'Parameter verification failed'),
      TransferRejectedError,
    ],
    [
      'bad key',
      answered(ccxtErrors.AuthenticationError, '40012', 'apikey/password is incorrect'),
      AuthenticationFailedError,
    ],
  ])('maps a transfer that failed with %s', (_, error, Expected) => {
    // Act & Assess
    expect(toBotfolioError(error, 'transfer', 'bitget transfer t1')).toBeInstanceOf(Expected);
  });

  it('names the call and Bitget’s code in the message', () => {
    // Act
    const mapped = toBotfolioError(
      answered(ccxtErrors.InsufficientFunds, '43012', 'Insufficient balance'),
      'transfer',
      'bitget transfer t1',
    ) as Error;
    // Assess
    expect(mapped.message).toBe(
      'bitget transfer t1: insufficient funds (Bitget 43012 Insufficient balance)',
    );
  });

  it('leaves errors that are not ccxt’s alone (a bug is not an exchange outage)', () => {
    // Prepare
    const bug = new TypeError('x is undefined');
    // Act & Assess
    expect(toBotfolioError(bug, 'read', 'bitget read')).toBe(bug);
  });
});

describe('reading Bitget’s answer', () => {
  it('reads the code and message out of ccxt’s error', () => {
    expect(
      bitgetAnswer(answered(ccxtErrors.BadRequest, '40017', 'Parameter verification failed')),
    ).toEqual({
      code: '40017',
      msg: 'Parameter verification failed',
    });
    expect(bitgetAnswer(new ccxtErrors.NetworkError('bitget fetch failed'))).toBeUndefined();
  });

  it('recognises a clientOid used before', () => {
    expect(
      isDuplicateClientOid(answered(ccxtErrors.ExchangeError, '40786', 'Duplicate clientOid')),
    ).toBe(true);
    expect(
      isDuplicateClientOid(answered(ccxtErrors.ExchangeError, '49999', 'clientOid duplicate')),
    ).toBe(true);
    expect(
      isDuplicateClientOid(answered(ccxtErrors.InsufficientFunds, '43012', 'Insufficient balance')),
    ).toBe(false);
  });
});
