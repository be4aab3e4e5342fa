import { createMemoryCloud } from '@ami-lifecycle/aws/memory';
import { InMemoryCatalog } from '@ami-lifecycle/catalog';
import type { Image, LifecycleState } from '@ami-lifecycle/core';
import fc from 'fast-check';
import { reconcileBuilds } from '../src';
import { BUILD_ID_TAG } from '../src/use-cases/builders';
import type { ReconcileOptions } from '../src/use-cases/reconcile';

const OPTIONS: ReconcileOptions = {
  buildTimeoutMs: 6 * 3_600_000,
  orphanGraceMs: 30 * 60_000,
  republishAfterMs: 30 * 60_000,
};
const START = '2026-03-01T00:00:00.000Z';
const STATES: LifecycleState[] = [
  'building',
  'built',
  'inspecting',
  'approved',
  'published',
  'failed',
  'rejected',
];

/** Mostly the attributable value, sometimes one of the others: so that near-misses are common. */
const mostly = <T>(valid: T, ...others: T[]) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(valid) },
    { weight: 1, arbitrary: fc.constantFrom(...others) },
  );

/** One instance the reconciler may meet: how it was tagged and launched, relative to one catalog image. */
const instanceArb = fc.record({
  managed: mostly<string | undefined>('true', 'TRUE', undefined),
  buildId: mostly<string | undefined>('own', 'other', undefined),
  family: mostly<string | undefined>('golden-al2023', 'unknown-family', undefined),
  version: mostly<string | undefined>('2026.03.01.1', '9.9.9', undefined),
  fromSource: mostly(true, false),
  launchedMinutesAgo: fc.integer({ min: 0, max: 600 }),
});

describe('reconcileBuilds never terminates what it cannot attribute', () => {
  it('terminates only builders of a build that is over, launched from its source AMI, past the grace', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...STATES),
        fc.array(instanceArb, { minLength: 1, maxLength: 6 }),
        async (state, specs) => {
          // Arrange: one catalog image (any state, no AMI so nothing else is repaired) and the instances.
          const cloud = createMemoryCloud({ start: START });
          const catalog = new InMemoryCatalog();
          const sourceAmiId = cloud.images.addImage({ name: 'source', tags: {} });
          const otherAmiId = cloud.images.addImage({ name: 'other', tags: {} });
          const image: Image = {
            family: 'golden-al2023',
            version: '2026.03.01.1',
            state,
            stateVersion: 0,
            amiIds: {},
            snapshotIds: [],
            sourceAmiId,
            buildId: 'own',
            buildKey: 'key',
            vulnerable: false,
            managed: true,
            createdAt: START,
            stateChangedAt: START,
          };
          await catalog.createImage(image, { actor: 'test', reason: 'seed', correlationId: 'c' });
          // Launched oldest first on the fake's clock, so that at the end each is as old as its spec says.
          const launched: { id: string; spec: (typeof specs)[number] }[] = [];
          const oldest = Math.max(...specs.map((s) => s.launchedMinutesAgo));
          let elapsed = 0;
          for (const spec of [...specs].sort((a, b) => b.launchedMinutesAgo - a.launchedMinutesAgo)) {
            cloud.advance((oldest - spec.launchedMinutesAgo - elapsed) * 60);
            elapsed = oldest - spec.launchedMinutesAgo;
            const tags: Record<string, string> = {};
            if (spec.managed !== undefined) tags['ami-lifecycle:managed'] = spec.managed;
            if (spec.buildId !== undefined) tags[BUILD_ID_TAG] = spec.buildId;
            if (spec.family !== undefined) tags['ami-lifecycle:family'] = spec.family;
            if (spec.version !== undefined) tags['ami-lifecycle:version'] = spec.version;
            const { instanceId } = await cloud.compute.launchInstance({
              imageId: spec.fromSource ? sourceAmiId : otherAmiId,
              instanceType: 't3.micro',
              instanceProfile: 'builder',
              tags,
              rootVolume: { sizeGiB: 8, encrypted: true },
            });
            launched.push({ id: instanceId, spec });
          }
          cloud.advance((oldest - elapsed) * 60);

          // Act
          const result = await reconcileBuilds(
            {
              catalog,
              compute: cloud.compute,
              images: cloud.images,
              events: cloud.events,
              clock: cloud.clock,
              region: 'eu-west-1',
            },
            OPTIONS,
          );

          // Assert: an attributable builder of a build that is over, past the grace, is terminated...
          const attributable = (spec: (typeof specs)[number]) =>
            spec.managed === 'true' &&
            spec.buildId === 'own' &&
            spec.family === 'golden-al2023' &&
            spec.version === '2026.03.01.1' &&
            spec.fromSource;
          if (state !== 'building') {
            const due = launched.filter(
              (l) => attributable(l.spec) && l.spec.launchedMinutesAgo * 60_000 >= OPTIONS.orphanGraceMs,
            );
            expect([...result.terminated].sort()).toEqual(due.map((l) => l.id).sort());
          }
          // A build still within its timeout keeps every instance, its own builder first of all.
          if (state === 'building' && oldest * 60_000 < OPTIONS.buildTimeoutMs)
            expect(result.terminated).toEqual([]);
          // ...and every termination is of an attributable builder.
          for (const id of result.terminated) {
            const { spec } = launched.find((l) => l.id === id)!;
            expect(spec).toMatchObject({
              managed: 'true',
              buildId: 'own',
              family: 'golden-al2023',
              version: '2026.03.01.1',
              fromSource: true,
            });
            // A builder of a build that is over waits out the grace; one of an abandoned build goes with it.
            if (state !== 'building')
              expect(spec.launchedMinutesAgo * 60_000).toBeGreaterThanOrEqual(OPTIONS.orphanGraceMs);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
