/**
 * The CDK app: one Botfolio stack for the portfolio of the config named by context `config`
 * (cdk.json; `-c config=FILE` to override). Alert destinations come from context too:
 * `-c alertEmail=a@x.org,b@x.org -c alertSms=+4917612345678`. A fixed egress IP for Bitget's
 * IP-bound key: `-c egress=nat-instance|nat-gateway|none` (default none). Tests only:
 * `-c testExchangeUrl=http://127.0.0.1:PORT` (lib/test-exchange.ts). cdk-nag's AwsSolutions
 * checks run on synth; every acknowledgement in lib/ carries its reason.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { InvalidConfigError } from '../functions/core/problems.ts';
import { ConfigFileError, type DeployConfig, loadDeployConfig } from '../lib/config-file.ts';
import { type EgressOption, EgressOptionError, parseEgressOption } from '../lib/egress.ts';
import { BotfolioStack, stackNameFor } from '../lib/stack.ts';
import { TEST_EXCHANGE_URL_CONTEXT } from '../lib/test-exchange.ts';

const app = new App();

const list = (key: string): string[] => {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return [];
  return String(value)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
};

const configPath: unknown = app.node.tryGetContext('config');
if (typeof configPath !== 'string' || configPath === '') {
  console.error('No config file: set context "config" (cdk.json, or -c config=FILE).');
  process.exit(1);
}

let deploy: DeployConfig;
try {
  deploy = await loadDeployConfig(configPath);
} catch (e) {
  if (e instanceof InvalidConfigError) {
    console.error(`Invalid config file ${configPath}; nothing was synthesized.\n${e.message}`);
    process.exit(1);
  }
  if (e instanceof ConfigFileError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}

let egress: EgressOption;
try {
  egress = parseEgressOption(app.node.tryGetContext('egress'));
} catch (e) {
  if (e instanceof EgressOptionError) {
    console.error(`${e.message} Nothing was synthesized.`);
    process.exit(1);
  }
  throw e;
}

new BotfolioStack(app, stackNameFor(deploy.config.portfolioId), {
  config: deploy.config,
  configFile: deploy.file,
  alertEmails: list('alertEmail'),
  alertSms: list('alertSms'),
  // -c deletionProtection=false (a string) or false in cdk.json turns it off.
  deletionProtection: String(app.node.tryGetContext('deletionProtection')) !== 'false',
  egress,
  // For test deploys only (lib/test-exchange.ts); refused for a production-looking deploy.
  testExchangeUrl: app.node.tryGetContext(TEST_EXCHANGE_URL_CONTEXT) || undefined,
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
