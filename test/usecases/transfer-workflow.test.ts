/**
 * The guarded-transfer workflow, executed in-process from the definition CDK synthesizes, with
 * the real step code, the embedded store and the paper exchange. Each fault on its own.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterEach, describe, expect, it } from 'vitest';
import { scriptedFaults } from '../../functions/adapters/paper/faults.ts';
import { TASK_STATES } from '../../functions/adapters/stepfunctions/contract.ts';
import { money } from '../../functions/core/money.ts';
import { plannedEntry } from '../../functions/core/transfer.ts';
import {
  definitionFromTemplate,
  synthesizeTransferDefinition,
} from '../../functions/local/definition.ts';
import type { StateMachineDefinition } from '../../functions/local/workflow.ts';
import { BotfolioStack } from '../../lib/stack.ts';
import { specConfig } from '../core/fixtures.ts';
import { cycleAt, type TestRuntime, testRuntime } from '../helpers/runtime.ts';

const HAPPY_PATH = ['Lock', 'Validate', 'Submit', 'Confirm', 'Apply', 'Unlock', 'Notify'];

/** The definition with every Task's Resource (the step function's ARN) set to `arn`. */
function withStepArn(definition: StateMachineDefinition, arn: string): StateMachineDefinition {
  const states = Object.entries(definition.States as Record<string, { Type: string }>);
  return {
    ...definition,
    States: Object.fromEntries(
      states.map(([name, s]) => [name, s.Type === 'Task' ? { ...s, Resource: arn } : s]),
    ),
  } as StateMachineDefinition;
}

let rt: TestRuntime | undefined;
afterEach(async () => {
  await rt?.close();
  rt = undefined;
});

/** Runs the first cycle (four allocations) and returns the journal entries with their outcomes. */
async function allocate(runtime: TestRuntime) {
  const result = await runtime.cycle(cycleAt(0));
  return Promise.all(
    result.entries.map(async (e) => ({
      entry: await runtime.store.journal.get(e.id),
      outcome: runtime.workflow.outcomes.get(e.id),
    })),
  );
}

