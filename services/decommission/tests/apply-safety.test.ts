import type { Image } from '@ami-lifecycle/core';
import { type ActionResult, applyActions } from '../src';
import { createWorld, GOLDEN, HOME, HOUR_MS, OTHER, SWEEP, type World } from './support/world';

/**
 * A golden family planned a stage further each: v3 (published) to be deprecated, v2 (deprecated) disabled
 * and v1 (disabled) retired; v4, the newest, kept. Then the plan is made, and the test changes the world.
 */
const planned = async () => {
  const world = await createWorld();
  const v1 = await world.addImage(GOLDEN, '2026.01.01.1', { state: 'disabled' });
  const v2 = await world.addImage(GOLDEN, '2026.02.01.1', { state: 'deprecated' });
  const v3 = await world.addImage(GOLDEN, '2026.03.01.1');
  await world.addImage(GOLDEN, '2026.04.01.1');
  const { plan } = await world.plan();
  expect(plan.actions.map((a) => [a.version, a.decision])).toEqual([
    [v3.version, 'deprecate'],
    [v2.version, 'disable'],
    [v1.version, 'retire'],
  ]);
  return { world, v1, v2, v3 };
};

const apply = (world: World) => applyActions({ sweepId: SWEEP, batch: 0 }, world.deps);

const resultOf = (results: ActionResult[], image: Image) => results.find((r) => r.version === image.version);

/** The image as the plan saw it: same state and state version in the catalog, no change in EC2, no event. */
const expectUntouched = async (world: World, image: Image) => {
  expect(await world.image(image.family, image.version)).toEqual(image);
  for (const [region, amiId] of Object.entries(image.amiIds)) {
    const changed = world
      .region(region)
      .images.changes()
      .filter((c) => c.imageId === amiId);
    expect(changed).toEqual([]);
    expect(world.region(region).inventory.image(amiId)?.state).not.toBe('deregistered');
  }
  const events = world.events.published().map((e) => e.detail as { version?: string });
  expect(events.filter((d) => d.version === image.version)).toEqual([]);
};

