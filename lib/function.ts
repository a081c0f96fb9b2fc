/**
 * The one place the stack's Lambda defaults live (runtime, architecture, tracing, logs, bundling,
 * the shipped config), so each function says only what makes it different.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ALLOCATION_MODULE_ENV } from '../functions/adapters/allocation-module.ts';
import { REAL_EXCHANGES } from '../functions/adapters/exchanges.ts';
import { CCXT_UNUSED_IMPORTS, ESM_REQUIRE_BANNER } from './bundle-options.ts';

export { CCXT_UNUSED_IMPORTS, ESM_REQUIRE_BANNER };

/** The config file's name inside every bundle, relative to LAMBDA_TASK_ROOT. */
export const BUNDLED_CONFIG_FILE = 'botfolio.config.json';

/** The `custom` strategy's module inside the cycle bundle, relative to LAMBDA_TASK_ROOT. */
export const BUNDLED_ALLOCATION_MODULE = 'botfolio.allocation.mjs';

/**
 * What a bundle defines so that it carries only the exchange adapters of `exchanges` (the
 * config's): `process.env.BOTFOLIO_BUNDLE_<X>` is "0" for every other one, and esbuild leaves
 * that adapter and its ccxt class out (functions/adapters/exchanges.ts).
 */
export function exchangeDefines(exchanges: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    REAL_EXCHANGES.filter((e) => !exchanges.includes(e)).map((e) => [
      `process.env.BOTFOLIO_BUNDLE_${e.toUpperCase()}`,
      '"0"',
    ]),
  );
}

/** The exchanges a config file names (its validated JSON, read at synth). */
function exchangesOf(configFile: string): string[] {
  const json = JSON.parse(readFileSync(configFile, 'utf8')) as { exchanges?: object };
  return Object.keys(json.exchanges ?? {});
}

/** Modules every bundle leaves out: the AWS SDK (the runtime has it) and ccxt's unused imports. */
export const BUNDLE_EXTERNALS = ['@aws-sdk/*', ...CCXT_UNUSED_IMPORTS] as const;

/**
 * esbuild's options as the stack bundles a function (NodejsFunction passes the same ones to the
 * esbuild CLI), for builds outside CDK: the bench and the bundle checks build what is deployed.
 */
export const ESBUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  mainFields: ['module', 'main'],
  minify: true,
  keepNames: true,
  banner: { js: ESM_REQUIRE_BANNER },
  external: [...BUNDLE_EXTERNALS],
} as const;

export interface BotfolioFunctionProps {
  /** The handler module, e.g. `functions/handlers/cycle.ts`; it exports `handler`. */
  readonly entry: string;
  /** What the function does, shown in the console. */
  readonly description: string;
  /** The portfolio this stack manages, named in the role's description. */
  readonly portfolioId: string;
  /**
   * The validated config file. It is copied into the bundle as `botfolio.config.json`, and env
   * `CONFIG_PATH` names it, so a function reads the very config that was checked at synth time.
   * @default - none: allowed only when bundling is skipped (e.g. synthesizing the state machine
   * definition for local mode); bundling without it fails.
   */
  readonly configFile?: string;
  /**
   * The `custom` strategy's module (the config's `allocation.module`, resolved). esbuild bundles
   * it, its own imports included and with the options of the handler's code, into the bundle as
   * `botfolio.allocation.mjs`; env `ALLOCATION_MODULE_PATH` names it.
   * @default - none: the function has no custom allocation to run
   */
  readonly allocationModule?: string;
  /**
   * @default Duration.seconds(30) — a transfer step makes a few exchange calls at most; the
   * workflow retries what times out.
   */
  readonly timeout?: Duration;
  /** @default 512 — ccxt's Bitget class and the SDK clients start in well under that. */
  readonly memorySize?: number;
  /** More environment variables (the defaults above are always set). @default - none */
  readonly environment?: Record<string, string>;
  /**
   * How many times Lambda retries a failed asynchronous invocation.
   * @default 2 (Lambda's own default)
   */
  readonly retryAttempts?: number;
  /** @default logs.RetentionDays.THREE_MONTHS — long enough to investigate a transfer. */
  readonly logRetention?: logs.RetentionDays;
  /**
   * A VPC to run in, e.g. a FixedEgress' (lib/egress.ts), so the function's calls leave from a
   * fixed address: it runs in the private subnets with a security group of its own (sibling
   * `<id>SecurityGroup`) that allows only outbound HTTPS, and its role may manage its network
   * interfaces.
   * @default - none: Lambda's own network, outbound from addresses shared with other AWS customers
   */
  readonly vpc?: ec2.IVpc;
}

