/**
 * A deployed Botfolio stack as the CLI finds it (DESIGN.md §12): the stack's CloudFormation
 * outputs name its tables, alert topic, state machine and functions, so `botfolio … --stack NAME`
 * needs nothing but the stack's name and the usual AWS settings (region, profile, and
 * `AWS_ENDPOINT_URL` for an emulator). The output keys are defined here once: the stack writes
 * them (lib/stack.ts), the CLI reads them.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';

/** The stack's output keys, by what they name. */
export const STACK_OUTPUTS = {
  portfolioId: 'PortfolioId',
  stateTable: 'StateTableName',
  performanceTable: 'PerformanceTableName',
  transactionsTable: 'TransactionsTableName',
  alertTopic: 'AlertTopicArn',
  transferStateMachine: 'TransferStateMachineArn',
  cycleFunction: 'CycleFunctionName',
  reconcileFunction: 'ReconcileFunctionName',
} as const;

export type DeployedStack = { readonly [K in keyof typeof STACK_OUTPUTS]: string } & {
  readonly stackName: string;
};

/** The stack cannot be used: it does not exist, is not a Botfolio stack, or manages another portfolio. */
export class DeployedStackError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DeployedStackError';
  }
}

/** The stack's outputs, read with CloudFormation's DescribeStacks. */
export async function describeDeployedStack(
  stackName: string,
  client?: CloudFormationClient,
): Promise<DeployedStack> {
  // Loaded here: the CLI's local commands import this module (its error class) and never call AWS.
  const { CloudFormationClient, DescribeStacksCommand } = await import(
    '@aws-sdk/client-cloudformation'
  );
  const cfn = client ?? new CloudFormationClient({});
  let outputs: ReadonlyMap<string, string>;
  try {
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = new Map(
      (Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']),
    );
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    const why = error instanceof Error ? error.message : String(error);
    throw new DeployedStackError(`stack ${stackName}: ${name}: ${why}`, { cause: error });
  } finally {
    if (!client) cfn.destroy();
  }
  const missing = Object.values(STACK_OUTPUTS).filter((key) => !outputs.get(key));
  if (missing.length > 0) {
    throw new DeployedStackError(
      `stack ${stackName} lacks the outputs ${missing.join(', ')}: not a Botfolio stack, or deployed by a version before \`--stack\` (deploy again)`,
    );
  }
  const value = (key: string) => outputs.get(key) ?? '';
  return {
    stackName,
    ...(Object.fromEntries(
      Object.entries(STACK_OUTPUTS).map(([field, key]) => [field, value(key)]),
    ) as { [K in keyof typeof STACK_OUTPUTS]: string }),
  };
}
