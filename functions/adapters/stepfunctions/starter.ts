/** Starts the guarded-transfer state machine in AWS: execution name = transfer id, so a repeated start is a no-op. */
import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { WorkflowStarter } from '../../core/ports.ts';
import type { TransferExecutionInput } from './contract.ts';

export class StepFunctionsStarter implements WorkflowStarter {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(entry: { id: string }): Promise<void> {
    const input: TransferExecutionInput = { transferId: entry.id };
    try {
      await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: entry.id,
          input: JSON.stringify(input),
        }),
      );
    } catch (error) {
      // Same name, already run or running: the transfer's workflow exists, which is all we want.
      if (error instanceof ExecutionAlreadyExists) return;
      throw error;
    }
  }
}
