import { buildLineage, descendantFamilies, isBuiltOnOutdatedParent } from '@ami-lifecycle/core';
import fc from 'fast-check';

/**
 * Two golden lines and the applications built on them:
 *
 *   golden-al2023@2026.01.05.1 ─┬─ payments-api@1.0.0 ── payments-worker@3.2.0
 *                               └─ web@2.0.0
 *   golden-al2023@2026.02.02.1 ─── payments-api@1.1.0
 *   golden-ubuntu@2026.01.10.1 ─── reports@1.0.0          (the ubuntu golden itself is not in the set)
 */
const images = [
  { family: 'golden-al2023', version: '2026.01.05.1' },
  { family: 'golden-al2023', version: '2026.02.02.1' },
  { family: 'payments-api', version: '1.0.0', parent: { family: 'golden-al2023', version: '2026.01.05.1' } },
  { family: 'payments-api', version: '1.1.0', parent: { family: 'golden-al2023', version: '2026.02.02.1' } },
  { family: 'payments-worker', version: '3.2.0', parent: { family: 'payments-api', version: '1.0.0' } },
  { family: 'web', version: '2.0.0', parent: { family: 'golden-al2023', version: '2026.01.05.1' } },
  { family: 'reports', version: '1.0.0', parent: { family: 'golden-ubuntu', version: '2026.01.10.1' } },
];

describe('buildLineage', () => {
  const lineage = buildLineage(images);

  it('knows the parent of an application image', () => {
    expect(lineage.parentOf('payments-worker@3.2.0')).toBe('payments-api@1.0.0');
    expect(lineage.parentOf('payments-api@1.1.0')).toBe('golden-al2023@2026.02.02.1');
  });

  it('gives a golden image no parent', () => {
    expect(lineage.parentOf('golden-al2023@2026.01.05.1')).toBeUndefined();
  });

  it('lists the children of an image in the order they were given', () => {
    expect(lineage.childrenOf('golden-al2023@2026.01.05.1')).toEqual(['payments-api@1.0.0', 'web@2.0.0']);
    expect(lineage.childrenOf('golden-al2023@2026.02.02.1')).toEqual(['payments-api@1.1.0']);
  });

  it('gives a leaf image no children', () => {
    expect(lineage.childrenOf('web@2.0.0')).toEqual([]);
  });

  it('keeps a link to a parent outside the set', () => {
    expect(lineage.parentOf('reports@1.0.0')).toBe('golden-ubuntu@2026.01.10.1');
    expect(lineage.childrenOf('golden-ubuntu@2026.01.10.1')).toEqual(['reports@1.0.0']);
  });

  it('lists ancestors nearest first', () => {
    expect(lineage.ancestors('payments-worker@3.2.0')).toEqual([
      'payments-api@1.0.0',
      'golden-al2023@2026.01.05.1',
    ]);
  });

  it('gives a golden image no ancestors', () => {
    expect(lineage.ancestors('golden-al2023@2026.02.02.1')).toEqual([]);
  });

  it('lists descendants breadth first, across families', () => {
    expect(lineage.descendants('golden-al2023@2026.01.05.1')).toEqual([
      'payments-api@1.0.0',
      'web@2.0.0',
      'payments-worker@3.2.0',
    ]);
  });

  it('does not mix the descendants of two versions of one golden family', () => {
    expect(lineage.descendants('golden-al2023@2026.02.02.1')).toEqual(['payments-api@1.1.0']);
  });

  it('answers for an unknown image with nothing, not an error', () => {
    expect(lineage.parentOf('nope@1.0.0')).toBeUndefined();
    expect(lineage.childrenOf('nope@1.0.0')).toEqual([]);
    expect(lineage.ancestors('nope@1.0.0')).toEqual([]);
    expect(lineage.descendants('nope@1.0.0')).toEqual([]);
  });

  it('stops listing ancestors when corrupt data links images in a cycle', () => {
    // Arrange: a@1 -> b@1 -> c@1 -> a@1
    const corrupt = buildLineage([
      { family: 'a', version: '1', parent: { family: 'b', version: '1' } },
      { family: 'b', version: '1', parent: { family: 'c', version: '1' } },
      { family: 'c', version: '1', parent: { family: 'a', version: '1' } },
    ]);

    // Act
    const ancestors = corrupt.ancestors('a@1');
    const descendants = corrupt.descendants('a@1');

    // Assert
    expect(ancestors).toEqual(['b@1', 'c@1']);
    expect(descendants).toEqual(['c@1', 'b@1']);
  });

  it('stops at once on an image that names itself as its parent', () => {
    // Arrange
    const corrupt = buildLineage([{ family: 'a', version: '1', parent: { family: 'a', version: '1' } }]);

    // Act + Assert
    expect(corrupt.ancestors('a@1')).toEqual([]);
    expect(corrupt.descendants('a@1')).toEqual([]);
  });

  it('stops listing ancestors of an image whose chain runs into a cycle above it', () => {
    // Arrange: leaf@1 -> a@1 -> b@1 -> a@1
    const corrupt = buildLineage([
      { family: 'leaf', version: '1', parent: { family: 'a', version: '1' } },
      { family: 'a', version: '1', parent: { family: 'b', version: '1' } },
      { family: 'b', version: '1', parent: { family: 'a', version: '1' } },
    ]);

    // Act + Assert
    expect(corrupt.ancestors('leaf@1')).toEqual(['a@1', 'b@1']);
  });
});

