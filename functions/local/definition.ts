/**
 * The transfer state machine's definition as CDK synthesizes it, for local execution: the stack
 * is synthesized in-process (no bundling, no AWS), and the AWS::StepFunctions::StateMachine's
 * DefinitionString is resolved — its intrinsic functions (the step Lambda's ARN, the partition)
 * become local placeholders, which the local runner never calls.
 */
import { App } from 'aws-cdk-lib';
import { BotfolioStack } from '../../lib/stack.ts';
import type { Config } from '../core/config.ts';
import type { StateMachineDefinition } from './workflow.ts';

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

/** Synthesizes the stack for `config` (bundling skipped) and returns its transfer workflow definition. */
export function synthesizeTransferDefinition(config: Config): StateMachineDefinition {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, outdir: undefined });
  const stack = new BotfolioStack(app, `Botfolio-${config.portfolioId}`, { config });
  const assembly = app.synth();
  return definitionFromTemplate(assembly.getStackArtifact(stack.artifactId).template);
}
