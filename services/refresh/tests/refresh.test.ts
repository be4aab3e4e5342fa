import { buildIdFor, type FamilyConfig, type RefreshDecision } from '@ami-lifecycle/core';
import {
  applyDecisions,
  loadFamilies,
  onImagePublished,
  onImageVulnerable,
  planParentPublished,
  publishedTriggerKey,
  RefreshApplyError,
  refreshDaily,
  requestKeyFor,
  TriggerMismatchError,
} from '../src';
import { createWorld, exampleFamilies, HOME, START } from './support/world';

const GOLDEN = 'golden-al2023';

describe('refresh on Image Published', () => {
  it('rebuilds each family on the channels the golden image was published on, on exactly that image', async () => {
    // Arrange
    const world = await createWorld();
    const golden = await world.image(GOLDEN, '2026.03.01.1', { channels: ['latest', 'stable'] });

    // Act
    const result = await onImagePublished(world.published(golden, ['latest', 'stable']), world.deps);

    // Assert
    expect(world.requests()).toEqual([
      {
        family: 'orders-worker',
        reason: 'parent-published',
        idempotencyKey: `refresh:orders-worker:parent-published:${GOLDEN}@2026.03.01.1`,
        parent: `${GOLDEN}@2026.03.01.1`,
        force: false,
      },
      {
        family: 'payments-api',
        reason: 'parent-published',
        idempotencyKey: `refresh:payments-api:parent-published:${GOLDEN}@2026.03.01.1`,
        parent: `${GOLDEN}@2026.03.01.1`,
        force: false,
      },
    ]);
    const [request] = world.events.published('Build Requested');
    expect(request?.detail.parent).toEqual({
      family: GOLDEN,
      version: '2026.03.01.1',
      imageId: golden.amiIds[HOME],
    });
    expect(result.decisions.map((d) => [d.decision.family, d.decision.outcome, d.written])).toEqual([
      ['orders-worker', 'requested', true],
      ['payments-api', 'requested', true],
    ]);
    const audited = await world.catalog.listRefreshDecisions('payments-api');
    expect(audited.items).toEqual([
      expect.objectContaining({
        triggerKey: `parent-published:${GOLDEN}@2026.03.01.1`,
        outcome: 'requested',
        reason: expect.stringContaining('published on stable'),
      }),
    ]);
  });

  it('considers only the families that build on a channel the event names', async () => {
    // Arrange: stable is rolled back to an image; latest is not moved by it.
    const world = await createWorld();
    const golden = await world.image(GOLDEN, '2026.03.01.1', { channels: ['latest', 'stable'] });
    const rollbackKey = `channel-moved:${GOLDEN}/stable@3`;

    // Act
    await onImagePublished(world.published(golden, ['stable'], rollbackKey), world.deps);

    // Assert
    expect(world.requests().map((r) => r.family)).toEqual(['payments-api']);
    expect((await world.catalog.listRefreshDecisions('orders-worker')).items).toEqual([]);
    // A rollback is a trigger of its own, apart from the image's first publication.
    expect(world.requests()[0]?.idempotencyKey).toBe(
      `refresh:payments-api:parent-published:${GOLDEN}@2026.03.01.1/${rollbackKey}`,
    );
  });

  it('plans only for the children of the published family on a channel it names', async () => {
    // Arrange: every family's view, not only those the loader picks.
    const world = await createWorld([GOLDEN, 'payments-api', 'orders-worker', 'golden-ubuntu']);
    const golden = await world.image(GOLDEN, '2026.03.01.1', { channels: ['latest', 'stable'] });
    const { views } = await loadFamilies(world.catalog);
    const ctx = {
      region: HOME,
      now: world.clock.now(),
      maxBuildsPerTrigger: 20,
      correlationId: 'c',
      decidedBy: 'test',
    };

    // Act
    const stable = planParentPublished(
      { image: golden, channels: ['stable'], triggerKey: 'parent-published:x' },
      views,
      new Set([GOLDEN]),
      ctx,
    );
    const latest = planParentPublished(
      { image: golden, channels: ['latest'], triggerKey: 'parent-published:x' },
      views,
      new Set([GOLDEN]),
      ctx,
    );

    // Assert
    expect(stable.map((d) => d.family)).toEqual(['payments-api']);
    expect(latest.map((d) => d.family)).toEqual(['orders-worker']);
  });

  it('requests one build per family however often the event is delivered', async () => {
    // Arrange
    const world = await createWorld();
    const golden = await world.image(GOLDEN, '2026.03.01.1', { channels: ['latest', 'stable'] });
    const event = world.published(golden, ['latest', 'stable']);

    // Act
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await onImagePublished(event, world.deps));

    // Assert: one decision each, written once; every copy of the request is the same bytes.
    expect(runs.map((r) => r.decisions.map((d) => d.written))).toEqual([
      [true, true],
      [false, false],
      [false, false],
    ]);
    const details = world.events.published('Build Requested').map((e) => JSON.stringify(e.detail));
    expect(new Set(details).size).toBe(2);
  });

  it('stops asking once the build of its request has started', async () => {
    // Arrange: the first delivery's request became a build (its image carries the build id).
    const world = await createWorld(['golden-al2023', 'payments-api']);
    const golden = await world.image(GOLDEN, '2026.03.01.1', { channels: ['latest', 'stable'] });
    const event = world.published(golden, ['latest', 'stable']);
    await onImagePublished(event, world.deps);
    await world.image('payments-api', '1.0.0', {
      state: 'building',
      parent: golden,
      buildId: buildIdFor(
        'payments-api',
        requestKeyFor('payments-api', `parent-published:${GOLDEN}@2026.03.01.1`),
      ),
    });

    // Act
    const again = await onImagePublished(event, world.deps);

    // Assert
    expect(again.decisions.map((d) => d.emitted)).toEqual([false]);
    expect(world.requests()).toHaveLength(1);
  });

  it('asks again after a crash between recording the decision and emitting the request', async () => {
    // Arrange: the bus refuses the first request, so the delivery fails after the decision was written.
    const world = await createWorld(['golden-al2023', 'payments-api']);
    const golden = await world.image(GOLDEN, '2026.03.01.1', { channels: ['latest', 'stable'] });
    const event = world.published(golden, ['latest', 'stable']);
    world.events.failNext();
    await expect(onImagePublished(event, world.deps)).rejects.toThrow('refused');

    // Act: EventBridge retries the delivery.
    const retried = await onImagePublished(event, world.deps);

    // Assert
    expect(retried.decisions).toEqual([expect.objectContaining({ written: false, emitted: true })]);
    expect(world.requests().map((r) => r.family)).toEqual(['payments-api']);
  });

  it('rebuilds on each golden version once when two are published close together', async () => {
    // Arrange: v2 was published while the children of v1 were not yet built.
    const world = await createWorld();
    const v1 = await world.image(GOLDEN, '2026.03.01.1', { channels: ['latest', 'stable'] });
    world.clock.advance(3600_000);
    const v2 = await world.image(GOLDEN, '2026.03.01.2', { channels: ['latest', 'stable'] });
    const first = world.published(v1, ['latest', 'stable']);
    const second = world.published(v2, ['latest', 'stable']);

    // Act: out of order and redelivered.
    for (const event of [second, first, second, first]) await onImagePublished(event, world.deps);

    // Assert
    const distinct = new Set(
      world.requests().map((r) => `${r.family} on ${r.parent} as ${r.idempotencyKey}`),
    );
    expect([...distinct].sort()).toEqual([
      `orders-worker on ${GOLDEN}@2026.03.01.1 as refresh:orders-worker:parent-published:${GOLDEN}@2026.03.01.1`,
      `orders-worker on ${GOLDEN}@2026.03.01.2 as refresh:orders-worker:parent-published:${GOLDEN}@2026.03.01.2`,
      `payments-api on ${GOLDEN}@2026.03.01.1 as refresh:payments-api:parent-published:${GOLDEN}@2026.03.01.1`,
      `payments-api on ${GOLDEN}@2026.03.01.2 as refresh:payments-api:parent-published:${GOLDEN}@2026.03.01.2`,
    ]);
  });

  it('says why a family with onParentPublish off is not rebuilt', async () => {
    // Arrange
    const families = exampleFamilies();
    const off = {
      ...families['payments-api']!,
      refresh: { ...families['payments-api']!.refresh, onParentPublish: false },
    } as FamilyConfig;
    const world = await createWorld(['golden-al2023', 'payments-api'], { 'payments-api': off });
    const golden = await world.image(GOLDEN, '2026.03.01.1', { channels: ['latest', 'stable'] });

    // Act
    await onImagePublished(world.published(golden, ['stable']), world.deps);

    // Assert
    expect(world.requests()).toEqual([]);
    expect((await world.catalog.listRefreshDecisions('payments-api')).items).toEqual([
      expect.objectContaining({ outcome: 'skipped', skip: 'policy-off' }),
    ]);
  });

  it('skips a family already built from the same inputs, and rebuilds once that image was rejected', async () => {
    // Arrange: payments-api is already published on this golden image with the same config version.
    const world = await createWorld(['golden-al2023', 'payments-api']);
    const golden = await world.image(GOLDEN, '2026.03.01.1', { channels: ['latest', 'stable'] });
    await world.image('payments-api', '1.0.0', { parent: golden, keyed: true, channels: ['stable'] });

    // Act
    await onImagePublished(
      world.published(golden, ['stable'], 'channel-moved:golden-al2023/stable@2'),
      world.deps,
    );

    // Assert
    expect(world.requests()).toEqual([]);
    const [skip] = (await world.catalog.listRefreshDecisions('payments-api')).items;
    expect(skip).toMatchObject({
      skip: 'build-key-unchanged',
      reason: expect.stringContaining('payments-api 1.0.0'),
    });

    // Arrange: the same inputs, but the image built from them was rejected.
    const other = await createWorld(['golden-al2023', 'payments-api']);
    const g = await other.image(GOLDEN, '2026.03.01.1', { channels: ['latest', 'stable'] });
    await other.image('payments-api', '1.0.0', { parent: g, keyed: true, state: 'rejected' });

    // Act
    await onImagePublished(other.published(g, ['stable']), other.deps);

    // Assert
    expect(other.requests().map((r) => r.family)).toEqual(['payments-api']);
  });

  it('never rebuilds a family from a publication that descends from it', async () => {
    // Arrange: corrupt lineage: the published golden image records payments-api as its parent.
    const world = await createWorld(['golden-al2023', 'payments-api']);
    const app = await world.image('payments-api', '1.0.0');
    const golden = await world.image(GOLDEN, '2026.03.01.1', { parent: app, channels: ['latest', 'stable'] });

    // Act
    await onImagePublished(world.published(golden, ['stable']), world.deps);

    // Assert
    expect(world.requests()).toEqual([]);
    expect((await world.catalog.listRefreshDecisions('payments-api')).items).toEqual([
      expect.objectContaining({ skip: 'loop' }),
    ]);
  });

  it('requests at most the fan-out cap, and the daily run requests the rest', async () => {
    // Arrange: one build per trigger allowed, two children.
    const world = await createWorld(undefined, undefined, 1);
    const golden = await world.image(GOLDEN, '2026.03.01.1', { channels: ['latest', 'stable'] });

    // Act
    await onImagePublished(world.published(golden, ['latest', 'stable']), world.deps);

    // Assert: name order; the second is refused with the cap named.
    expect(world.requests().map((r) => r.family)).toEqual(['orders-worker']);
    const [capped] = (await world.catalog.listRefreshDecisions('payments-api')).items;
    expect(capped).toMatchObject({ skip: 'fan-out-cap', reason: expect.stringContaining('at most 1') });

    // Act: the next daily run, orders-worker's build under way.
    await world.image('orders-worker', '2026.03.01.1', {
      state: 'building',
      parent: golden,
      buildId: buildIdFor(
        'orders-worker',
        requestKeyFor('orders-worker', `parent-published:${GOLDEN}@2026.03.01.1`),
      ),
    });
    world.advanceDays(1);
    await refreshDaily({ now: world.clock.now() }, world.deps);

    // Assert: the same trigger, now requested; the deferred decision is replaced.
    expect(world.requests().map((r) => r.family)).toEqual(['orders-worker', 'payments-api']);
    expect(
      await world.catalog.getRefreshDecision('payments-api', `parent-published:${GOLDEN}@2026.03.01.1`),
    ).toMatchObject({
      outcome: 'requested',
    });
  });

  it('refuses an event whose image is not the catalog image it names, and writes nothing', async () => {
    // Arrange
    const world = await createWorld();
    const golden = await world.image(GOLDEN, '2026.03.01.1', { channels: ['latest', 'stable'] });
    const forged = {
      ...world.published(golden, ['stable']),
      imageId: 'ami-0fffffffffffffff0',
      regions: { [HOME]: 'ami-0fffffffffffffff0' },
    };

    // Act / Assert
    await expect(onImagePublished(forged, world.deps)).rejects.toThrow(TriggerMismatchError);
    await expect(
      onImagePublished({ ...world.published(golden, ['stable']), version: '2026.03.01.9' }, world.deps),
    ).rejects.toThrow('the catalog has no such image');
    expect(world.requests()).toEqual([]);
    expect((await world.catalog.listRefreshDecisions('payments-api')).items).toEqual([]);
  });
});