/**
 * A Botfolio Lambda function with the stack's defaults:
 * - runtime Node.js 22 (`nodejs22.x`), the version the code is built and tested with;
 * - arm64 (Graviton): cheaper per GB-second, and nothing here is x86-only;
 * - X-Ray tracing active, so a cycle's exchange and DynamoDB calls show as one trace;
 * - its own log group (sibling construct `<id>Logs`) with a retention (three months), and a role
 *   (sibling `<id>Role`) that may write only to that log group — no AWS managed policy;
 * - ESM bundling with esbuild (format esm, target node22, minified but keeping class names, linked
 *   source maps with
 *   `NODE_OPTIONS=--enable-source-maps`), `@aws-sdk/*` left out because the runtime provides it,
 *   and ccxt's lazy imports a REST client never loads (`CCXT_UNUSED_IMPORTS`);
 * - only the adapters (and ccxt classes) of the exchanges the config names (`exchangeDefines`);
 * - the validated config copied into the bundle (`CONFIG_PATH=botfolio.config.json`), which
 *   names the portfolio, and a `custom` strategy's module bundled beside it
 *   (`ALLOCATION_MODULE_PATH=botfolio.allocation.mjs`);
 * - outside any VPC unless `vpc` is given (then: private subnets, outbound HTTPS only).
 */
export class BotfolioFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: BotfolioFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      // Logs are the audit trail of money that moved: they outlive the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (${props.portfolioId})`,
    });
    logGroup.grantWrite(role);
    const network = props.vpc ? vpcPlacement(scope, id, props.vpc, role) : {};

    const { configFile, allocationModule } = props;
    super(scope, id, {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      tracing: lambda.Tracing.ACTIVE,
      timeout: props.timeout ?? Duration.seconds(30),
      memorySize: props.memorySize ?? 512,
      retryAttempts: props.retryAttempts,
      logGroup,
      role,
      ...network,
      environment: {
        ...props.environment,
        CONFIG_PATH: BUNDLED_CONFIG_FILE,
        ...(allocationModule && { [ALLOCATION_MODULE_ENV]: BUNDLED_ALLOCATION_MODULE }),
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        format: OutputFormat.ESM,
        target: ESBUILD_OPTIONS.target,
        mainFields: [...ESBUILD_OPTIONS.mainFields],
        minify: ESBUILD_OPTIONS.minify,
        // Error classes name themselves (`this.name = new.target.name`) and Step Functions'
        // Retry/Catch match that name: minifying must not rename them.
        keepNames: ESBUILD_OPTIONS.keepNames,
        sourceMap: true,
        sourcesContent: false,
        banner: ESM_REQUIRE_BANNER,
        externalModules: [...BUNDLE_EXTERNALS],
        // Only the config's exchanges' adapters (and ccxt classes) go in.
        ...(configFile && { define: exchangeDefines(exchangesOf(configFile)) }),
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir, outputDir) => [
            configFile
              ? copyCommand(resolve(configFile), `${outputDir}/${BUNDLED_CONFIG_FILE}`)
              : // Rendered at construction, run only if bundling runs: a bundle without its
                // config would fail on its first invocation, so the synth fails instead.
                failCommand(`${id}: no config file to ship in the bundle (configFile prop)`),
            ...(allocationModule
              ? [bundleCommand(allocationModule, `${outputDir}/${BUNDLED_ALLOCATION_MODULE}`)]
              : []),
          ],
        },
      },
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned to nodejs22.x on purpose: the code is built, typed and tested on Node 22 (package.json engines and its node@22 toolchain); the runtime moves with the toolchain, not ahead of it.',
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: `X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) have no resource type: AWS requires "*" for them.${props.vpc ? ` ${VPC_ACCESS_REASON}` : ''}`,
    });
  }
}

