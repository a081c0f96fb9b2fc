/**
 * The semantic rules that config.test.ts does not reach through parseConfig: each is run alone
 * on the readable part of the spec's config, which it must pass, and of the same config with one
 * setting broken, which it must refuse with exactly the problem below.
 */
import { describe, expect, it } from 'vitest';
import { botProblems } from '../../functions/core/config-bot-rules.ts';
import {
  customStrategyHasModule,
  emergencyMinimumWithinCapital,
  exchangesUsable,
  type Rule,
  resumeAboveDrawdown,
} from '../../functions/core/config-rules.ts';
import { lenientFileSchema } from '../../functions/core/config-schema.ts';
import type { Problem } from '../../functions/core/problems.ts';
import { specFile, withPaths } from './fixtures.ts';

const readable = (changes: Record<string, unknown> = {}) =>
  lenientFileSchema.parse(withPaths(specFile(), changes));

const cases: { rule: string; check: Rule; changes: Record<string, unknown>; problem: Problem }[] = [
  {
    rule: 'an emergency minimum above its capital',
    check: emergencyMinimumWithinCapital,
    changes: { 'emergency_reserve.minimum': 200.5 },
    problem: {
      path: 'emergency_reserve.minimum',
      value: '200.5',
      message: "exceeds the emergency reserve's capital 200 (share × total_capital)",
    },
  },
  {
    rule: 'a min_transfer above max_transfer',
    check: exchangesUsable,
    changes: { 'exchanges.bitget.min_transfer': 501 },
    problem: {
      path: 'exchanges.bitget.min_transfer',
      value: '501',
      message: 'must not exceed max_transfer 500',
    },
  },
  {
    rule: 'a max_transfer above daily_transfer_limit',
    check: exchangesUsable,
    changes: { 'exchanges.bitget.daily_transfer_limit': 499 },
    problem: {
      path: 'exchanges.bitget.max_transfer',
      value: '500',
      message: 'must not exceed daily_transfer_limit 499',
    },
  },
  {
    rule: 'an allocation that does not fit one transfer',
    check: botProblems,
    changes: { 'bots[0].allocation': 501 },
    problem: {
      path: 'bots[0].allocation',
      value: '501',
      message:
        'above exchanges.bitget.max_transfer 500: bot "1h_lorentzian_sol" is funded in one transfer (raise max_transfer or lower the allocation)',
    },
  },
  {
    rule: 'two bots on one sub-account',
    check: botProblems,
    changes: { 'bots[3].account': '6712345679' },
    problem: {
      path: 'bots[3].account',
      value: '6712345679',
      message: 'the same sub-account as bots[1] (each bot needs its own)',
    },
  },
  {
    rule: 'a bot without a weight under fixed_percentage',
    check: botProblems,
    changes: {
      'allocation.strategy': 'fixed_percentage',
      'bots[0].weight': 1,
      'bots[1].weight': 1,
      'bots[2].weight': 0.5,
    },
    problem: {
      path: 'bots[3].weight',
      message: 'required: allocation.strategy is fixed_percentage',
    },
  },
  {
    rule: 'the custom strategy without a module',
    check: customStrategyHasModule,
    changes: { 'allocation.strategy': 'custom' },
    problem: { path: 'allocation.module', message: 'required: allocation.strategy is custom' },
  },
  {
    rule: 'a resume_threshold at the drawdown_threshold',
    check: resumeAboveDrawdown,
    changes: { 'black_swan_protection.resume_threshold': 0.6 },
    problem: {
      path: 'black_swan_protection.resume_threshold',
      value: 0.6,
      message:
        'must be above drawdown_threshold 0.6 (else protection would end as soon as it starts)',
    },
  },
];

describe('the semantic rules', () => {
  it.each(cases)('refuse $rule, and pass the spec', ({ check, changes, problem }) => {
    expect(check(readable())).toEqual([]);
    expect(check(readable(changes))).toEqual([problem]);
  });
});
