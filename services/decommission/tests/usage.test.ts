import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryInventory, MemorySharedUsage } from '@ami-lifecycle/aws/memory';
import { fixedClock, type Image, parsePolicy, type StoredConfig } from '@ami-lifecycle/core';
import { gatherInventory, type UsageAccount } from '../src/use-cases/usage';

const HOME = 'eu-west-1';
const NOW = new Date('2026-06-01T00:00:00Z');
const WORKLOADS: UsageAccount = {
  id: '222222222222',
  roleArn: 'arn:aws:iam::222222222222:role/ami-lifecycle-inventory',
  regions: [HOME],
};

const families = parsePolicy(
  readFileSync(join(__dirname, '../../../examples/ami-lifecycle.yaml'), 'utf8'),
  'example',
).families as Record<string, StoredConfig>;

/** The owner account and the workloads account in one region, and a catalog image per managed AMI. */
const world = () => {
  const clock = fixedClock(NOW);
  const owner = new MemoryInventory({ clock, region: HOME });
  const shared = new MemorySharedUsage({ region: HOME });
  const asked: string[] = [];
  const image = (family: string, version: string, state: Image['state'] = 'published'): Image => {
    const amiId = owner.addImage({
      name: `${family}-${version}`,
      tags: {
        'ami-lifecycle:managed': 'true',
        'ami-lifecycle:family': family,
        'ami-lifecycle:version': version,
      },
    });
    return {
      family,
      version,
      state,
      stateVersion: 1,
      amiIds: { [HOME]: amiId },
      snapshotIds: [],
      vulnerable: false,
      managed: true,
      createdAt: '2026-01-01T00:00:00Z',
      stateChangedAt: '2026-01-01T00:00:00Z',
    };
  };
  const gather = (images: Image[], accounts: UsageAccount[] = [WORKLOADS], configs = families) =>
    gatherInventory(
      { images, configs: new Map(Object.entries(configs)), accounts, regions: [HOME], now: NOW },
      {
        inventory: () => owner,
        sharedUsage: (account) => {
          asked.push(account.id);
          return shared;
        },
        images: () => ({
          describeImage: async (id: string) => {
            const found = owner.image(id);
            return (
              found && {
                imageId: id,
                name: found.name,
                state: found.state,
                snapshotIds: [],
                tags: found.tags,
                creationDate: found.creationDate,
              }
            );
          },
        }),
      },
    );
  return { owner, shared, image, gather, asked };
};

const factOf = (facts: { amiId: string }[], image: Image) =>
  facts.find((f) => f.amiId === image.amiIds[HOME]);

