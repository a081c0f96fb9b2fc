import { describe, expect, it } from 'vitest';
import { EmfMetrics } from '../../functions/adapters/emf.ts';

describe('EMF metrics', () => {
  it('writes one line CloudWatch reads as metrics of the portfolio, with units', () => {
    const lines: string[] = [];
    new EmfMetrics((l) => lines.push(l)).emit('main', {
      Equity: 1000.5,
      TransfersFailed: 1,
      CycleDuration: 120,
    });
    expect(lines).toHaveLength(1);
    const doc = JSON.parse(lines[0] ?? '{}');
    expect(doc._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'Botfolio',
        Dimensions: [['Portfolio']],
        Metrics: [
          { Name: 'Equity', Unit: 'None' },
          { Name: 'TransfersFailed', Unit: 'Count' },
          { Name: 'CycleDuration', Unit: 'Milliseconds' },
        ],
      },
    ]);
    expect(doc).toMatchObject({
      Portfolio: 'main',
      Equity: 1000.5,
      TransfersFailed: 1,
      CycleDuration: 120,
    });
  });

  it('writes nothing when there is no finite value', () => {
    const lines: string[] = [];
    new EmfMetrics((l) => lines.push(l)).emit('main', { DeployedRatio: Number.NaN });
    expect(lines).toEqual([]);
  });
});
