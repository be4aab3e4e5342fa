import { managedTags } from '@ami-lifecycle/core';
import { testInstanceTags } from '../src/use-cases/inspection';
import { reapTestInstances } from '../src/use-cases/reap-test-instances';
import { createWorld, requestFor, seedImage, type World } from './support/world';

const launch = (world: World, imageId: string, tags: Record<string, string>) =>
  world.cloud.compute.launchInstance({
    imageId,
    instanceType: 't3.micro',
    instanceProfile: 'ami-lifecycle-test',
    tags,
    rootVolume: { sizeGiB: 8, encrypted: true },
  });

const isGone = (world: World, instanceId: string): boolean =>
  ['shutting-down', 'terminated'].includes(world.cloud.compute.instance(instanceId)?.state ?? 'terminated');

// golden-al2023 of the example: scan timeout 45 min, longest test 600 s (the default), one-hour margin.
const GOLDEN_LIMIT_MINUTES = 45 + 10 + 60;

describe('reapTestInstances', () => {
  it('leaves a test instance alone while an inspection could still own it, and terminates it after', async () => {
    const world = await createWorld(['golden-al2023']);
    const image = await seedImage(world);
    const { instanceId } = await launch(
      world,
      image.amiIds['eu-west-1']!,
      testInstanceTags(requestFor(image)),
    );

    world.cloud.advance((GOLDEN_LIMIT_MINUTES - 1) * 60);
    expect((await reapTestInstances(world.deps)).terminated).toEqual([]);
    expect(isGone(world, instanceId)).toBe(false);

    world.cloud.advance(2 * 60);
    const result = await reapTestInstances(world.deps);

    expect(result.terminated).toEqual([
      { instanceId, image: `golden-al2023@${image.version}`, ageMinutes: GOLDEN_LIMIT_MINUTES + 1 },
    ]);
    expect(isGone(world, instanceId)).toBe(true);
  });

  it('never touches a builder, an unmanaged instance or one without an inspection id, however old', async () => {
    const world = await createWorld(['golden-al2023']);
    const image = await seedImage(world);
    const ami = image.amiIds['eu-west-1']!;
    const tags = testInstanceTags(requestFor(image));
    const builder = await launch(
      world,
      ami,
      managedTags({ family: image.family, version: image.version, buildId: 'b-1' }),
    );
    const unmanaged = await launch(world, ami, { ...tags, 'ami-lifecycle:managed': 'TRUE' });
    const { 'ami-lifecycle:inspection-id': _, ...withoutInspection } = tags;
    const noInspection = await launch(world, ami, withoutInspection);

    world.cloud.advance(3 * 24 * 3600);
    const result = await reapTestInstances(world.deps);

    expect(result.terminated).toEqual([]);
    for (const i of [builder, unmanaged, noInspection]) expect(isGone(world, i.instanceId)).toBe(false);
  });

  it('waits longer than any allowed inspection when the family config is gone', async () => {
    const world = await createWorld([]);
    const image = await seedImage(world);
    const { instanceId } = await launch(
      world,
      image.amiIds['eu-west-1']!,
      testInstanceTags(requestFor(image)),
    );

    world.cloud.advance(25 * 3600);
    expect((await reapTestInstances(world.deps)).terminated).toEqual([]);
    world.cloud.advance(2 * 3600);

    expect((await reapTestInstances(world.deps)).terminated.map((t) => t.instanceId)).toEqual([instanceId]);
  });
});
