/**
 * Fault injection for the paper exchange. Faults are opt-in and always come from an injected plan:
 * a seeded random plan for campaigns and the demo, or a script for tests. The paper exchange asks
 * the plan once per call, before doing anything, and does what the fault says.
 */
import type { Money } from '../../core/money.ts';
import type { ExchangeTransferRequest } from '../../core/ports.ts';
import { type Rng, seededRng, uniform } from './rng.ts';

/** The exchange operations a plan can disturb. */
export type FaultOp = 'balances' | 'master' | 'transfer' | 'find';

export const FAULT_OPS: readonly FaultOp[] = ['balances', 'master', 'transfer', 'find'];

/**
 * What goes wrong with one call:
 * - `rate_limit` → RateLimitedError, nothing moves;
 * - `unavailable` → ExchangeUnavailableError, nothing moves;
 * - `timeout_before` → the request is lost on the way: nothing moves, AmbiguousOutcomeError;
 * - `timeout_after` → the transfer IS applied, then the answer is lost: AmbiguousOutcomeError;
 * - `insufficient` → InsufficientFundsError, nothing moves;
 * - `auth` → AuthenticationFailedError;
 * - `latency` → no failure, only slow.
 * On reads (balances, master, find) both timeouts become ExchangeUnavailableError: a read that
 * timed out changed nothing, so there is no outcome to be ambiguous about.
 * `latencyMs` delays the call (awaited on a timer) before the fault takes effect.
 */
export type FailureKind =
  | 'rate_limit'
  | 'unavailable'
  | 'timeout_before'
  | 'timeout_after'
  | 'insufficient'
  | 'auth';

export const FAILURE_KINDS: readonly FailureKind[] = [
  'rate_limit',
  'unavailable',
  'timeout_before',
  'timeout_after',
  'insufficient',
  'auth',
];

/**
 * How a balance answer names one account wrongly (DESIGN.md §3, "Unknown is not zero"): left out
 * of the answer, named without a usable value, with a negative value, or with an absurd one.
 */
export type Garble = 'absent' | 'unknown' | 'negative' | 'huge';

export const GARBLES: readonly Garble[] = ['absent', 'unknown', 'negative', 'huge'];

export type Fault =
  | { readonly kind: FailureKind; readonly latencyMs?: number }
  | { readonly kind: 'latency'; readonly latencyMs: number }
  /** A balance answer (op `balances`) that garbles these accounts, by UID; ignored elsewhere. */
  | { readonly kind: 'partial'; readonly accounts: Readonly<Record<string, Garble>> }
  /**
   * A transfer that goes through moving `moves` instead of the amount asked — less (a venue taking
   * its fee out of the amount, or moving what is available) or more (a broken one) — and records
   * that. Scripted only: random plans never draw it.
   */
  | { readonly kind: 'short'; readonly moves: Money; readonly latencyMs?: number };

export interface FaultContext {
  /** 1-based count of calls of this operation on the exchange, this one included. */
  readonly call: number;
  /** The request (op `transfer`). */
  readonly request?: ExchangeTransferRequest;
  /** The clientOid submitted (op `transfer`) or looked up (op `find`). */
  readonly clientOid?: string;
  /** The sub-accounts read (op `balances`). */
  readonly uids?: readonly string[];
}

/** Decides, per call, whether and how the call fails. */
export type FaultPlan = (op: FaultOp, ctx: FaultContext) => Fault | undefined;

export interface RandomFaultsOptions {
  readonly seed: number;
  /** Probability per call of each failure kind; they must sum to at most 1. */
  readonly rates: Partial<Record<FailureKind, number>>;
  /** Latency added to every call, drawn uniformly in [min, max] ms. @default no latency */
  readonly latencyMs?: { readonly min: number; readonly max: number };
  /** Only these operations get faults. @default all */
  readonly ops?: readonly FaultOp[];
  /**
   * Outages: with probability `rate` per call, the exchange goes down for `calls` calls (this one
   * included), each failing `unavailable` whatever it is. @default none
   */
  readonly outages?: { readonly rate: number; readonly calls: number };
}

/**
 * A plan drawing faults from a seeded PRNG: the same seed and the same sequence of calls give the
 * same faults. Every call draws the same amount of randomness whatever it gets, so one op's faults
 * do not shift when another op's rates change. `insufficient` is only drawn for transfers.
 */
export function randomFaults(options: RandomFaultsOptions): FaultPlan {
  let total = 0;
  for (const kind of FAILURE_KINDS) {
    const rate = options.rates[kind] ?? 0;
    if (!(rate >= 0 && rate <= 1))
      throw new RangeError(`rate of ${kind} must be in [0, 1]: ${rate}`);
    total += rate;
  }
  if (total > 1 + 1e-12) throw new RangeError(`fault rates sum to ${total}, more than 1`);
  const latency = options.latencyMs;
  if (latency && !(latency.min >= 0 && latency.max >= latency.min)) {
    throw new RangeError(`latencyMs needs 0 ≤ min ≤ max, got ${latency.min}..${latency.max}`);
  }
  const ops = new Set(options.ops ?? FAULT_OPS);
  const outages = options.outages;
  if (outages && !(outages.rate >= 0 && outages.rate <= 1 && Number.isInteger(outages.calls))) {
    throw new RangeError(`outages need a rate in [0, 1] and whole calls, got ${outages.rate}`);
  }
  const rng: Rng = seededRng(options.seed, 'faults');
  let down = 0;

  return (op) => {
    const u = uniform(rng);
    const l = uniform(rng);
    // Drawn only when outages are asked for, so plans without them replay as before.
    const o = outages ? uniform(rng) : 1;
    if (!ops.has(op)) return undefined;
    const latencyMs = latency ? Math.round(latency.min + l * (latency.max - latency.min)) : 0;
    if (outages && down === 0 && o < outages.rate) down = outages.calls;
    if (down > 0) {
      down -= 1;
      return latencyMs > 0 ? { kind: 'unavailable', latencyMs } : { kind: 'unavailable' };
    }
    let acc = 0;
    for (const kind of FAILURE_KINDS) {
      acc += options.rates[kind] ?? 0;
      if (u < acc) {
        if (kind === 'insufficient' && op !== 'transfer') break;
        return latencyMs > 0 ? { kind, latencyMs } : { kind };
      }
    }
    return latencyMs > 0 ? { kind: 'latency', latencyMs } : undefined;
  };
}

/** One step of a script: the fault the next call of `op` gets, or `ok` for a clean call. */
export type ScriptedFault = { readonly op: FaultOp } & (Fault | { readonly kind: 'ok' });

export interface ScriptedFaultPlan extends FaultPlan {
  /** Steps not yet consumed, across all operations. */
  remaining(): number;
}

/**
 * A plan for deterministic tests: a queue per operation, in the order given. The n-th call of an
 * operation takes the n-th step scripted for it; once its queue is empty, calls are clean.
 */
export function scriptedFaults(steps: readonly ScriptedFault[]): ScriptedFaultPlan {
  // `undefined` in a queue is a scripted clean call.
  const queues = new Map<FaultOp, (Fault | undefined)[]>(FAULT_OPS.map((op) => [op, []]));
  for (const { op, ...fault } of steps) {
    queues.get(op)?.push(fault.kind === 'ok' ? undefined : fault);
  }
  const plan: FaultPlan = (op) => queues.get(op)?.shift();
  return Object.assign(plan, {
    remaining: () => [...queues.values()].reduce((n, q) => n + q.length, 0),
  });
}