describe('publishedTriggerKey', () => {
  it('is the parent image for its publication, and the parent image and channel move for a rollback', () => {
    // Arrange
    const base = {
      schemaVersion: 1 as const,
      family: GOLDEN,
      version: '2026.03.01.1',
      correlationId: 'c',
      occurredAt: '2026-03-01T10:00:00Z',
      imageId: 'ami-0a1b2c3d4e5f60718',
      channels: ['stable'],
      regions: { [HOME]: 'ami-0a1b2c3d4e5f60718' },
      ssmParameters: ['/ami-lifecycle/golden-al2023/stable'],
    };

    // Act / Assert
    expect(publishedTriggerKey({ ...base, idempotencyKey: `image-published:${GOLDEN}@2026.03.01.1` })).toBe(
      `parent-published:${GOLDEN}@2026.03.01.1`,
    );
    expect(publishedTriggerKey({ ...base, idempotencyKey: 'channel-moved:golden-al2023/stable@4' })).toBe(
      `parent-published:${GOLDEN}@2026.03.01.1/channel-moved:golden-al2023/stable@4`,
    );
    const long = publishedTriggerKey({ ...base, idempotencyKey: `x ${'y'.repeat(250)}` });
    expect(long).toMatch(new RegExp(`^parent-published:${GOLDEN}@2026\\.03\\.01\\.1/[0-9a-f]{32}$`));
    // Any trigger key leaves room for the longest family name in the request's idempotency key (256).
    const near = publishedTriggerKey({ ...base, idempotencyKey: `channel-moved:${'z'.repeat(180)}` });
    expect(requestKeyFor('f'.repeat(63), near).length).toBeLessThanOrEqual(256);
  });
});

