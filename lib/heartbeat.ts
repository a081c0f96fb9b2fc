/**
 * The heartbeat endpoint (DESIGN.md §11): a Lambda function URL that takes `POST /heartbeat` from
 * the bots, and the secret holding each bot's HMAC key. Built only when a bot of the config sends
 * heartbeats (`bots[].health.heartbeat`).
 *
 * The URL's auth type is NONE: a bot is not an AWS principal, and each request is authenticated
 * by the HMAC of its body with the bot's own secret (usecases/heartbeat.ts), with a timestamp
 * window, replay refusal and a per-bot rate. Least privilege: the function reads and updates items
 * of the state table only (no delete, no other table), reads only the heartbeat secret, and never
 * calls an exchange (its bundle carries no exchange adapter).
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { STATE_TABLE, tableEnvName } from '../functions/adapters/dynamodb/tables.ts';
import { HEARTBEAT_SECRET_ARN_ENV } from '../functions/adapters/health-secrets.ts';
import { SECRET_PLACEHOLDER } from './exchange-secrets.ts';
import { BotfolioFunction } from './function.ts';

/** What the heartbeat function may do on the state table: read a bot's item, query, update it. */
export const HEARTBEAT_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
] as const;

export interface HeartbeatEndpointProps {
  /** The handler module (functions/handlers/heartbeat.ts). */
  readonly entry: string;
  readonly portfolioId: string;
  /** The validated config file, shipped in the bundle. @default - none (bundling skipped) */
  readonly configFile?: string;
  /** The bots that send heartbeats: each gets a placeholder in the secret. */
  readonly botIds: readonly string[];
  /** The state table, where each bot's health item lives. */
  readonly stateTable: dynamodb.ITable;
}

export class HeartbeatEndpoint extends Construct {
  readonly function: BotfolioFunction;
  readonly url: lambda.FunctionUrl;
  /** `{"<bot_id>": "<secret>"}`: the operator replaces every placeholder after deploy. */
  readonly secret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: HeartbeatEndpointProps) {
    super(scope, id);
    const secret = new secretsmanager.Secret(this, 'Secrets', {
      secretName: `botfolio/${props.portfolioId}/heartbeat`,
      description: `Heartbeat HMAC secrets of the bots of Botfolio portfolio ${props.portfolioId}, as {"<bot_id>": "<secret>"}: replace every ${SECRET_PLACEHOLDER} (a bot whose secret is a placeholder is refused).`,
      generateSecretString: {
        secretStringTemplate: JSON.stringify(
          Object.fromEntries(props.botIds.map((b) => [b, SECRET_PLACEHOLDER])),
        ),
        // A key no bot has: the template's bots stay placeholders until the operator sets them.
        generateStringKey: '_unused',
        excludePunctuation: true,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Each heartbeat secret is shared with a bot running outside AWS: a rotation Lambda cannot update the bot, so the operator rotates a bot’s secret on both sides by hand.',
    });
    this.secret = secret;

    this.function = new BotfolioFunction(this, 'Function', {
      entry: props.entry,
      description: 'Botfolio heartbeat: takes a bot’s signed POST /heartbeat',
      portfolioId: props.portfolioId,
      configFile: props.configFile,
      timeout: Duration.seconds(5),
      memorySize: 256,
      retryAttempts: 0,
      environment: {
        [tableEnvName(STATE_TABLE)]: props.stateTable.tableName,
        [HEARTBEAT_SECRET_ARN_ENV]: secret.secretArn,
      },
    });
    iam.Grant.addToPrincipal({
      grantee: this.function,
      actions: [...HEARTBEAT_TABLE_ACTIONS],
      resourceArns: [props.stateTable.tableArn],
    });
    secret.grantRead(this.function);

    this.url = this.function.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.NONE,
    });
    // The AwsSolutions pack has no rule on function URLs; cdk-nag's LambdaFunctionUrlAuth rule
    // (in no pack we run) would flag NONE: the reason is recorded under its name for a reviewer.
    Validations.of(this.function).acknowledge({
      id: 'LambdaFunctionUrlAuth',
      reason:
        'Auth type NONE on purpose: the bots are not AWS principals; every request is authenticated by an HMAC-SHA256 of its body with the bot’s own secret, a ±60 s timestamp window, replay refusal (strictly increasing ts per bot, one conditional write) and a per-bot rate limit, and a refused request writes nothing.',
    });
  }
}
