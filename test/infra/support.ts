/**
 * Shared setup of the infra tests: the stack synthesized from the spec's example portfolio, with
 * bundling skipped (no esbuild run, no handler code needed), and small readers of the template.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { type Config, parseConfig } from '../../functions/core/config.ts';
import { BotfolioStack, type BotfolioStackProps } from '../../lib/stack.ts';

export const CONFIG_FILE = fileURLToPath(
  new URL('../../examples/spec-portfolio.json', import.meta.url),
);

/** The example config's JSON, to derive variants from. */
export function exampleConfigJson(): Record<string, unknown> {
  return JSON.parse(readFileSync(CONFIG_FILE, 'utf8')) as Record<string, unknown>;
}

/** The states a transfer that goes well passes through, in order, to its end. */
export const TRANSFER_HAPPY_PATH = [
  'Lock',
  'Validate',
  'Submit',
  'Confirm',
  'Apply',
  'Unlock',
  'Notify',
  'Transferred',
] as const;

export const ALERT_EMAILS = ['ops@example.com', 'founder@example.com'] as const;
export const ALERT_SMS = ['+4917612345678'] as const;

export interface Synthesized {
  readonly app: App;
  readonly stack: BotfolioStack;
  readonly template: Template;
  readonly config: Config;
}

/** Builds the stack (bundling skipped) for the example config or a variant of it. */
export function synthesize(
  options: { configJson?: unknown; props?: Partial<BotfolioStackProps> } = {},
): Synthesized {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const config = parseConfig(options.configJson ?? exampleConfigJson());
  const stack = new BotfolioStack(app, `Botfolio-${config.portfolioId}`, {
    config,
    configFile: CONFIG_FILE,
    alertEmails: ALERT_EMAILS,
    alertSms: ALERT_SMS,
    ...options.props,
  });
  return { app, stack, template: Template.fromStack(stack), config };
}

/** The logical id of a construct's CloudFormation resource, e.g. to match a `Ref` or `GetAtt`. */
export function logicalIdOf(stack: BotfolioStack, construct: { node: { defaultChild?: unknown } }) {
  const child = construct.node.defaultChild;
  if (!child) throw new Error('construct has no default CloudFormation resource');
  return stack.getLogicalId(child as Parameters<BotfolioStack['getLogicalId']>[0]);
}

type Intrinsic = string | Record<string, unknown>;

export interface AslState {
  readonly Type: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Resource?: string;
  readonly Parameters?: Record<string, unknown>;
  readonly ResultPath?: string | null;
  readonly Retry?: ReadonlyArray<{
    ErrorEquals: string[];
    IntervalSeconds?: number;
    MaxAttempts?: number;
    BackoffRate?: number;
    MaxDelaySeconds?: number;
    JitterStrategy?: string;
  }>;
  readonly Catch?: ReadonlyArray<{ ErrorEquals: string[]; ResultPath?: string; Next: string }>;
}

export interface AslDefinition {
  readonly StartAt: string;
  readonly TimeoutSeconds?: number;
  readonly States: Record<string, AslState>;
}

/**
 * The state machine's definition as JSON. DefinitionString is an `Fn::Join` of text and the step
 * function's ARN (`Fn::GetAtt`); the ARN parts become the placeholder `STEP_FUNCTION_ARN`.
 */
export function stateMachineDefinition(template: Template): {
  definition: AslDefinition;
  text: string;
} {
  const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  if (machines.length !== 1)
    throw new Error(`expected one state machine, found ${machines.length}`);
  const raw = machines[0]?.Properties?.DefinitionString as Intrinsic;
  const resolve = (value: Intrinsic): string => {
    if (typeof value === 'string') return value;
    const join = value['Fn::Join'] as [string, Intrinsic[]] | undefined;
    if (join) return join[1].map(resolve).join(join[0]);
    return 'STEP_FUNCTION_ARN';
  };
  const text = resolve(raw);
  return { definition: JSON.parse(text) as AslDefinition, text };
}
