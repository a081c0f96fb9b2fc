/**
 * Runs the guarded-transfer state machine in-process: the definition synthesized by CDK, executed
 * by aws-local-stepfunctions with every Task state handled by the same step function the step
 * Lambda runs. A repeated start of a transfer id is a no-op, as with Step Functions' execution names.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import type { WorkflowStarter } from '../core/ports.ts';
import type { StepInput, StepOutput, TransferExecutionInput } from '../core/workflow.ts';

export type StateMachineDefinition = ConstructorParameters<typeof StateMachine>[0];

export interface ExecutionOutcome {
  readonly transferId: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  /** Names of the Task states entered, in order (retries included). */
  readonly path: readonly string[];
  readonly error?: string;
}

export interface LocalWorkflowOptions {
  /** Wait before each retry, instead of the definition's backoff (keeps demos and tests quick). @default the definition's */
  readonly retryIntervalMs?: number;
}

export class LocalTransferWorkflow implements WorkflowStarter {
  private readonly machine: StateMachine;
  private readonly taskStates: string[];
  private readonly running = new Map<string, Promise<ExecutionOutcome>>();
  readonly outcomes = new Map<string, ExecutionOutcome>();

  constructor(
    definition: StateMachineDefinition,
    private readonly runStep: (input: StepInput) => Promise<StepOutput>,
    private readonly options: LocalWorkflowOptions = {},
  ) {
    this.machine = new StateMachine(definition);
    this.taskStates = Object.entries(definition.States)
      .filter(([, s]) => s.Type === 'Task')
      .map(([name]) => name);
  }

  async start(entry: { id: string }): Promise<void> {
    if (this.running.has(entry.id)) return;
    this.running.set(entry.id, this.execute(entry.id));
  }

  /** Runs one execution to its end (a started one is awaited, not run twice). */
  async run(transferId: string): Promise<ExecutionOutcome> {
    await this.start({ id: transferId });
    const running = this.running.get(transferId);
    if (!running) throw new Error(`execution ${transferId} did not start`);
    return running;
  }

  /** Waits for every execution started so far. */
  async drain(): Promise<ExecutionOutcome[]> {
    return Promise.all(this.running.values());
  }

  private async execute(transferId: string): Promise<ExecutionOutcome> {
    const path: string[] = [];
    const handler = (state: string) => async (input: unknown) => {
      path.push(state);
      return (await this.runStep(input as StepInput)) as unknown as Record<string, string>;
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
    let outcome: ExecutionOutcome;
    try {
      await execution.result;
      outcome = { transferId, status: 'SUCCEEDED', path };
    } catch (error) {
      outcome = {
        transferId,
        status: 'FAILED',
        path,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      };
    }
    this.outcomes.set(transferId, outcome);
    return outcome;
  }
}