describe('refresh on Image Vulnerable', () => {
  it('rebuilds the family of a current vulnerable image once, forced, however often it is delivered', async () => {
    // Arrange
    const world = await createWorld();
    const golden = await world.image(GOLDEN, '2026.03.01.1', {
      channels: ['latest', 'stable'],
      vulnerable: true,
    });
    const event = world.vulnerable(golden);

    // Act
    await onImageVulnerable(event, world.deps);
    await onImageVulnerable(event, world.deps);

    // Assert
    expect(new Set(world.requests().map((r) => JSON.stringify(r)))).toEqual(
      new Set([
        JSON.stringify({
          family: GOLDEN,
          reason: 'vulnerable',
          idempotencyKey: `refresh:${GOLDEN}:vulnerable:${GOLDEN}@2026.03.01.1`,
          force: true,
        }),
      ]),
    );
    expect((await world.catalog.listRefreshDecisions(GOLDEN)).items).toHaveLength(1);
  });

  it('does not rebuild for an image no channel points to any more', async () => {
    // Arrange
    const world = await createWorld();
    const old = await world.image(GOLDEN, '2026.03.01.1', { channels: ['latest', 'stable'] });
    await world.image(GOLDEN, '2026.03.01.2', { channels: ['latest', 'stable'] });

    // Act
    await onImageVulnerable(world.vulnerable(old), world.deps);

    // Assert
    expect(world.requests()).toEqual([]);
    expect((await world.catalog.listRefreshDecisions(GOLDEN)).items).toEqual([
      expect.objectContaining({
        skip: 'superseded',
        reason: expect.stringContaining('stable -> 2026.03.01.2'),
      }),
    ]);
  });

  it('does not rebuild while a newer build is on its way, nor when the policy is off', async () => {
    // Arrange
    const world = await createWorld();
    const golden = await world.image(GOLDEN, '2026.03.01.1', { channels: ['latest', 'stable'] });
    world.clock.advance(60_000);
    await world.image(GOLDEN, '2026.03.01.2', { state: 'inspecting' });
    const families = exampleFamilies();
    const off = {
      ...families[GOLDEN]!,
      refresh: { ...families[GOLDEN]!.refresh, onVulnerable: false },
    } as FamilyConfig;
    const quiet = await createWorld([GOLDEN], { [GOLDEN]: off });
    const other = await quiet.image(GOLDEN, '2026.03.01.1', { channels: ['latest', 'stable'] });

    // Act
    await onImageVulnerable(world.vulnerable(golden), world.deps);
    await onImageVulnerable(quiet.vulnerable(other), quiet.deps);

    // Assert
    expect([...world.requests(), ...quiet.requests()]).toEqual([]);
    expect((await world.catalog.listRefreshDecisions(GOLDEN)).items[0]).toMatchObject({
      skip: 'already-rebuilding',
    });
    expect((await quiet.catalog.listRefreshDecisions(GOLDEN)).items[0]).toMatchObject({ skip: 'policy-off' });
  });

  it('refuses an image of a family without a stored config, recording nothing', async () => {
    // Arrange
    const world = await createWorld([GOLDEN]);
    const orphan = await world.image('golden-ubuntu', '2026.03.01.1', { channels: ['latest'] });

    // Act / Assert
    await expect(onImageVulnerable(world.vulnerable(orphan), world.deps)).rejects.toThrow(
      TriggerMismatchError,
    );
    expect(world.requests()).toEqual([]);
  });
});