describe('gatherInventory', () => {
  it('finds an image in use by an instance of an account it is shared with', async () => {
    // Arrange: golden-al2023 is shared with the workloads account, which runs it.
    const w = world();
    const golden = w.image('golden-al2023', '2026.01.01.1');
    w.shared.launchInstance(golden.amiIds[HOME]!);

    // Act
    const { facts } = await w.gather([golden]);

    // Assert
    expect(factOf(facts, golden)).toMatchObject({
      inUse: true,
      references: [expect.stringContaining(':222222222222:instance/')],
      lastSeenInUseAt: NOW.toISOString(),
    });
  });

  it('finds an image named only by an older version of a launch template of that account', async () => {
    // Arrange
    const w = world();
    const [old, current] = [
      w.image('golden-al2023', '2026.01.01.1'),
      w.image('golden-al2023', '2026.02.01.1'),
    ];
    w.shared.addLaunchTemplate({ versions: [old.amiIds[HOME], current.amiIds[HOME]], defaultVersion: 2 });

    // Act
    const { facts } = await w.gather([old, current]);

    // Assert
    expect(factOf(facts, old)).toMatchObject({
      inUse: true,
      references: [expect.stringMatching(/version 1$/)],
    });
  });

  it('makes no fact (usage unknown) for an image shared with an account it cannot look into', async () => {
    // Arrange: the workloads account has no role to read its usage through.
    const w = world();
    const golden = w.image('golden-al2023', '2026.01.01.1');

    // Act
    const inventory = await w.gather([golden], [{ id: WORKLOADS.id, regions: [HOME] }]);

    // Assert
    expect(factOf(inventory.facts, golden)).toBeUndefined();
    expect(inventory.unknown).toEqual([
      { family: 'golden-al2023', version: '2026.01.01.1', why: expect.stringContaining('no roleArn') },
    ]);
  });

  it('makes no fact for an image shared with an organizational unit, but does for one never shared (rejected)', async () => {
    // Arrange: orders-worker is shared with an OU, whose accounts cannot all be seen.
    const w = world();
    const published = w.image('orders-worker', '2026.01.01.1');
    const rejected = w.image('orders-worker', '2026.01.02.1', 'rejected');

    // Act
    const inventory = await w.gather([published, rejected]);

    // Assert
    expect(factOf(inventory.facts, published)).toBeUndefined();
    expect(inventory.unknown[0]?.why).toContain('ou-root-workload');
    expect(factOf(inventory.facts, rejected)).toMatchObject({ inUse: false });
  });

  it('makes no fact for an image of a family shared with the whole organization', async () => {
    // Arrange: golden-al2023 as the example has it, but shared organization-wide.
    const w = world();
    const golden = w.image('golden-al2023', '2026.01.01.1');
    const config = families['golden-al2023']!;
    const orgWide = {
      ...families,
      'golden-al2023': {
        ...config,
        publish: { ...config.publish, sharing: { ...config.publish.sharing, organization: true } },
      },
    };

    // Act
    const inventory = await w.gather([golden], [WORKLOADS], orgWide);

    // Assert
    expect(factOf(inventory.facts, golden)).toBeUndefined();
    expect(inventory.unknown).toEqual([
      {
        family: 'golden-al2023',
        version: '2026.01.01.1',
        why: expect.stringContaining('whole organization'),
      },
    ]);
  });

  it('asks an account only in its own regions, and an unused image is a fact of no use', async () => {
    // Arrange: the workloads account uses another region only.
    const w = world();
    const golden = w.image('golden-al2023', '2026.01.01.1');
    w.shared.launchInstance(golden.amiIds[HOME]!);

    // Act
    const { facts } = await w.gather([golden], [{ ...WORKLOADS, regions: ['eu-central-1'] }]);

    // Assert
    expect(w.asked).toEqual([]);
    expect(factOf(facts, golden)).toEqual({ amiId: golden.amiIds[HOME], inUse: false, references: [] });
  });

  it('reports managed AMIs the catalog does not know and catalog AMIs EC2 no longer has; one EC2 says is gone is used by nothing', async () => {
    // Arrange
    const w = world();
    const known = w.image('golden-al2023', '2026.01.01.1');
    w.image('golden-al2023', '2026.01.02.1'); // in EC2, not in the catalog
    const gone: Image = { ...known, version: '2025.12.01.1', amiIds: { [HOME]: 'ami-0deadbeef0000000' } };

    // Act
    const inventory = await w.gather([known, gone]);

    // Assert
    expect(inventory.drift.untracked.map((u) => u.name)).toEqual(['golden-al2023-2026.01.02.1']);
    expect(inventory.drift.missing).toEqual([
      { family: 'golden-al2023', version: '2025.12.01.1', region: HOME, imageId: 'ami-0deadbeef0000000' },
    ]);
    expect(factOf(inventory.facts, gone)).toEqual({
      amiId: 'ami-0deadbeef0000000',
      inUse: false,
      references: [],
    });
  });

  it('makes no fact for an AMI the listing missed but EC2 still has', async () => {
    // Arrange: deprecated by hand and left out of a listing (as a partial answer would), yet EC2 knows it.
    const w = world();
    const image = w.image('golden-al2023', '2026.01.01.1');
    const listed = w.owner.listManagedImages.bind(w.owner);
    w.owner.listManagedImages = async () => (await listed()).filter((a) => a.imageId !== image.amiIds[HOME]);

    // Act
    const inventory = await w.gather([image]);

    // Assert
    expect(factOf(inventory.facts, image)).toBeUndefined();
  });
});
