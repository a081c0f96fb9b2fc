/**
 * A deploy-time setting for tests only: `-c testExchangeUrl=http://127.0.0.1:PORT` points every
 * function that calls an exchange at that API instead of the exchange's own (the cloud test's fake
 * Bitget, on the emulator's machine). It is refused for anything that looks like a real deploy: a
 * URL that is not on the loopback interface, tables with deletion protection (the default), a
 * fixed egress, or alert destinations. A real Lambda could not reach a loopback address anyway;
 * the checks make the intent explicit and stop the setting from ever riding along a real deploy.
 */
import type { EgressOption } from './egress.ts';

/** The context key (cdk.json or `-c`). */
export const TEST_EXCHANGE_URL_CONTEXT = 'testExchangeUrl';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** What the rest of the deploy says about it, for the production-looking checks. */
export interface DeployShape {
  readonly deletionProtection: boolean;
  readonly egress: EgressOption;
  readonly alertEmails: readonly string[];
  readonly alertSms: readonly string[];
}

/** Why `url` may not be deployed with this deploy; empty when it may. */
export function testExchangeUrlProblems(url: string, deploy: DeployShape): string[] {
  const problems: string[] = [];
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    problems.push(`"${url}" is not a URL`);
  }
  if (
    parsed &&
    !(['http:', 'https:'].includes(parsed.protocol) && LOOPBACK_HOSTS.has(parsed.hostname))
  ) {
    problems.push(`"${url}" is not an http(s) URL on 127.0.0.1, localhost or [::1]`);
  }
  if (deploy.deletionProtection) {
    problems.push('the tables have deletion protection (add -c deletionProtection=false)');
  }
  if (deploy.egress !== 'none') problems.push(`a fixed egress is deployed (${deploy.egress})`);
  if (deploy.alertEmails.length > 0 || deploy.alertSms.length > 0) {
    problems.push('alerts go to email or SMS subscribers');
  }
  return problems.map(
    (p) =>
      `${TEST_EXCHANGE_URL_CONTEXT} is for test deploys only, and this one looks like production: ${p}`,
  );
}