describe('the transfer state machine run locally', () => {
  it('is the definition CDK synthesizes for the stack (but for the step function ARN)', () => {
    // Prepare
    const config = specConfig();
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const template = Template.fromStack(new BotfolioStack(app, 'Check', { config })).toJSON();
    // Act
    const local = synthesizeTransferDefinition();
    // Assess: states, Retry, Catch, timeout alike; only the ARN placeholders differ.
    expect(withStepArn(local, 'STEP')).toEqual(
      withStepArn(definitionFromTemplate(template), 'STEP'),
    );
    expect(JSON.stringify(local)).toContain('"Retry"');
    const tasks = Object.entries(local.States)
      .filter(([, s]) => s.Type === 'Task')
      .map(([name]) => name);
    expect(tasks.sort()).toEqual(Object.keys(TASK_STATES).sort());
  });

  it('runs a transfer through every guarded step and records it completed', async () => {
    rt = await testRuntime();
    const results = await allocate(rt);
    expect(results).toHaveLength(4);
    for (const { entry, outcome } of results) {
      expect(entry?.status).toBe('completed');
      expect(outcome?.path).toEqual(HAPPY_PATH);
    }
    const state = await rt.store.portfolio.load('main');
    expect(state?.reserves.get('low_frequency')).toBe(money(200));
    expect(state?.reserves.get('high_frequency')).toBe(money(100));
    expect(rt.exchange.books().master.balance).toBe(money(500));
  });

  it('retries a rate-limited submit and moves the money once', async () => {
    rt = await testRuntime({
      faults: scriptedFaults([
        { op: 'transfer', kind: 'rate_limit' },
        { op: 'transfer', kind: 'unavailable' },
      ]),
    });
    const results = await allocate(rt);
    expect(results.map((r) => r.entry?.status)).toEqual([
      'completed',
      'completed',
      'completed',
      'completed',
    ]);
    expect(rt.exchange.books().transfers).toHaveLength(4);
    expect(rt.exchange.books().transfers.every((t) => t.applied === 1)).toBe(true);
  });

  it('after a timeout that hid an applied transfer, finds it by clientOid and does not resubmit', async () => {
    rt = await testRuntime({ faults: scriptedFaults([{ op: 'transfer', kind: 'timeout_after' }]) });
    const results = await allocate(rt);
    expect(results.map((r) => r.entry?.status)).toEqual([
      'completed',
      'completed',
      'completed',
      'completed',
    ]);
    expect(rt.exchange.books().transfers.every((t) => t.applied === 1)).toBe(true);
    expect(rt.exchange.books().master.balance).toBe(money(500));
    expect(rt.exchange.calls.transfer).toBe(4);
  });

  it('after a timeout before the transfer took effect, submits it again', async () => {
    rt = await testRuntime({
      faults: scriptedFaults([{ op: 'transfer', kind: 'timeout_before' }]),
    });
    const results = await allocate(rt);
    expect(results.map((r) => r.entry?.status)).toEqual([
      'completed',
      'completed',
      'completed',
      'completed',
    ]);
    expect(rt.exchange.calls.transfer).toBe(5);
    expect(rt.exchange.books().master.balance).toBe(money(500));
  });

  it('records a transfer the exchange refuses as failed, moves nothing, alerts and releases the lock', async () => {
    rt = await testRuntime({ faults: scriptedFaults([{ op: 'transfer', kind: 'insufficient' }]) });
    const results = await allocate(rt);
    const failed = results.filter((r) => r.entry?.status === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.entry?.error).toMatch(/InsufficientFundsError/);
    expect(failed[0]?.outcome?.path).toContain('Settle');
    expect(rt.exchange.books().transfers).toHaveLength(3);
    expect(rt.alerts.some((a) => a.code === 'transfer_failed' && a.severity === 'critical')).toBe(
      true,
    );
    const botId = failed[0]?.entry?.botId ?? '';
    expect(await rt.store.locks.lockBot('main', botId, 'someone-else', 60_000)).toBe(true);
  });

  it('rejects a transfer the guards refuse before anything is submitted', async () => {
    rt = await testRuntime();
    await allocate(rt);
    const entry = plannedEntry(
      {
        kind: 'harvest',
        botId: '1h_lorentzian_sol',
        from: 'bot:1h_lorentzian_sol',
        to: 'reserve:low_frequency',
        amount: money(501),
        reason: 'test',
        leg: 0,
      },
      { portfolioId: 'main', cycleId: 'manual', exchange: 'bitget', now: cycleAt(1).toISOString() },
    );
    await rt.store.journal.putPlanned([entry]);
    const outcome = await rt.workflow.run(entry.id);
    const after = await rt.store.journal.get(entry.id);
    expect(after?.status).toBe('rejected');
    expect(after?.error).toMatch(/above max_transfer 500/);
    expect(outcome.path).toEqual([
      'Lock',
      'Validate',
      'Settle',
      'UnlockAfterSettle',
      'NotifyAfterSettle',
    ]);
    expect(rt.exchange.calls.transfer).toBe(4);
  });

  it('marks a submitted transfer it cannot verify as uncertain, for reconciliation', async () => {
    const unavailable = Array.from({ length: 40 }, () => ({
      op: 'find' as const,
      kind: 'unavailable' as const,
    }));
    rt = await testRuntime({ faults: scriptedFaults(unavailable) });
    const results = await allocate(rt);
    expect(results.map((r) => r.entry?.status)).toContain('uncertain');
    expect(
      results.every((r) => r.entry?.status === 'uncertain' || r.entry?.status === 'completed'),
    ).toBe(true);
    // Nothing was moved twice, and nothing uncertain was applied to the books.
    expect(rt.exchange.books().transfers.every((t) => t.applied === 1)).toBe(true);
  });

  it('runs a transfer once when its execution is started twice', async () => {
    rt = await testRuntime();
    const result = await rt.cycle(cycleAt(0));
    const first = result.entries[0];
    if (!first) throw new Error('no transfer planned');
    await rt.workflow.start(first);
    await rt.workflow.start(first);
    await rt.workflow.drain();
    expect(rt.exchange.books().transfers.filter((t) => t.clientOid === first.id)).toHaveLength(1);
  });
});
