import { App, Stack, Validations } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { synthesize } from './support.ts';

// Prepare (once for the file)
const { app, stack } = synthesize();

/** Every acknowledgement recorded on a construct of the stack: rule id → reason. */
function acknowledgements(): Map<string, string> {
  const found = new Map<string, string>();
  for (const c of stack.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.set(`${c.node.path} ${id}`, reason);
      }
    }
  }
  return found;
}

describe('cdk-nag AwsSolutions', () => {
  it('finds no unacknowledged error or warning', () => {
    // Act
    const report = new AwsSolutionsChecks().validateScope(stack);
    // Assess
    expect(
      report.violations.map(
        (v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath)}`,
      ),
    ).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('passes as a synth-time validation plugin of the app', () => {
    // Prepare
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    // Act & Assess: a violation would make synth throw with the report (forced: the template
    // assertions already synthesized this app once).
    expect(() => app.synth({ force: true })).not.toThrow();
  });

  it('gives every acknowledgement a reason', () => {
    // Act
    const acks = acknowledgements();
    // Assess
    expect(acks.size).toBeGreaterThan(0);
    for (const [where, reason] of acks) expect(reason.length, where).toBeGreaterThan(40);
  });

  it('fails synth on a finding nobody acknowledged (the check can fail)', () => {
    // Prepare: an unencrypted topic that allows plain HTTP (SNS2, SNS3).
    const other = new App();
    new sns.Topic(new Stack(other, 'Careless'), 'Topic');
    Validations.of(other).addPlugins(new AwsSolutionsChecks(other));
    // Act & Assess
    expect(() => other.synth()).toThrow(/AwsSolutions-SNS3/);
  });
});
