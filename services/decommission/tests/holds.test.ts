import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ResourceNotFoundError } from '@ami-lifecycle/aws';
import { createMemoryRegions, type MemoryRegion } from '@ami-lifecycle/aws/memory';
import { InMemoryCatalog, listAll } from '@ami-lifecycle/catalog';
import {
  amiName,
  fixedClock,
  type Hold,
  type LifecycleState,
  managedTags,
  parsePolicy,
} from '@ami-lifecycle/core';
import {
  EXPIRY_RELEASER,
  type HoldDeps,
  HoldProtectionError,
  HoldRefusedError,
  liftExpiredHolds,
  NO_TICKET,
  type PlaceHoldInput,
  placeHold,
  releaseHold,
} from '../src';

const EXAMPLE = join(__dirname, '../../../examples/ami-lifecycle.yaml');
const HOME = 'eu-west-1';
const OTHER = 'eu-central-1';
const START = '2026-03-01T10:00:00.000Z';
const AL = 'golden-al2023';
const PAY = 'payments-api';
const HOUR = 3_600_000;

interface World {
  catalog: InMemoryCatalog;
  regions: Map<string, MemoryRegion>;
  clock: ReturnType<typeof fixedClock>;
  deps: HoldDeps;
}

/** An in-memory catalog holding two families' configs, and an account in two regions. */
const createWorld = async (): Promise<World> => {
  const clock = fixedClock(START);
  const catalog = new InMemoryCatalog();
  const policy = parsePolicy(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
  for (const family of [AL, PAY]) {
    await catalog.putFamilyConfig(family, policy.families[family], {
      expectedCurrent: null,
      at: START,
      by: 'test',
    });
  }
  const regions = createMemoryRegions([HOME, OTHER], { clock });
  let n = 0;
  return {
    catalog,
    regions,
    clock,
    deps: {
      catalog,
      clock,
      regions: (region) => {
        const r = regions.get(region);
        if (r === undefined) throw new RangeError(`no region ${region}`);
        return { images: r.images };
      },
      newHoldId: () => `hold-${++n}`,
    },
  };
};

/**
 * An image of `family` in the catalog whose AMI exists in each of `regions`, tagged managed (unless
 * `unmanagedIn` names the region); answers its AMI id per region.
 */
const addImage = async (
  world: World,
  family: string,
  version: string,
  opts: { state?: LifecycleState; regions?: string[]; unmanagedIn?: string } = {},
): Promise<Record<string, string>> => {
  const amiIds: Record<string, string> = {};
  for (const region of opts.regions ?? [HOME, OTHER]) {
    const tags =
      region === opts.unmanagedIn ? {} : managedTags({ family, version, buildId: `build-${version}` });
    amiIds[region] = world.regions.get(region)!.images.addImage({ name: amiName(family, version), tags });
  }
  await world.catalog.createImage(
    {
      family,
      version,
      state: opts.state ?? 'published',
      stateVersion: 0,
      amiIds,
      snapshotIds: [],
      vulnerable: false,
      managed: true,
      createdAt: START,
      stateChangedAt: START,
    },
    { actor: 'test', reason: 'seeded', correlationId: `corr-${family}-${version}` },
  );
  return amiIds;
};

/** Whether EC2 (the fake) protects each of these AMIs from deregistration, by region. */
const protection = (world: World, amiIds: Record<string, string>): Record<string, boolean | undefined> =>
  Object.fromEntries(
    Object.entries(amiIds).map(([region, amiId]) => [
      region,
      world.regions.get(region)!.images.image(amiId)?.deregistrationProtection,
    ]),
  );
const ON = { [HOME]: true, [OTHER]: true };
const OFF = { [HOME]: false, [OTHER]: false };

const activeHolds = (world: World): Promise<Hold[]> =>
  listAll('active holds', (page) => world.catalog.listActiveHolds(page), 10);

const onImage = (version: string, family = AL) => ({ kind: 'image' as const, family, version });
const onFamily = (family = AL) => ({ kind: 'family' as const, family });
const legal = (target: PlaceHoldInput['target'], extra: Partial<PlaceHoldInput> = {}): PlaceHoldInput => ({
  target,
  reason: 'litigation LIT-42',
  owner: 'legal@example.com',
  ...extra,
});

describe('placeHold', () => {
  it('stores the hold, then turns deregistration protection on for the image in every region', async () => {
    const world = await createWorld();
    const held = await addImage(world, AL, '1.0.0');
    const other = await addImage(world, AL, '1.1.0');

    const { hold, protected: amis } = await placeHold(
      legal(onImage('1.0.0'), { ticket: 'LEGAL-7', expiresAt: '2026-06-01T00:00:00Z' }),
      world.deps,
    );

    expect(hold).toEqual({
      id: 'hold-1',
      target: onImage('1.0.0'),
      reason: 'litigation LIT-42',
      owner: 'legal@example.com',
      ticket: 'LEGAL-7',
      createdAt: START,
      expiresAt: '2026-06-01T00:00:00Z',
    });
    expect(await world.catalog.getHold('hold-1')).toEqual(hold);
    expect(await activeHolds(world)).toEqual([hold]);
    expect(protection(world, held)).toEqual(ON);
    expect(protection(world, other)).toEqual(OFF);
    expect(amis.map((a) => [a.region, a.amiId])).toEqual([
      [OTHER, held[OTHER]],
      [HOME, held[HOME]],
    ]);
  });

  it('protects every image of a held family that still has AMIs, and nothing of other families', async () => {
    const world = await createWorld();
    const v1 = await addImage(world, AL, '1.0.0', { state: 'deprecated' });
    const v2 = await addImage(world, AL, '1.1.0');
    const building = await addImage(world, AL, '1.2.0', { state: 'building', regions: [HOME] });
    const retired = await addImage(world, AL, '0.9.0', { state: 'retired' });
    const payments = await addImage(world, PAY, '2.0.0');

    const { hold, protected: amis } = await placeHold(legal(onFamily()), world.deps);

    expect(hold.target).toEqual(onFamily());
    expect(protection(world, v1)).toEqual(ON);
    expect(protection(world, v2)).toEqual(ON);
    expect(protection(world, building)).toEqual({ [HOME]: true });
    expect(protection(world, retired)).toEqual(OFF);
    expect(protection(world, payments)).toEqual(OFF);
    expect(amis).toHaveLength(5);
  });

  it('holds a retired image without touching its AMIs, which are gone', async () => {
    const world = await createWorld();
    const retired = await addImage(world, AL, '0.9.0', { state: 'retired' });

    const { hold, protected: amis } = await placeHold(legal(onImage('0.9.0')), world.deps);

    expect(await activeHolds(world)).toEqual([hold]);
    expect(amis).toEqual([]);
    expect(protection(world, retired)).toEqual(OFF);
  });

  it('stores a hold without a ticket with the no-ticket marker, and gives each hold its own id', async () => {
    const world = await createWorld();
    await addImage(world, AL, '1.0.0');
    const { newHoldId: _, ...deps } = world.deps;

    const first = await placeHold(legal(onImage('1.0.0')), deps);
    const second = await placeHold(legal(onImage('1.0.0')), deps);

    expect(first.hold.ticket).toBe(NO_TICKET);
    expect(first.hold).not.toHaveProperty('expiresAt');
    expect(first.hold.id).toMatch(/^hold-[0-9a-f]{16}$/);
    expect(second.hold.id).not.toBe(first.hold.id);
  });

  it.each([
    ['an unknown image', legal(onImage('9.9.9')), /image golden-al2023@9\.9\.9 is not in the catalog/],
    ['an image of an unknown family', legal(onImage('1.0.0', 'nosuch-family')), /is not in the catalog/],
    ['an unknown family', legal(onFamily('nosuch-family')), /family nosuch-family is not in the catalog/],
    ['an invalid family name', legal(onFamily('Not A Family')), /target is invalid/],
    ['a blank reason', legal(onImage('1.0.0'), { reason: '  ' }), /needs a reason/],
    ['a blank owner', legal(onImage('1.0.0'), { owner: '' }), /needs an owner/],
    ['a blank ticket', legal(onImage('1.0.0'), { ticket: ' ' }), /ticket must not be blank/],
    [
      'an expiry in the past',
      legal(onImage('1.0.0'), { expiresAt: '2026-02-28T00:00:00Z' }),
      /not in the future/,
    ],
    ['an expiry of right now', legal(onImage('1.0.0'), { expiresAt: START }), /not in the future/],
    ['an expiry that is no time', legal(onImage('1.0.0'), { expiresAt: 'next tuesday' }), /not an ISO-8601/],
  ])('refuses %s, storing nothing and protecting nothing', async (_what, input, message) => {
    const world = await createWorld();
    const amis = await addImage(world, AL, '1.0.0');
    const putHold = jest.spyOn(world.catalog, 'putHold');

    const placing = placeHold(input, world.deps);

    await expect(placing).rejects.toBeInstanceOf(HoldRefusedError);
    await expect(placing).rejects.toThrow(message);
    expect(putHold).not.toHaveBeenCalled();
    expect(await activeHolds(world)).toEqual([]);
    expect(protection(world, amis)).toEqual(OFF);
  });

  it('keeps the hold in force when EC2 will not protect an AMI, protects the rest, and names the AMI', async () => {
    const world = await createWorld();
    const amis = await addImage(world, AL, '1.0.0', { unmanagedIn: OTHER });

    const placing = placeHold(legal(onImage('1.0.0')), world.deps);

    await expect(placing).rejects.toBeInstanceOf(HoldProtectionError);
    await expect(placing).rejects.toThrow(
      new RegExp(`hold hold-1 is in force, but .* ${amis[OTHER]} in ${OTHER} \\(golden-al2023@1\\.0\\.0\\)`),
    );
    expect((await activeHolds(world)).map((h) => h.id)).toEqual(['hold-1']);
    expect(protection(world, amis)).toEqual({ [HOME]: true, [OTHER]: false });
  });
});

describe('releaseHold', () => {
  it('releases the hold, keeps its record, and lifts the protection it put on', async () => {
    const world = await createWorld();
    const amis = await addImage(world, AL, '1.0.0');
    const { hold } = await placeHold(legal(onImage('1.0.0')), world.deps);
    world.clock.advance(HOUR);

    const released = await releaseHold(hold.id, { by: 'bob', reason: 'case settled' }, world.deps);

    expect(released.hold).toEqual({ ...hold, releasedAt: '2026-03-01T11:00:00.000Z' });
    expect(released.reason).toBe('case settled');
    expect(released.unprotected).toHaveLength(2);
    expect(released.stillHeld).toEqual([]);
    expect(await world.catalog.getHold(hold.id)).toEqual(released.hold);
    expect(await activeHolds(world)).toEqual([]);
    expect(protection(world, amis)).toEqual(OFF);
  });

  it('lifts a family hold from every image of the family', async () => {
    const world = await createWorld();
    const v1 = await addImage(world, AL, '1.0.0');
    const v2 = await addImage(world, AL, '1.1.0', { regions: [HOME] });
    const { hold } = await placeHold(legal(onFamily()), world.deps);

    await releaseHold(hold.id, { by: 'bob', reason: 'case settled' }, world.deps);

    expect(protection(world, v1)).toEqual(OFF);
    expect(protection(world, v2)).toEqual({ [HOME]: false });
  });

  it.each([
    ['a second hold on the image', onImage('1.0.0')],
    ['a hold on its family', onFamily()],
  ])('keeps protection on while %s is still in force', async (_what, second) => {
    const world = await createWorld();
    const amis = await addImage(world, AL, '1.0.0');
    const first = await placeHold(legal(onImage('1.0.0')), world.deps);
    const other = await placeHold(legal(second, { reason: 'regulator inquiry' }), world.deps);

    const released = await releaseHold(first.hold.id, { by: 'bob', reason: 'case settled' }, world.deps);

    expect(protection(world, amis)).toEqual(ON);
    expect(released.unprotected).toEqual([]);
    expect(released.stillHeld.map((s) => s.holdIds)).toEqual([[other.hold.id], [other.hold.id]]);

    await releaseHold(other.hold.id, { by: 'bob', reason: 'inquiry closed' }, world.deps);

    expect(protection(world, amis)).toEqual(OFF);
  });

  it('lifts protection when the other hold on the image has expired', async () => {
    const world = await createWorld();
    const amis = await addImage(world, AL, '1.0.0');
    await placeHold(legal(onImage('1.0.0'), { expiresAt: '2026-03-01T11:00:00Z' }), world.deps);
    const { hold } = await placeHold(legal(onImage('1.0.0')), world.deps);
    world.clock.advance(2 * HOUR);

    await releaseHold(hold.id, { by: 'bob', reason: 'case settled' }, world.deps);

    expect(protection(world, amis)).toEqual(OFF);
  });

  it('refuses an unknown hold id and a release without a reason, changing nothing', async () => {
    const world = await createWorld();
    const amis = await addImage(world, AL, '1.0.0');
    const { hold } = await placeHold(legal(onImage('1.0.0')), world.deps);

    await expect(releaseHold('hold-404', { by: 'bob', reason: 'x' }, world.deps)).rejects.toThrow(
      new HoldRefusedError('hold hold-404 does not exist'),
    );
    await expect(releaseHold(hold.id, { by: 'bob', reason: ' ' }, world.deps)).rejects.toBeInstanceOf(
      HoldRefusedError,
    );
    expect(await activeHolds(world)).toEqual([hold]);
    expect(protection(world, amis)).toEqual(ON);
  });

  it('is idempotent: a second release keeps the first and lifts again', async () => {
    const world = await createWorld();
    const amis = await addImage(world, AL, '1.0.0');
    const { hold } = await placeHold(legal(onImage('1.0.0')), world.deps);
    const first = await releaseHold(hold.id, { by: 'bob', reason: 'case settled' }, world.deps);
    await world.regions.get(HOME)!.images.setDeregistrationProtection(amis[HOME]!, true);
    world.clock.advance(HOUR);

    const again = await releaseHold(hold.id, { by: 'carol', reason: 'again' }, world.deps);

    expect(again.hold).toEqual(first.hold);
    expect(protection(world, amis)).toEqual(OFF);
  });
});

describe('liftExpiredHolds', () => {
  it('lifts the protection of expired holds and releases them; holds in force are left alone', async () => {
    const world = await createWorld();
    const expiring = await addImage(world, AL, '1.0.0');
    const lasting = await addImage(world, AL, '1.1.0');
    const { hold: expired } = await placeHold(
      legal(onImage('1.0.0'), { expiresAt: '2026-03-02T10:00:00Z' }),
      world.deps,
    );
    const { hold: later } = await placeHold(
      legal(onImage('1.1.0'), { expiresAt: '2026-03-09T10:00:00Z' }),
      world.deps,
    );
    world.clock.set('2026-03-02T10:00:00Z');

    const result = await liftExpiredHolds(world.deps);

    expect(result.failed).toEqual([]);
    expect(result.lifted.map((l) => [l.hold.id, l.hold.releasedAt, l.reason])).toEqual([
      [expired.id, '2026-03-02T10:00:00.000Z', 'expired'],
    ]);
    expect(protection(world, expiring)).toEqual(OFF);
    expect(protection(world, lasting)).toEqual(ON);
    expect(await activeHolds(world)).toEqual([later]);
    expect(await world.catalog.getHold(expired.id)).toEqual({
      ...expired,
      releasedAt: '2026-03-02T10:00:00.000Z',
    });
    expect(EXPIRY_RELEASER).toBe('ami-lifecycle');
  });

  it('keeps protection on an image another hold in force still covers', async () => {
    const world = await createWorld();
    const amis = await addImage(world, AL, '1.0.0');
    await placeHold(legal(onFamily(), { expiresAt: '2026-03-02T10:00:00Z' }), world.deps);
    await placeHold(legal(onImage('1.0.0')), world.deps);
    world.clock.set('2026-03-03T00:00:00Z');

    const result = await liftExpiredHolds(world.deps);

    expect(result.lifted).toHaveLength(1);
    expect(result.lifted[0]?.stillHeld).toHaveLength(2);
    expect(protection(world, amis)).toEqual(ON);
  });

  it('does nothing before the expiry', async () => {
    const world = await createWorld();
    const amis = await addImage(world, AL, '1.0.0');
    const { hold } = await placeHold(
      legal(onImage('1.0.0'), { expiresAt: '2026-03-02T10:00:00Z' }),
      world.deps,
    );
    world.clock.set('2026-03-02T09:59:59Z');

    expect(await liftExpiredHolds(world.deps)).toEqual({ lifted: [], failed: [] });
    expect(protection(world, amis)).toEqual(ON);
    expect(await activeHolds(world)).toEqual([hold]);
  });

  it('leaves a hold whose protection could not be lifted in force, to try again, and goes on with the others', async () => {
    const world = await createWorld();
    const stuck = await addImage(world, AL, '1.0.0', { regions: [HOME] });
    const fine = await addImage(world, AL, '1.1.0');
    const { hold: first } = await placeHold(
      legal(onImage('1.0.0'), { expiresAt: '2026-03-02T10:00:00Z' }),
      world.deps,
    );
    await placeHold(legal(onImage('1.1.0'), { expiresAt: '2026-03-02T10:00:00Z' }), world.deps);
    const images = world.regions.get(HOME)!.images;
    const setProtection = images.setDeregistrationProtection.bind(images);
    jest.spyOn(images, 'setDeregistrationProtection').mockImplementation(async (amiId, enabled) => {
      if (amiId === stuck[HOME]) throw new Error('RequestLimitExceeded');
      return setProtection(amiId, enabled);
    });
    world.clock.set('2026-03-03T00:00:00Z');

    const result = await liftExpiredHolds(world.deps);

    expect(result.failed.map((f) => f.hold.id)).toEqual([first.id]);
    expect(result.failed[0]?.error).toBeInstanceOf(HoldProtectionError);
    expect(result.failed[0]?.error.message).toContain(`${stuck[HOME]} in ${HOME}`);
    expect(result.lifted).toHaveLength(1);
    expect((await activeHolds(world)).map((h) => h.id)).toEqual([first.id]);
    expect(protection(world, stuck)).toEqual({ [HOME]: true });
    expect(protection(world, fine)).toEqual(OFF);
  });

  it('releases an expired hold whose AMI in one region was deleted by hand, lifting the rest', async () => {
    const world = await createWorld();
    const amis = await addImage(world, AL, '1.0.0');
    const { hold } = await placeHold(
      legal(onImage('1.0.0'), { expiresAt: '2026-03-02T10:00:00Z' }),
      world.deps,
    );
    const images = world.regions.get(HOME)!.images;
    jest.spyOn(images, 'setDeregistrationProtection').mockImplementation(async (amiId) => {
      throw new ResourceNotFoundError('image', amiId);
    });
    world.clock.set('2026-03-03T00:00:00Z');

    const result = await liftExpiredHolds(world.deps);

    expect(result.failed).toEqual([]);
    expect(result.lifted.map((l) => l.hold.id)).toEqual([hold.id]);
    expect(protection(world, { [OTHER]: amis[OTHER]! })).toEqual({ [OTHER]: false });
    expect(await activeHolds(world)).toEqual([]);
  });

  it('still fails to place a hold on an AMI that is gone', async () => {
    const world = await createWorld();
    await addImage(world, AL, '1.0.0');
    const images = world.regions.get(HOME)!.images;
    jest.spyOn(images, 'setDeregistrationProtection').mockImplementation(async (amiId) => {
      throw new ResourceNotFoundError('image', amiId);
    });

    await expect(placeHold(legal(onImage('1.0.0')), world.deps)).rejects.toBeInstanceOf(HoldProtectionError);
  });
});
