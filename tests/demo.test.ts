import { imageKey } from '@ami-lifecycle/core';
import { runDemo } from '../scripts/demo';
import { dynamoDbEndpoint } from './support/dynamodb-local-env';

describe('npm start demo', () => {
  it('stores the example policy, writes the history through the catalog and plans two sweeps from it', async () => {
    const lines: string[] = [];
    const result = await runDemo({
      dynamoDbEndpoint: dynamoDbEndpoint(),
      tableName: `demo-${Date.now()}`,
      log: (l) => lines.push(l),
    });

    const { first, second, images } = result;
    expect(Object.keys(result.policy.families).sort()).toEqual([
      'golden-al2023',
      'golden-ubuntu',
      'orders-worker',
      'payments-api',
    ]);
    expect(first.decisions).toHaveLength(images.filter((i) => i.state !== 'retired').length);
    expect(first.guard.status).toBe('ok');
    expect(first.summary.retire).toBeGreaterThan(0);

    const byKey = new Map(first.decisions.map((d) => [imageKey(d), d]));
    const held = first.decisions.find((d) => d.reasons.some((r) => r.code === 'held'));
    expect(held?.decision).toBe('keep');
    const parentKept = first.decisions.filter((d) => d.reasons[0]?.code === 'parent-of-kept');
    expect(parentKept.length).toBeGreaterThan(0);
    for (const i of images) {
      if (!i.parent) continue;
      const child = byKey.get(imageKey(i));
      if (child && child.decision !== 'retire')
        expect(byKey.get(imageKey(i.parent))?.decision ?? 'keep').toBe('keep');
    }
    expect(second.previousSweepId).toBe(first.sweepId);
    expect(second.diff.changed.length).toBeGreaterThan(0);
    expect(lines.some((l) => l.startsWith('Plans stored in the catalog: sweep-demo-2, sweep-demo-1'))).toBe(
      true,
    );
    // A few hundred transactions against DynamoDB Local.
  }, 120_000);
});
