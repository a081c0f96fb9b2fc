/**
 * The exchanges' master API keys (DESIGN.md §9): one Secrets Manager secret per exchange the config
 * names, created with placeholders that the operator replaces after deploy, readable only by the
 * functions that call the exchange. The paper exchange needs no key and gets no secret.
 */
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { ExchangeName } from '../functions/core/config.ts';
import { PASSPHRASE_EXCHANGES } from '../functions/core/config-schema.ts';

/** Exchanges that run in-process and have no key. */
const KEYLESS_EXCHANGES: readonly ExchangeName[] = ['paper'];

/** The value a placeholder field holds until the operator fills the secret. */
export const SECRET_PLACEHOLDER = 'REPLACE_ME';

/** Env var naming an exchange's secret: EXCHANGE_SECRET_ARN_BITGET, … */
export const exchangeSecretEnvName = (exchange: string): string =>
  `EXCHANGE_SECRET_ARN_${exchange.toUpperCase().replaceAll(/[^A-Z0-9]/g, '_')}`;

export interface ExchangeSecretsProps {
  readonly portfolioId: string;
  /** The exchanges the config names (keyless ones are skipped). */
  readonly exchanges: readonly ExchangeName[];
}

export class ExchangeSecrets extends Construct {
  /** One secret per exchange that needs a key, by exchange name. */
  readonly secrets: ReadonlyMap<ExchangeName, secretsmanager.ISecret>;
  /** Each secret under `exchangeSecretEnvName(exchange)`: where a reader finds each key. */
  readonly environment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: ExchangeSecretsProps) {
    super(scope, id);
    const secrets = new Map<ExchangeName, secretsmanager.ISecret>();
    for (const exchange of props.exchanges) {
      if (KEYLESS_EXCHANGES.includes(exchange)) continue;
      const secret = new secretsmanager.Secret(this, exchange, {
        secretName: `botfolio/${props.portfolioId}/${exchange}`,
        description: `Master API key of ${exchange} for Botfolio portfolio ${props.portfolioId}: replace every ${SECRET_PLACEHOLDER} with the key's values.`,
        generateSecretString: {
          // apiKey and passphrase (for an exchange whose keys have one) are placeholders;
          // `secret` gets a random value that is as useless: the operator replaces them all with
          // the key created at the exchange.
          secretStringTemplate: JSON.stringify({
            apiKey: SECRET_PLACEHOLDER,
            ...(PASSPHRASE_EXCHANGES.includes(exchange) && { passphrase: SECRET_PLACEHOLDER }),
          }),
          generateStringKey: 'secret',
          excludePunctuation: true,
        },
        removalPolicy: RemovalPolicy.RETAIN,
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'An exchange API key is created and revoked at the exchange (Bitget binds it to fixed IPs and permissions); a rotation Lambda cannot create one, so the operator rotates it there and updates this secret.',
      });
      secrets.set(exchange, secret);
    }
    this.secrets = secrets;
    this.environment = Object.fromEntries(
      [...secrets].map(([exchange, secret]) => [exchangeSecretEnvName(exchange), secret.secretArn]),
    );
  }

  /** Lets the grantee read every exchange key (none to grant when every exchange is keyless). */
  grantRead(grantee: iam.IGrantable): iam.Grant {
    return [...this.secrets.values()]
      .map((secret) => secret.grantRead(grantee))
      .reduce((all, grant) => all.combine(grant), iam.Grant.drop(grantee, 'no exchange keys'));
  }
}
