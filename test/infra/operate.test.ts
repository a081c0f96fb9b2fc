/**
 * What operating a deployed stack relies on (DESIGN.md §12): the outputs the CLI's `--stack`
 * finds the portfolio by, and the test-only exchange URL, refused for a production-looking deploy.
 */
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { STACK_OUTPUTS } from '../../functions/adapters/stack-outputs.ts';
import { TEST_EXCHANGE_URL_ENV } from '../../functions/handlers/env.ts';
import { logicalIdOf, synthesize } from './support.ts';

const TEST_DEPLOY = { alertEmails: [], alertSms: [], deletionProtection: false } as const;
const FAKE_URL = 'http://127.0.0.1:4510';

/** Every function's environment variables in the template. */
function environments(template: ReturnType<typeof synthesize>['template']) {
  return Object.values(template.findResources('AWS::Lambda::Function')).map(
    (f) => (f.Properties.Environment?.Variables ?? {}) as Record<string, unknown>,
  );
}

describe('the stack outputs', () => {
  it('name the portfolio, its tables, topic, state machine and functions for `--stack`, and the dashboard', () => {
    // Prepare
    const { stack, template } = synthesize();
    // Assess
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs).sort()).toEqual(
      [...Object.values(STACK_OUTPUTS), 'DashboardUrl'].sort(),
    );
    expect(JSON.stringify(outputs.DashboardUrl?.Value)).toContain('#dashboards/dashboard/');
    expect(outputs[STACK_OUTPUTS.portfolioId]?.Value).toBe('main');
    expect(outputs[STACK_OUTPUTS.transactionsTable]?.Value).toEqual({
      Ref: logicalIdOf(stack, stack.storage.transactions),
    });
    expect(outputs[STACK_OUTPUTS.reconcileFunction]?.Value).toEqual({
      Ref: logicalIdOf(stack, stack.reconcile.function),
    });
  });
});

describe('the test-only exchange URL', () => {
  it('points every function at a fake exchange on 127.0.0.1 in a test deploy', () => {
    // Act
    const { template } = synthesize({ props: { ...TEST_DEPLOY, testExchangeUrl: FAKE_URL } });
    // Assess
    const envs = environments(template);
    expect(envs).toHaveLength(3);
    for (const env of envs) expect(env[TEST_EXCHANGE_URL_ENV]).toBe(FAKE_URL);
  });

  it('is absent unless given', () => {
    // Act
    const { template } = synthesize({ props: TEST_DEPLOY });
    // Assess
    for (const env of environments(template)) expect(env).not.toHaveProperty(TEST_EXCHANGE_URL_ENV);
  });

  it.each([
    [
      'a URL off the loopback interface',
      { testExchangeUrl: 'https://api.bitget.com' },
      /127\.0\.0\.1/,
    ],
    ['tables with deletion protection', { deletionProtection: true }, /deletion protection/],
    ['alert subscribers', { alertEmails: ['ops@example.com'] }, /email or SMS/],
  ])(
    'is refused with %s: the stack does not synthesize, and no function gets it',
    (_, change, why) => {
      // Act
      const { stack, template } = synthesize({
        props: { ...TEST_DEPLOY, testExchangeUrl: FAKE_URL, ...change },
      });
      // Assess
      Annotations.fromStack(stack).hasError(
        `/${stack.stackName}`,
        Match.stringLikeRegexp(`testExchangeUrl is for test deploys only.*${why.source}`),
      );
      for (const env of environments(template))
        expect(env).not.toHaveProperty(TEST_EXCHANGE_URL_ENV);
    },
  );
});