describe('isBuiltOnOutdatedParent', () => {
  const onJanuaryGolden = { parent: { family: 'golden-al2023', version: '2026.01.05.1' } };

  it('is true when the parent family channel has moved to a newer version', () => {
    expect(
      isBuiltOnOutdatedParent(onJanuaryGolden, { family: 'golden-al2023', version: '2026.02.02.1' }),
    ).toBe(true);
  });

  it('is false when the parent family channel still points at the parent', () => {
    expect(
      isBuiltOnOutdatedParent(onJanuaryGolden, { family: 'golden-al2023', version: '2026.01.05.1' }),
    ).toBe(false);
  });

  it('is false for a golden image, which has no parent', () => {
    expect(isBuiltOnOutdatedParent({}, { family: 'golden-al2023', version: '2026.02.02.1' })).toBe(false);
  });

  it('is false when the parent family has no channel to compare with', () => {
    expect(isBuiltOnOutdatedParent(onJanuaryGolden, undefined)).toBe(false);
  });

  it('is false when the channel given belongs to another family', () => {
    expect(
      isBuiltOnOutdatedParent(onJanuaryGolden, { family: 'golden-ubuntu', version: '2026.02.02.1' }),
    ).toBe(false);
  });
});

describe('descendantFamilies', () => {
  const families = [
    { name: 'golden-al2023' },
    { name: 'web', parent: { family: 'golden-al2023' } },
    { name: 'batch', parent: { family: 'payments-worker' } },
    { name: 'payments-worker', parent: { family: 'payments-api' } },
    { name: 'payments-api', parent: { family: 'golden-al2023' } },
    { name: 'golden-ubuntu' },
    { name: 'reports', parent: { family: 'golden-ubuntu' } },
  ];

  it('lists every family built on a golden family, parents before children, each once, without the root', () => {
    // Act
    const order = descendantFamilies(families, 'golden-al2023');

    // Assert
    expect(order).toEqual(['payments-api', 'web', 'payments-worker', 'batch']);
  });

  it('gives the same order whatever order the config lists the families in', () => {
    // Arrange
    const reversed = [...families].reverse();

    // Act + Assert
    expect(descendantFamilies(reversed, 'golden-al2023')).toEqual(
      descendantFamilies(families, 'golden-al2023'),
    );
  });

  it('starts from an application family too', () => {
    expect(descendantFamilies(families, 'payments-api')).toEqual(['payments-worker', 'batch']);
  });

  it('gives nothing for a leaf family or an unknown one', () => {
    expect(descendantFamilies(families, 'batch')).toEqual([]);
    expect(descendantFamilies(families, 'no-such-family')).toEqual([]);
  });

  it('lists a family once even if the config lists it twice', () => {
    // Arrange
    const duplicated = [...families, { name: 'web', parent: { family: 'golden-al2023' } }];

    // Act + Assert
    expect(descendantFamilies(duplicated, 'golden-al2023')).toEqual([
      'payments-api',
      'web',
      'payments-worker',
      'batch',
    ]);
  });

  it('terminates on a cycle in a config that escaped validation, never listing the root', () => {
    // Arrange
    const cyclic = [
      { name: 'a', parent: { family: 'b' } },
      { name: 'b', parent: { family: 'a' } },
    ];

    // Act + Assert
    expect(descendantFamilies(cyclic, 'a')).toEqual(['b']);
  });

  it('lists exactly the descendants, each once, parents before children, for any forest of families', () => {
    // Arrange: family i may only name a parent j < i, so every generated config is a forest
    const forestArb = fc
      .integer({ min: 1, max: 25 })
      .chain((n) =>
        fc.tuple(
          fc.tuple(
            ...Array.from({ length: n }, (_, i) =>
              fc.option(fc.nat({ max: Math.max(0, i - 1) }), { nil: undefined }),
            ),
          ),
          fc.shuffledSubarray(
            Array.from({ length: 26 }, (_, i) => `f${String.fromCharCode(97 + i)}`),
            { minLength: n, maxLength: n },
          ),
          fc.nat({ max: n - 1 }),
        ),
      )
      .map(([parents, names, root]) => ({
        families: parents.map((p, i) => ({
          name: names[i]!,
          parent: p === undefined || i === 0 ? undefined : { family: names[p]! },
        })),
        root: names[root]!,
      }));

    fc.assert(
      fc.property(forestArb, ({ families: forest, root }) => {
        // Act
        const order = descendantFamilies(forest, root);

        // Assert
        const parentOf = new Map(forest.map((f) => [f.name, f.parent?.family]));
        const descendsFromRoot = (name: string): boolean => {
          for (let p = parentOf.get(name); p !== undefined; p = parentOf.get(p)) if (p === root) return true;
          return false;
        };
        const expected = forest.map((f) => f.name).filter(descendsFromRoot);
        expect([...order].sort()).toEqual(expected.sort());
        expect(new Set(order).size).toBe(order.length);
        expect(order).not.toContain(root);
        order.forEach((name, i) => {
          const parent = parentOf.get(name)!;
          if (parent !== root) expect(order.indexOf(parent)).toBeLessThan(i);
        });
      }),
      { numRuns: 1_000 },
    );
  });
});
