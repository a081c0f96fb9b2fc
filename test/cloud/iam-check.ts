/**
 * Every recorded AWS call of a deployed function checked against the policies of that function's
 * deployed role — the check the emulator does not make. The evaluation covers what Botfolio's
 * roles use: Allow and Deny statements with `Action` and `Resource` (wildcards `*` and `?`); a
 * statement with NotAction, NotResource or a Condition is reported as not understood, never read
 * as allowing anything. (@cloud-copilot/iam-simulate does all of IAM, but it is AGPL-licensed.)
 */

import {
  type CloudFormationClient,
  DescribeStackResourcesCommand,
} from '@aws-sdk/client-cloudformation';
import { GetFunctionConfigurationCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { AwsCall } from '../helpers/aws-calls.ts';

interface Statement {
  readonly Effect?: string;
  readonly Action?: string | string[];
  readonly Resource?: string | string[];
  readonly NotAction?: unknown;
  readonly NotResource?: unknown;
  readonly Condition?: unknown;
}

/** A deployed stack: its name, place, and the template it was deployed from (cdk.out). */
export interface DeployedTemplate {
  readonly name: string;
  readonly region: string;
  readonly account: string;
  readonly template: { readonly Resources?: Record<string, TemplateResource> };
}

interface TemplateResource {
  readonly Type?: string;
  readonly Properties?: {
    readonly Roles?: readonly unknown[];
    readonly PolicyDocument?: unknown;
    readonly Policies?: unknown;
    readonly ManagedPolicyArns?: unknown;
  };
}

/**
 * Every statement of each role of the stack, by role name: the stack's AWS::IAM::Policy resources
 * as deployed — their documents from the template, each intrinsic resolved with the physical ids
 * the stack reports — by the roles they are attached to. (The emulator's IAM cannot answer for
 * the policies its CloudFormation made: GetPolicyVersion fails on them, its GetTemplate answers
 * unescaped XML.) A role with policies of its own, or an intrinsic not modelled here, throws.
 */
async function roleStatements(
  cfn: CloudFormationClient,
  stack: DeployedTemplate,
): Promise<Map<string, Statement[]>> {
  const resources = stack.template.Resources ?? {};
  const { StackResources = [] } = await asking(
    'DescribeStackResources',
    cfn.send(new DescribeStackResourcesCommand({ StackName: stack.name })),
  );
  const physical = new Map(StackResources.map((r) => [r.LogicalResourceId, r.PhysicalResourceId]));
  const resolve = resolver(stack, resources, physical);
  const byRole = new Map<string, Statement[]>();
  for (const [logicalId, resource] of Object.entries(resources)) {
    const props = resource.Properties ?? {};
    if (resource.Type === 'AWS::IAM::Role' && (props.Policies || props.ManagedPolicyArns)) {
      throw new Error(`role ${logicalId} has policies of its own: not modelled here`);
    }
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const document = resolve(props.PolicyDocument) as { Statement?: Statement[] };
    for (const role of props.Roles ?? []) {
      const roleName = String(resolve(role));
      byRole.set(roleName, [...(byRole.get(roleName) ?? []), ...(document.Statement ?? [])]);
    }
  }
  return byRole;
}

/** CloudFormation's intrinsics as our templates use them, resolved for the deployed stack. */
function resolver(
  stack: DeployedTemplate,
  resources: Readonly<Record<string, TemplateResource>>,
  physical: ReadonlyMap<string | undefined, string | undefined>,
): (value: unknown) => unknown {
  const { region, account } = stack;
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': region,
    'AWS::AccountId': account,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const id = (logicalId: string) => {
    const value = physical.get(logicalId);
    if (!value) throw new Error(`${logicalId}: not a deployed resource of ${stack.name}`);
    return value;
  };
  const arnOf: Record<string, (physicalId: string) => string> = {
    'AWS::DynamoDB::Table': (p) => `arn:aws:dynamodb:${region}:${account}:table/${p}`,
    'AWS::Lambda::Function': (p) => `arn:aws:lambda:${region}:${account}:function:${p}`,
    'AWS::KMS::Key': (p) => `arn:aws:kms:${region}:${account}:key/${p}`,
    'AWS::Logs::LogGroup': (p) => `arn:aws:logs:${region}:${account}:log-group:${p}:*`,
  };
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (typeof value !== 'object' || value === null) return value;
    const entries = Object.entries(value);
    const [key, arg] = entries[0] ?? [];
    if (entries.length === 1 && key === 'Ref') return pseudo[String(arg)] ?? id(String(arg));
    if (entries.length === 1 && key === 'Fn::GetAtt') {
      const [logicalId = '', attribute] = arg as string[];
      const arn = arnOf[resources[logicalId]?.Type ?? ''];
      if (attribute !== 'Arn' || !arn)
        throw new Error(`Fn::GetAtt ${logicalId}.${attribute}: not modelled`);
      return arn(id(logicalId));
    }
    if (entries.length === 1 && key === 'Fn::Join') {
      const [separator, parts] = arg as [string, unknown[]];
      return (resolve(parts) as unknown[]).join(separator);
    }
    if (key?.startsWith('Fn::')) throw new Error(`${key}: not modelled`);
    return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v)]));
  };
  return resolve;
}

