/**
 * Runs the guarded-transfer state machine in-process: the definition synthesized by CDK, executed
 * by aws-local-stepfunctions with every Task state handled by the same step function the step
 * Lambda runs. A repeated start of a transfer id is a no-op, as with Step Functions' execution names.
 *
 * Executions run a few at a time (`CONCURRENCY`), the others queued in the order started. Two
 * things the fault campaign needs, off by default: `serial` runs executions one at a time in
 * the order they were started (so a seed replays exactly), and a `reaper` kills an execution at a
 * chosen step — before it runs or after it ran — as if the process running it died there: nothing
 * after that point runs, not even the failure path, and the journal stays as the step left it. A
 * dead execution is forgotten, so a later start runs the transfer again, as a restarted process would.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import pLimit, { type LimitFunction } from 'p-limit';
import { stepRequestOf, type TransferExecutionInput } from '../adapters/stepfunctions/contract.ts';
import type { WorkflowStarter } from '../core/ports.ts';
import type { StepRequest, StepResult } from '../core/workflow.ts';

export type StateMachineDefinition = ConstructorParameters<typeof StateMachine>[0];

export interface ExecutionOutcome {
  readonly transferId: string;
  /** `DIED`: the reaper killed it (the process died); the journal says how far it got. */
  readonly status: 'SUCCEEDED' | 'FAILED' | 'DIED';
  /** Names of the Task states whose step ran, in order (retries included). */
  readonly path: readonly string[];
  /** State transitions, as Step Functions bills them (every state entered, retries included). */
  readonly transitions: number;
  readonly error?: string;
}

/** A point where an execution could die. */
export interface DeathPoint {
  readonly transferId: string;
  /** The Task state, e.g. `Submit`. */
  readonly state: string;
  /** How many Task states this execution has entered, this one included (retries count). */
  readonly entered: number;
  /** `before`: the step does not run. `after`: it ran (its effects stay), its answer is lost. */
  readonly when: 'before' | 'after';
}

/** Decides whether the execution dies at a point. */
export type Reaper = (point: DeathPoint) => boolean;

/** The process running the execution died: nothing after this point runs. */
export class ProcessDiedError extends Error {
  constructor(point: DeathPoint) {
    super(`process died ${point.when} ${point.state} of transfer ${point.transferId}`);
    this.name = 'ProcessDiedError';
  }
}

export interface LocalWorkflowOptions {
  /** Wait before each retry, instead of the definition's backoff (keeps demos and tests quick). @default the definition's */
  readonly retryIntervalMs?: number;
  /** Run executions one at a time, in the order started. @default false: `CONCURRENCY` at once */
  readonly serial?: boolean;
  /** Kills executions at chosen steps. @default none die */
  readonly reaper?: Reaper;
}

/**
 * Executions running at once (more wait their turn, in the order started): a fleet's wave of
 * transfers all at once on one embedded store times out waiting for sockets.
 */
const CONCURRENCY = 8;

/** One parsed machine per definition: parsing validates the whole definition, which is not free. */
const machines = new WeakMap<StateMachineDefinition, StateMachine>();

function machineFor(definition: StateMachineDefinition): StateMachine {
  let machine = machines.get(definition);
  if (!machine) {
    machine = new StateMachine(definition);
    machines.set(definition, machine);
  }
  return machine;
}

export class LocalTransferWorkflow implements WorkflowStarter {
  private readonly machine: StateMachine;
  private readonly taskStates: string[];
  private readonly running = new Map<string, Promise<ExecutionOutcome>>();
  /** Executions waiting for their turn, in the order started. */
  private readonly turn: LimitFunction;
  /** The last outcome of each transfer's execution. */
  readonly outcomes = new Map<string, ExecutionOutcome>();

  constructor(
    definition: StateMachineDefinition,
    private readonly runStep: (request: StepRequest) => Promise<StepResult>,
    private readonly options: LocalWorkflowOptions = {},
  ) {
    this.machine = machineFor(definition);
    this.turn = pLimit(options.serial ? 1 : CONCURRENCY);
    this.taskStates = Object.entries(definition.States)
      .filter(([, s]) => s.Type === 'Task')
      .map(([name]) => name);
  }

  async start(entry: { id: string }): Promise<void> {
    const id = entry.id;
    if (this.running.has(id)) return;
    const run = this.turn(() => this.execute(id));
    this.running.set(id, run);
    // A dead execution is forgotten once over: the next start runs the transfer afresh.
    void run.then((o) => {
      if (o.status === 'DIED' && this.running.get(id) === run) this.running.delete(id);
    });
  }

  /** Runs one execution to its end (a started one is awaited, not run twice). */
  async run(transferId: string): Promise<ExecutionOutcome> {
    await this.start({ id: transferId });
    const running = this.running.get(transferId);
    if (!running) throw new Error(`execution ${transferId} did not start`);
    return running;
  }

  /** Waits for every execution started so far, and for those they lead to start. */
  async drain(): Promise<ExecutionOutcome[]> {
    for (;;) {
      const pending = [...this.running.values()];
      const outcomes = await Promise.all(pending);
      if ([...this.running.values()].every((p) => pending.includes(p))) return outcomes;
    }
  }

  private async execute(transferId: string): Promise<ExecutionOutcome> {
    const path: string[] = [];
    const reaper = this.options.reaper;
    let entered = 0;
    let death: ProcessDiedError | undefined;
    const dies = (state: string, when: DeathPoint['when']) => {
      const point: DeathPoint = { transferId, state, entered, when };
      if (reaper?.(point)) death = new ProcessDiedError(point);
      return death;
    };
    const handler = (state: string) => async (input: unknown) => {
      // Once dead, nothing runs: every later state (the failure path too) fails at once.
      if (death) throw death;
      entered += 1;
      const before = dies(state, 'before');
      if (before) throw before;
      path.push(state);
      const result = await this.runStep(stepRequestOf(input));
      const after = dies(state, 'after');
      if (after) throw after;
      return result as unknown as Record<string, string>;
    };
    const input: TransferExecutionInput = { transferId };
    const execution = this.machine.run(input as unknown as Record<string, string>, {
      overrides: {
        taskResourceLocalHandlers: Object.fromEntries(this.taskStates.map((s) => [s, handler(s)])),
        ...(this.options.retryIntervalMs !== undefined && {
          retryIntervalOverrides: Object.fromEntries(
            this.taskStates.map((s) => [s, this.options.retryIntervalMs ?? 0]),
          ),
        }),
      },
    });
    let transitions = 0;
    const counted = (async () => {
      for await (const event of execution.eventLogs) {
        if (event.type === 'StateEntered' || event.type === 'StateRetried') transitions += 1;
      }
    })();
    let outcome: ExecutionOutcome;
    try {
      await execution.result;
      await counted;
      outcome = { transferId, status: 'SUCCEEDED', path, transitions };
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      await counted.catch(() => {});
      outcome = death
        ? { transferId, status: 'DIED', path, transitions, error: death.message }
        : { transferId, status: 'FAILED', path, transitions, error: message };
    }
    this.outcomes.set(transferId, outcome);
    return outcome;
  }
}