describe('applyActions checks every action again before acting', () => {
  it('skips an image held since the plan was made, and acts on the others', async () => {
    // Arrange
    const { world, v1, v2, v3 } = await planned();
    await world.hold('hold-1', GOLDEN, v3.version);

    // Act
    const { results } = await apply(world);

    // Assert
    expect(resultOf(results, v3)).toEqual({
      family: GOLDEN,
      version: v3.version,
      decision: 'deprecate',
      outcome: 'skipped',
      reason: 'held since the plan was made (hold-1: litigation LIT-42)',
    });
    await expectUntouched(world, v3);
    expect(resultOf(results, v2)?.outcome).toBe('done');
    expect(resultOf(results, v1)?.outcome).toBe('done');
  });

  it('skips every image of a family held since the plan was made', async () => {
    // Arrange
    const { world, v1, v2, v3 } = await planned();
    await world.hold('hold-f', GOLDEN);

    // Act
    const { results } = await apply(world);

    // Assert
    expect(results.map((r) => [r.outcome, r.reason])).toEqual(
      Array(3).fill(['skipped', 'held since the plan was made (hold-f: litigation LIT-42)']),
    );
    for (const image of [v1, v2, v3]) await expectUntouched(world, image);
    expect(world.events.published()).toEqual([]);
  });

  it('is not stopped by a hold that has expired by the time it acts', async () => {
    // Arrange: holds on the image and on its family, each placed after the plan for an hour.
    const { world, v3 } = await planned();
    const expiresAt = new Date(world.clock.now().getTime() + HOUR_MS).toISOString();
    await world.hold('hold-1', GOLDEN, v3.version, { expiresAt });
    await world.hold('hold-f', GOLDEN, undefined, { expiresAt });
    world.clock.advance(2 * HOUR_MS);

    // Act
    const { results } = await apply(world);

    // Assert
    expect(results.map((r) => r.outcome)).toEqual(['done', 'done', 'done']);
    expect((await world.image(GOLDEN, v3.version)).state).toBe('deprecated');
  });

  it('skips an image a channel was moved onto since the plan was made', async () => {
    // Arrange
    const { world, v1, v2, v3 } = await planned();
    await world.catalog.setChannel(GOLDEN, 'stable', v3.version, {
      expectedRevision: null,
      at: world.clock.now().toISOString(),
      audit: { actor: 'operator', reason: 'pin stable', correlationId: 'corr-pin' },
    });

    // Act
    const { results } = await apply(world);

    // Assert
    expect(resultOf(results, v3)).toMatchObject({
      outcome: 'skipped',
      reason: 'channel stable points to it now',
    });
    await expectUntouched(world, v3);
    expect(resultOf(results, v2)?.outcome).toBe('done');
    expect(resultOf(results, v1)?.outcome).toBe('done');
  });

  it('skips disabling or retiring an image launched since the plan was made, in any region; deprecating goes ahead', async () => {
    // Arrange: v2 launched in the second region, v1 and v3 in the home region.
    const { world, v1, v2, v3 } = await planned();
    const other = world.region(OTHER).inventory;
    const home = world.region(HOME).inventory;
    const i2 = other.launchInstance(v2.amiIds[OTHER]!);
    const i1 = home.launchInstance(v1.amiIds[HOME]!);
    home.launchInstance(v3.amiIds[HOME]!);

    // Act
    const { results } = await apply(world);

    // Assert
    expect(resultOf(results, v2)).toMatchObject({
      decision: 'disable',
      outcome: 'skipped',
      reason: `${v2.amiIds[OTHER]} is in use now by ${other.instanceArn(i2)}`,
    });
    expect(resultOf(results, v1)).toMatchObject({
      decision: 'retire',
      outcome: 'skipped',
      reason: `${v1.amiIds[HOME]} is in use now by ${home.instanceArn(i1)}`,
    });
    await expectUntouched(world, v2);
    await expectUntouched(world, v1);
    expect(resultOf(results, v3)).toMatchObject({ decision: 'deprecate', outcome: 'done' });
    expect((await world.image(GOLDEN, v3.version)).state).toBe('deprecated');
  });

  it('does not retire or disable an image a child build started on since the plan; deprecating goes ahead', async () => {
    // Arrange: after the plan, payments-api builds on v1 (to retire) and on v3 (to deprecate).
    const { world, v1, v2, v3 } = await planned();
    await world.addImage('payments-api', '9.0.0', { state: 'building', parent: v1 });
    await world.addImage('payments-api', '9.0.1', { state: 'inspecting', parent: v3 });

    // Act
    const { results } = await apply(world);

    // Assert
    expect(resultOf(results, v1)).toMatchObject({
      outcome: 'skipped',
      reason: 'payments-api@9.0.0 is being built on it now',
    });
    await expectUntouched(world, v1);
    expect(resultOf(results, v2)?.outcome).toBe('done');
    expect(resultOf(results, v3)?.outcome).toBe('done');
  });

  it('skips an image whose state moved on since the plan was made', async () => {
    // Arrange: v3 was taken through two stages by hand (another sweep's batch, say) after the plan.
    const { world, v3 } = await planned();
    const audit = { actor: 'operator', reason: 'by hand', correlationId: 'corr-hand' };
    const at = world.clock.now().toISOString();
    const deprecated = await world.catalog.transitionImage({
      family: GOLDEN,
      version: v3.version,
      from: 'published',
      to: 'deprecated',
      expectedStateVersion: v3.stateVersion,
      at,
      audit,
    });
    const disabled = await world.catalog.transitionImage({
      family: GOLDEN,
      version: v3.version,
      from: 'deprecated',
      to: 'disabled',
      expectedStateVersion: deprecated.stateVersion,
      at,
      audit,
    });

    // Act
    const { results } = await apply(world);

    // Assert
    expect(resultOf(results, v3)).toMatchObject({
      decision: 'deprecate',
      outcome: 'skipped',
      reason: 'it is disabled now, not published as planned',
    });
    await expectUntouched(world, disabled);
  });

  it('does not disable an image that an account it is shared with launched after the plan', async () => {
    // Arrange: v1 (deprecated) is planned to be disabled; then the workloads account launches it.
    const world = await createWorld();
    const v1 = await world.addImage(GOLDEN, '2026.01.01.1', { state: 'deprecated' });
    await world.addImage(GOLDEN, '2026.02.01.1');
    await world.plan();
    world.region(HOME).shared.launchInstance(v1.amiIds[HOME]!);

    // Act
    const { results } = await apply(world);

    // Assert
    expect(results[0]).toMatchObject({
      decision: 'disable',
      outcome: 'skipped',
      reason: expect.stringContaining(':222222222222:instance/'),
    });
    expect(world.region(HOME).inventory.image(v1.amiIds[HOME]!)?.state).toBe('available');
  });
});

