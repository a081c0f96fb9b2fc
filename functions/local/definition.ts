/**
 * The transfer state machine's definition as CDK synthesizes it, for local execution: the
 * TransferWorkflow construct the stack deploys is built in-process, alone in a bare stack (no
 * functions to bundle, no AWS), and its AWS::StepFunctions::StateMachine's DefinitionString is
 * resolved — its intrinsic functions (the step Lambda's ARN, the partition) become local
 * placeholders, which the local runner never calls. The definition does not depend on the
 * config, so neither does this.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { TransferWorkflow } from '../../lib/transfer-workflow.ts';
import type { StateMachineDefinition } from './workflow.ts';

/** The step function's ARN in the local definition: the local runner dispatches by state name. */
const LOCAL_STEP_FUNCTION_ARN =
  'arn:aws:lambda:local-1:000000000000:function:botfolio-transfer-step';

type Intrinsic = string | { [fn: string]: unknown };

/** Joins an `Fn::Join` (or takes a plain string), putting a placeholder where a value needs AWS. */
function resolveIntrinsic(value: Intrinsic): string {
  if (typeof value === 'string') return value;
  const join = value['Fn::Join'] as [string, Intrinsic[]] | undefined;
  if (join) return join[1].map(resolveIntrinsic).join(join[0]);
  const sub = value['Fn::Sub'];
  if (typeof sub === 'string') return sub.replace(/\$\{[^}]+\}/g, 'local');
  if ('Ref' in value && value.Ref === 'AWS::Partition') return 'aws';
  if ('Ref' in value && value.Ref === 'AWS::Region') return 'local-1';
  if ('Ref' in value && value.Ref === 'AWS::AccountId') return '000000000000';
  return `arn:aws:lambda:local-1:000000000000:function:${JSON.stringify(value).replace(/\W+/g, '-')}`;
}

/** Pulls the (single) state machine definition out of a synthesized template. */
export function definitionFromTemplate(template: {
  Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}): StateMachineDefinition {
  const machines = Object.entries(template.Resources ?? {}).filter(
    ([, r]) => r.Type === 'AWS::StepFunctions::StateMachine',
  );
  const first = machines[0];
  if (!first || machines.length !== 1) {
    throw new Error(`expected one state machine in the template, found ${machines.length}`);
  }
  const props = first[1].Properties ?? {};
  const text = resolveIntrinsic(
    (props.DefinitionString ?? JSON.stringify(props.Definition)) as Intrinsic,
  );
  const substitutions = (props.DefinitionSubstitutions ?? {}) as Record<string, Intrinsic>;
  const substituted = text.replace(/\$\{(\w+)\}/g, (_, key: string) =>
    substitutions[key] === undefined ? `\${${key}}` : resolveIntrinsic(substitutions[key]),
  );
  return JSON.parse(substituted) as StateMachineDefinition;
}

/**
 * Builds the transfer workflow alone (its step function imported by ARN) and returns its
 * definition. The state machine's properties are resolved as synthesis resolves them, without
 * writing a cloud assembly: that costs seconds on a process's first synth, this a few ms.
 */
export function synthesizeTransferDefinition(): StateMachineDefinition {
  const stack = new Stack(new App(), 'BotfolioTransferWorkflow');
  const workflow = new TransferWorkflow(stack, 'TransferWorkflow', {
    stepFunction: lambda.Function.fromFunctionArn(stack, 'TransferStep', LOCAL_STEP_FUNCTION_ARN),
    // Names only the metrics' dimension, which is not part of the definition.
    portfolioId: 'local',
  });
  const machine = workflow.stateMachine.node.defaultChild;
  if (!(machine instanceof sfn.CfnStateMachine)) {
    throw new Error('TransferWorkflow: its state machine has no AWS::StepFunctions::StateMachine');
  }
  const properties = stack.resolve({
    DefinitionString: machine.definitionString,
    DefinitionSubstitutions: machine.definitionSubstitutions,
  }) as Record<string, unknown>;
  return definitionFromTemplate({
    Resources: {
      StateMachine: { Type: 'AWS::StepFunctions::StateMachine', Properties: properties },
    },
  });
}