describe('the daily refresh', () => {
  it('rebuilds a golden family whose current image is older than maxBaseAgeDays, once per day', async () => {
    // Arrange: golden-al2023 allows 30 days.
    const world = await createWorld([GOLDEN]);
    await world.image(GOLDEN, '2026.03.01.1', { channels: ['latest', 'stable'] });

    // Act: 30 days is not over the limit; 31 is.
    world.advanceDays(30);
    await refreshDaily({ now: world.clock.now() }, world.deps);
    const at30 = world.requests().length;
    world.advanceDays(1);
    await refreshDaily({ now: world.clock.now() }, world.deps);
    await refreshDaily({ now: world.clock.now() }, world.deps);

    // Assert
    expect(at30).toBe(0);
    expect(new Set(world.requests().map((r) => JSON.stringify(r)))).toEqual(
      new Set([
        JSON.stringify({
          family: GOLDEN,
          reason: 'stale-base',
          idempotencyKey: `refresh:${GOLDEN}:stale-base:2026-04-01`,
          force: true,
        }),
      ]),
    );
  });

  it('waits for the parent when an application’s base is stale and its parent has nothing newer', async () => {
    // Arrange: payments-api allows 45 days; golden allows 30, so both are stale at day 46.
    const world = await createWorld([GOLDEN, 'payments-api']);
    const golden = await world.image(GOLDEN, '2026.03.01.1', { channels: ['latest', 'stable'] });
    await world.image('payments-api', '1.0.0', { parent: golden, channels: ['latest', 'stable'] });
    world.advanceDays(46);

    // Act
    const run = await refreshDaily({ now: world.clock.now() }, world.deps);

    // Assert: golden first (parents first), then payments-api waits for it.
    expect(run.decisions.map((d) => [d.decision.family, d.decision.outcome, d.decision.skip])).toEqual([
      [GOLDEN, 'requested', undefined],
      ['payments-api', 'skipped', 'nothing-newer'],
    ]);
    expect(run.decisions[1]?.decision.reason).toContain('golden-al2023 is being rebuilt today');
  });

  it('does not rebuild a stale base while a newer build of the family is on its way', async () => {
    // Arrange
    const world = await createWorld([GOLDEN]);
    await world.image(GOLDEN, '2026.03.01.1', { channels: ['latest', 'stable'] });
    world.advanceDays(31);
    await world.image(GOLDEN, '2026.04.01.1', { state: 'building' });

    // Act
    const run = await refreshDaily({ now: world.clock.now() }, world.deps);

    // Assert
    expect(world.requests()).toEqual([]);
    expect(run.decisions.map((d) => d.decision.skip)).toEqual(['already-rebuilding']);
  });

  it('catches up a vulnerable current image and a parent publication that no event brought', async () => {
    // Arrange: a vulnerable golden image and an application not built on its parent channel's image.
    const world = await createWorld([GOLDEN, 'payments-api']);
    const golden = await world.image(GOLDEN, '2026.03.01.1', {
      channels: ['latest', 'stable'],
      vulnerable: true,
    });

    // Act
    const run = await refreshDaily({ now: world.clock.now() }, world.deps);
    // The event arrives late: the same trigger, so no second request key.
    await onImagePublished(world.published(golden, ['latest', 'stable']), world.deps);

    // Assert
    expect(run.decisions.map((d) => [d.decision.family, d.decision.trigger])).toEqual([
      [GOLDEN, 'vulnerable'],
      ['payments-api', 'parent-published'],
    ]);
    expect(new Set(world.requests().map((r) => `${r.family} ${r.idempotencyKey}`))).toEqual(
      new Set([
        `${GOLDEN} refresh:${GOLDEN}:vulnerable:${GOLDEN}@2026.03.01.1`,
        `payments-api refresh:payments-api:parent-published:${GOLDEN}@2026.03.01.1`,
      ]),
    );
  });

  it('rebuilds a stale application on its parent’s newer image, but not again on one it was already tried on', async () => {
    // Arrange: payments-api does not follow publications; its base is 46 days old and stable has a newer golden.
    const families = exampleFamilies();
    const manual = {
      ...families['payments-api']!,
      refresh: { ...families['payments-api']!.refresh, onParentPublish: false },
    } as FamilyConfig;
    const world = await createWorld([GOLDEN, 'payments-api'], { 'payments-api': manual });
    const old = await world.image(GOLDEN, '2026.03.01.1', { channels: ['latest', 'stable'] });
    await world.image('payments-api', '1.0.0', { parent: old, channels: ['latest', 'stable'] });
    world.advanceDays(46);
    const fresh = await world.image(GOLDEN, '2026.04.16.1', { channels: ['latest', 'stable'] });

    // Act
    await refreshDaily({ now: world.clock.now() }, world.deps);

    // Assert
    expect(world.requests()).toEqual([
      {
        family: 'payments-api',
        reason: 'stale-base',
        idempotencyKey: 'refresh:payments-api:stale-base:2026-04-16',
        parent: `${GOLDEN}@2026.04.16.1`,
        force: false,
      },
    ]);

    // Arrange: that rebuild was rejected; a day later the base is still stale.
    await world.image('payments-api', '1.1.0', { parent: fresh, state: 'rejected' });
    world.advanceDays(1);

    // Act
    const next = await refreshDaily({ now: world.clock.now() }, world.deps);

    // Assert: no daily rebuild of what was already tried.
    expect(world.requests()).toHaveLength(1);
    expect(next.decisions.map((d) => [d.decision.skip, d.decision.reason])).toEqual([
      ['nothing-newer', expect.stringContaining('payments-api 1.1.0 (rejected) is already built on')],
    ]);
  });

  it('requests nothing for families that are current, fresh and not vulnerable', async () => {
    // Arrange
    const world = await createWorld([GOLDEN, 'payments-api']);
    const golden = await world.image(GOLDEN, '2026.03.01.1', { channels: ['latest', 'stable'] });
    await world.image('payments-api', '1.0.0', { parent: golden, channels: ['latest', 'stable'] });
    world.advanceDays(29);

    // Act
    const run = await refreshDaily({ now: world.clock.now() }, world.deps);

    // Assert
    expect(run.decisions).toEqual([]);
    expect(world.requests()).toEqual([]);
  });

  it('gives every family its own request key for the one trigger of a day', async () => {
    // Arrange: both golden families are over their 30 days on the same day.
    const world = await createWorld([GOLDEN, 'golden-ubuntu']);
    await world.image(GOLDEN, '2026.03.01.1', { channels: ['latest', 'stable'] });
    await world.image('golden-ubuntu', '2026.03.01.1', { channels: ['latest', 'stable'] });
    world.advanceDays(31);

    // Act
    await refreshDaily({ now: world.clock.now() }, world.deps);

    // Assert: one trigger key, two keys the build service tells apart.
    expect(world.requests().map((r) => [r.family, r.idempotencyKey])).toEqual([
      [GOLDEN, `refresh:${GOLDEN}:stale-base:2026-04-01`],
      ['golden-ubuntu', 'refresh:golden-ubuntu:stale-base:2026-04-01'],
    ]);
  });

  it('skips a stale application whose parent has no AMI in the home region, and decides for the families after it', async () => {
    // Arrange: payments-api (not following publications) is 46 days on its base; the newer golden image on
    // stable has its AMI only in another region; golden-ubuntu, planned after payments-api, is stale too.
    const families = exampleFamilies();
    const manual = {
      ...families['payments-api']!,
      refresh: { ...families['payments-api']!.refresh, onParentPublish: false },
    } as FamilyConfig;
    const world = await createWorld([GOLDEN, 'payments-api', 'golden-ubuntu'], { 'payments-api': manual });
    const old = await world.image(GOLDEN, '2026.03.01.1', { channels: ['latest', 'stable'] });
    await world.image('payments-api', '1.0.0', { parent: old, channels: ['latest', 'stable'] });
    await world.image('golden-ubuntu', '2026.03.01.1', { channels: ['latest', 'stable'] });
    world.advanceDays(46);
    await world.image(GOLDEN, '2026.04.16.1', { channels: ['latest', 'stable'], region: 'us-east-1' });

    // Act
    const run = await refreshDaily({ now: world.clock.now() }, world.deps);

    // Assert
    expect(run.decisions.map((d) => [d.decision.family, d.decision.outcome, d.decision.skip])).toEqual([
      ['payments-api', 'skipped', 'nothing-newer'],
      ['golden-ubuntu', 'requested', undefined],
    ]);
    expect(run.decisions[0]?.decision.reason).toContain(
      `${GOLDEN} 2026.04.16.1 has no AMI in ${HOME}, where payments-api is built`,
    );
    expect(world.requests().map((r) => r.family)).toEqual(['golden-ubuntu']);
  });
});