/** `call`, its error naming `what` was asked (the SDK's own message says only how it failed). */
async function asking<T>(what: string, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw new Error(`${what}: ${String(error)}`, { cause: error });
  }
}

const list = (v: string | string[] | undefined) => (v === undefined ? [] : [v].flat());

function matches(pattern: string, value: string, ignoreCase: boolean): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, ignoreCase ? 'i' : '').test(value);
}

/** 'allowed', 'denied' (no Allow, or an explicit Deny), or why the policy is not understood. */
function decide(statements: readonly Statement[], action: string, resource: string): string {
  let allowed = false;
  for (const s of statements) {
    if (s.NotAction !== undefined || s.NotResource !== undefined || s.Condition !== undefined) {
      return `not understood: ${JSON.stringify(s)}`;
    }
    const hit =
      list(s.Action).some((a) => matches(a, action, true)) &&
      list(s.Resource).some((r) => matches(r, resource, false));
    if (hit && s.Effect === 'Deny') return 'denied';
    if (hit && s.Effect === 'Allow') allowed = true;
  }
  return allowed ? 'allowed' : 'denied';
}

/**
 * The calls the caller's role does not allow (or that cannot be decided), one line each:
 * `<function> <action> <resource>: <why>`, for the functions of `stack`.
 */
export async function callsNotAllowed(
  clients: { readonly cfn: CloudFormationClient; readonly lambda: LambdaClient },
  stack: DeployedTemplate,
  calls: readonly AwsCall[],
): Promise<string[]> {
  const { StackResources = [] } = await asking(
    'DescribeStackResources',
    clients.cfn.send(new DescribeStackResourcesCommand({ StackName: stack.name })),
  );
  const functions = StackResources.filter((r) => r.ResourceType === 'AWS::Lambda::Function')
    .map((r) => r.PhysicalResourceId ?? '')
    .sort((a, b) => b.length - a.length);
  const statements = await roleStatements(clients.cfn, stack);
  const roles = new Map<string, string>();
  const problems: string[] = [];
  for (const call of calls) {
    const fn = functions.find((name) => call.caller.startsWith(`ministack-lambda-${name}-`));
    if (!fn) {
      problems.push(`${call.caller} ${call.action}: not a function of the stack`);
      continue;
    }
    if (!roles.has(fn)) {
      const config = await asking(
        'GetFunctionConfiguration',
        clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: fn })),
      );
      roles.set(fn, config.Role?.split('/').pop() ?? '');
    }
    const role = statements.get(roles.get(fn) ?? '') ?? [];
    for (const resource of call.resources) {
      const verdict = decide(role, call.action, resource);
      if (verdict !== 'allowed') problems.push(`${fn} ${call.action} ${resource}: ${verdict}`);
    }
  }
  return [...new Set(problems)];
}
