import fc from 'fast-check';
import { INSPECTION_ID_TAG, TEST_INSTANCE_TAG } from '../src/use-cases/inspection';
import { REAP_FALLBACK_MS, REAP_MARGIN_MS, reapTestInstances } from '../src/use-cases/reap-test-instances';
import { createWorld, exampleFamilies, seedImage } from './support/world';

/** Mostly the value a test instance carries, sometimes one of the others: near-misses are common. */
const mostly = <T>(valid: T, ...others: T[]) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(valid) },
    { weight: 1, arbitrary: fc.constantFrom(...others) },
  );

const instanceArb = fc.record({
  managed: mostly<string | undefined>('true', 'TRUE', undefined),
  testTag: mostly(true, false),
  inspectionId: mostly(true, false),
  family: mostly<string | undefined>('golden-al2023', 'gone-family', undefined),
  launchedMinutesAgo: fc.integer({ min: 0, max: 30 * 60 }),
});

// golden-al2023 of the example: scan timeout 45 min, longest test 600 s, plus the margin.
const inspect = exampleFamilies()['golden-al2023']!.inspect;
const GOLDEN_LIMIT_MS =
  inspect.scanTimeoutMinutes * 60_000 +
  Math.max(...inspect.tests.map((t) => t.timeoutSeconds)) * 1000 +
  REAP_MARGIN_MS;

describe('reapTestInstances over any fleet', () => {
  it('terminates exactly the tagged test instances older than any inspection of their family can run', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(instanceArb, { minLength: 1, maxLength: 6 }), async (specs) => {
        // Arrange: launched oldest first, so that at the end each is as old as its spec says.
        const world = await createWorld(['golden-al2023']);
        const image = await seedImage(world);
        const oldest = Math.max(...specs.map((s) => s.launchedMinutesAgo));
        const launched: { id: string; spec: (typeof specs)[number] }[] = [];
        let elapsed = 0;
        for (const spec of [...specs].sort((a, b) => b.launchedMinutesAgo - a.launchedMinutesAgo)) {
          world.cloud.advance((oldest - spec.launchedMinutesAgo - elapsed) * 60);
          elapsed = oldest - spec.launchedMinutesAgo;
          const tags: Record<string, string> = {};
          if (spec.managed !== undefined) tags['ami-lifecycle:managed'] = spec.managed;
          if (spec.testTag) tags[TEST_INSTANCE_TAG] = `${spec.family ?? 'x'}@1`;
          if (spec.inspectionId) tags[INSPECTION_ID_TAG] = `inspect-${launched.length}`;
          if (spec.family !== undefined) tags['ami-lifecycle:family'] = spec.family;
          const { instanceId } = await world.cloud.compute.launchInstance({
            imageId: image.amiIds['eu-west-1']!,
            instanceType: 't3.micro',
            instanceProfile: 'test',
            tags,
            rootVolume: { sizeGiB: 8, encrypted: true },
          });
          launched.push({ id: instanceId, spec });
        }
        world.cloud.advance((oldest - elapsed) * 60);

        // Act
        const result = await reapTestInstances(world.deps);

        // Assert
        const limitOf = (family: string) => (family === 'golden-al2023' ? GOLDEN_LIMIT_MS : REAP_FALLBACK_MS);
        const due = launched.filter(
          ({ spec }) =>
            spec.managed === 'true' &&
            spec.testTag &&
            spec.inspectionId &&
            spec.family !== undefined &&
            spec.launchedMinutesAgo * 60_000 > limitOf(spec.family),
        );
        expect(result.terminated.map((t) => t.instanceId).sort()).toEqual(due.map((d) => d.id).sort());
      }),
      { numRuns: 300 },
    );
  });
});