describe('applyActions reads the sharing accounts’ launch templates once per batch', () => {
  it('does not retire an image a shared account’s older launch template version names since the plan', async () => {
    // Arrange: v1 (disabled) is planned for retirement; then the workloads account adds a template whose
    // version 1 (not the default) names it.
    const { world, v1, v2 } = await planned();
    world
      .region(OTHER)
      .shared.addLaunchTemplate({ versions: [v1.amiIds[OTHER], undefined], defaultVersion: 2 });

    // Act
    const { results } = await apply(world);

    // Assert
    expect(resultOf(results, v1)).toMatchObject({
      outcome: 'skipped',
      reason: expect.stringContaining(':222222222222:launch-template/'),
    });
    await expectUntouched(world, v1);
    expect(resultOf(results, v2)?.outcome).toBe('done');
  });

  it('asks each account and region for its template versions once for the whole batch, not once per image', async () => {
    // Arrange: two images to disable or retire in a family shared with the workloads account in both regions.
    const { world } = await planned();
    const asked = [HOME, OTHER].map((r) => jest.spyOn(world.region(r).shared, 'findLaunchTemplateVersions'));

    // Act
    await apply(world);

    // Assert: one call per region (the workloads account reads both), naming both images' AMIs there.
    expect(asked.map((spy) => spy.mock.calls.length)).toEqual([1, 1]);
    expect(asked.map((spy) => spy.mock.calls[0]![0]!.length)).toEqual([2, 2]);
  });
});

describe('applyActions asks who the image is shared with now', () => {
  it('does not disable or retire an image whose family is now shared with an OU it cannot see into; deprecating goes ahead', async () => {
    // Arrange: after the plan, the family is shared with an organizational unit too.
    const { world, v1, v2, v3 } = await planned();
    const stored = (await world.catalog.getFamilyConfig(GOLDEN))!;
    const config = stored.config as { publish: { sharing: { organizationalUnits: string[] } } };
    config.publish.sharing.organizationalUnits = [
      'arn:aws:organizations::111111111111:ou/o-abc123defg/ou-ab12-34cd56ef',
    ];
    await world.catalog.putFamilyConfig(GOLDEN, config, {
      expectedCurrent: stored.version,
      at: world.clock.now().toISOString(),
      by: 'test',
    });

    // Act
    const { results } = await apply(world);

    // Assert
    for (const image of [v1, v2]) {
      expect(resultOf(results, image)).toMatchObject({
        outcome: 'skipped',
        reason: expect.stringContaining(
          'usage can no longer all be seen: shared with arn:aws:organizations::111111111111:ou/o-abc123defg/ou-ab12-34cd56ef',
        ),
      });
      await expectUntouched(world, image);
    }
    expect(resultOf(results, v3)?.outcome).toBe('done');
  });

  it('fails, rather than guesses, when the family config cannot be read', async () => {
    const { world, v1 } = await planned();
    jest
      .spyOn(world.catalog, 'getFamilyConfig')
      .mockRejectedValue(new Error('ProvisionedThroughputExceededException'));

    const { results } = await apply(world);

    expect(resultOf(results, v1)).toMatchObject({
      outcome: 'failed',
      reason: expect.stringContaining('Provisioned'),
    });
    await expectUntouched(world, v1);
  });
});
