import { type InventoryPart, mergeInventoryParts } from '../src';

const part = (region: string, startedAt: string, extra: Partial<InventoryPart> = {}): InventoryPart => ({
  sweepId: 'sweep-2026-06-01',
  region,
  startedAt,
  finishedAt: startedAt,
  facts: [
    {
      amiId: region === 'eu-west-1' ? 'ami-0000000000000001' : 'ami-0000000000000002',
      inUse: false,
      references: [],
    },
  ],
  untracked: [],
  missing: [],
  unknown: [],
  ...extra,
});

describe('mergeInventoryParts', () => {
  it('is as old as its oldest reading, whatever order the parts come in and whatever offset they were written with', () => {
    const early = part('eu-central-1', '2026-06-01T01:10:00+01:00');
    const late = part('eu-west-1', '2026-06-01T00:40:00Z');

    expect(mergeInventoryParts([late, early]).inventoryAt.toISOString()).toBe('2026-06-01T00:10:00.000Z');
    expect(mergeInventoryParts([early, late]).inventoryAt.toISOString()).toBe('2026-06-01T00:10:00.000Z');
  });

  it('keeps every region’s facts and drift, and names an image unknown in several regions once', () => {
    const why = 'shared with account 444455556666, which has no roleArn to read its usage through';
    const unknown = [{ family: 'golden-al2023', version: '2026.01.01.1', why }];
    const merged = mergeInventoryParts([
      part('eu-west-1', '2026-06-01T00:00:00Z', {
        unknown,
        untracked: [{ region: 'eu-west-1', imageId: 'ami-00000000000000aa', name: 'x' }],
      }),
      part('eu-central-1', '2026-06-01T00:00:00Z', {
        unknown,
        missing: [
          {
            family: 'golden-al2023',
            version: '2026.02.01.1',
            region: 'eu-central-1',
            imageId: 'ami-00000000000000bb',
          },
        ],
      }),
    ]);

    expect(merged.facts.map((f) => f.amiId)).toEqual(['ami-0000000000000001', 'ami-0000000000000002']);
    expect(merged.unknown).toEqual(unknown);
    expect(merged.drift.untracked).toHaveLength(1);
    expect(merged.drift.missing).toHaveLength(1);
  });

  it('refuses to make an inventory of no reading at all', () => {
    expect(() => mergeInventoryParts([])).toThrow(RangeError);
  });
});