/** What AWSLambdaVPCAccessExecutionRole allows, the managed policy a role of our own replaces. */
const VPC_ACCESS_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
] as const;

const VPC_ACCESS_REASON =
  'In a VPC, Lambda creates and deletes the function network interfaces with the role: the Describe actions have no resource type, and Lambda documents "*" for CreateNetworkInterface (the same statement as the managed AWSLambdaVPCAccessExecutionRole, inline).';

/** A function's place in a VPC: the private subnets, and a group allowing only outbound HTTPS. */
function vpcPlacement(
  scope: Construct,
  id: string,
  vpc: ec2.IVpc,
  role: iam.Role,
): Pick<lambda.FunctionProps, 'vpc' | 'vpcSubnets' | 'securityGroups'> {
  const securityGroup = new ec2.SecurityGroup(scope, `${id}SecurityGroup`, {
    vpc,
    description: `${scope.node.path}/${id}: outbound HTTPS only (the exchange and AWS APIs)`,
    allowAllOutbound: false,
  });
  securityGroup.addEgressRule(
    ec2.Peer.anyIpv4(),
    ec2.Port.tcp(443),
    'HTTPS: exchange and AWS APIs',
  );
  role.addToPolicy(new iam.PolicyStatement({ actions: [...VPC_ACCESS_ACTIONS], resources: ['*'] }));
  return {
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    securityGroups: [securityGroup],
  };
}

/** A command that makes bundling fail with a message. */
function failCommand(message: string): string {
  const text = message.replaceAll(/[^\w :()./-]/g, ' ');
  return process.platform === 'win32'
    ? `echo ${text} 1>&2 && exit /b 1`
    : `echo '${text}' >&2; exit 1`;
}

/** A copy that runs in the local bundling shell: bash on Linux and macOS, cmd on Windows. */
function copyCommand(from: string, to: string): string {
  if (process.platform === 'win32') return `copy /Y "${from}" "${to.replaceAll('/', '\\')}"`;
  return `cp ${quote(from)} ${quote(to)}`;
}

/**
 * esbuild's arguments for one more file of a bundle: ESBUILD_OPTIONS, as the handler is built.
 * Its imports are bundled in (the bundle has no node_modules), the AWS SDK excepted.
 */
function esbuildArgs(entry: string, outfile: string): string[] {
  const o = ESBUILD_OPTIONS;
  return [
    entry,
    '--bundle',
    `--platform=${o.platform}`,
    `--format=${o.format}`,
    `--target=${o.target}`,
    `--main-fields=${o.mainFields.join(',')}`,
    ...(o.minify ? ['--minify'] : []),
    ...(o.keepNames ? ['--keep-names'] : []),
    `--banner:js=${o.banner.js}`,
    ...o.external.map((e) => `--external:${e}`),
    '--sourcemap',
    '--sources-content=false',
    `--outfile=${outfile}`,
  ];
}

/** esbuild on `entry`, run as NodejsFunction runs it for the handler (npx, from the project root). */
function bundleCommand(entry: string, outfile: string): string {
  return ['npx', '--no-install', 'esbuild', ...esbuildArgs(entry, outfile)].map(quote).join(' ');
}

/** One argument for the local bundling shell (bash, or cmd on Windows). */
function quote(s: string): string {
  if (process.platform === 'win32') return `"${s.replaceAll('"', '""')}"`;
  return `'${s.replaceAll("'", "'\\''")}'`;
}