describe('applyDecisions', () => {
  const decision = (family: string, parentAmi: string | undefined): RefreshDecision => ({
    family,
    trigger: 'stale-base',
    triggerKey: 'stale-base:2026-03-01',
    outcome: 'requested',
    reason: 'stale',
    request: {
      idempotencyKey: requestKeyFor(family, 'stale-base:2026-03-01'),
      parent: { family: GOLDEN, version: '2026.03.01.1', ...(parentAmi ? { amiId: parentAmi } : {}) },
      force: false,
    },
    correlationId: 'c',
    decidedAt: START,
    decidedBy: 'test',
  });

  it('records no request the bus would refuse, carries out the others, then names what failed', async () => {
    // Arrange: payments-api's request names a parent without its AMI; orders-worker's is well formed.
    const world = await createWorld();
    const malformed = decision('payments-api', undefined);
    const sound = decision('orders-worker', 'ami-0a1b2c3d4e5f60718');

    // Act
    const applying = applyDecisions([malformed, sound], new Map(), world.deps);

    // Assert
    await expect(applying).rejects.toThrow(RefreshApplyError);
    await expect(applying).rejects.toThrow(/1 of 2 .*payments-api: /);
    expect((await world.catalog.listRefreshDecisions('payments-api')).items).toEqual([]);
    expect((await world.catalog.listRefreshDecisions('orders-worker')).items).toEqual([sound]);
    expect(world.requests().map((r) => r.family)).toEqual(['orders-worker']);
  });
});
