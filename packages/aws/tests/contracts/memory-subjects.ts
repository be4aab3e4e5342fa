import { fixedClock } from '@ami-lifecycle/core';
import {
  AL2023_PARAMETER,
  createMemoryCloud,
  type MemoryCloud,
  MemoryEventPublisher,
  MemoryInventory,
  MemorySharedUsage,
} from '../../src/memory';
import type { CommandsSubject } from './commands-contract';
import type { ComputeSubject } from './compute-contract';
import type { EventsSubject } from './events-contract';
import type { FindingsSubject } from './findings-contract';
import type { ImagesSubject } from './images-contract';
import type { InventorySubject } from './inventory-contract';
import type { ParametersSubject } from './parameters-contract';

/** The fakes, each suite on its own memory cloud; `advance` moves the fakes' shared clock. */

const advancing = (cloud: MemoryCloud) => async (seconds: number) => cloud.advance(seconds);

const launchRunning = async (
  cloud: MemoryCloud,
  tags: Record<string, string> = { 'ami-lifecycle:managed': 'true', Name: 'builder' },
) => {
  const imageId = await cloud.images.resolveSsmImageParameter(AL2023_PARAMETER);
  const { instanceId } = await cloud.compute.launchInstance({
    imageId,
    instanceType: 't3.micro',
    instanceProfile: 'ami-lifecycle-builder',
    tags,
    rootVolume: { sizeGiB: 16, encrypted: true },
  });
  cloud.advance(60);
  return { instanceId, imageId };
};

export const memoryCompute = async (): Promise<ComputeSubject> => {
  const cloud = createMemoryCloud();
  return {
    port: cloud.compute,
    advance: advancing(cloud),
    launchableImageId: () => cloud.images.resolveSsmImageParameter(AL2023_PARAMETER),
  };
};

export const OTHER_REGION = 'us-east-1';

export const memoryImages = async (): Promise<ImagesSubject> => {
  const cloud = createMemoryCloud({ regions: ['eu-west-1', OTHER_REGION] });
  const imagesIn = (region: string) => {
    const images = cloud.regions.get(region)?.images;
    if (!images) throw new Error(`the memory cloud has no region ${region}`);
    return images;
  };
  return {
    port: cloud.images,
    region: cloud.region,
    otherRegion: { region: OTHER_REGION, port: imagesIn(OTHER_REGION) },
    compute: cloud.compute,
    advance: advancing(cloud),
    snapshotIds: async () => cloud.images.snapshotIds(),
    snapshotsOf: async (imageId, region) => {
      const images = imagesIn(region);
      return (images.image(imageId)?.snapshotIds ?? []).flatMap((id) => {
        const snap = images.snapshot(id);
        return snap ? [{ encrypted: snap.encrypted === true, kmsKeyId: snap.kmsKeyId, tags: snap.tags }] : [];
      });
    },
    untagSnapshot: async (snapshotId, key) => {
      const { [key]: _removed, ...tags } = cloud.images.snapshot(snapshotId)?.tags ?? {};
      cloud.images.setSnapshotTags(snapshotId, tags);
    },
    imageOnSnapshotsOf: async (imageId, name) =>
      cloud.images.addImage({
        name,
        tags: { 'ami-lifecycle:managed': 'true' },
        snapshotIds: cloud.images.image(imageId)?.snapshotIds ?? [],
      }),
    makePublic: async (imageId) => cloud.images.setPublic(imageId, true),
    setImageBlockPublicAccess: async (on) => cloud.images.setImageBlockPublicAccess(on),
  };
};

export const memoryParameters = async (): Promise<ParametersSubject> => {
  const cloud = createMemoryCloud();
  return {
    port: cloud.parameters,
    advance: advancing(cloud),
    availableImageIds: async () => [
      cloud.images.addImage({ name: 'golden-al2023-1', tags: { 'ami-lifecycle:managed': 'true' } }),
      cloud.images.addImage({ name: 'golden-al2023-2', tags: { 'ami-lifecycle:managed': 'true' } }),
    ],
  };
};

export const memoryCommands = async (): Promise<CommandsSubject> => {
  const cloud = createMemoryCloud();
  return {
    port: cloud.commands,
    advance: advancing(cloud),
    launchRunning: async () => (await launchRunning(cloud)).instanceId,
  };
};

export const memoryFindings = async (): Promise<FindingsSubject> => {
  const cloud = createMemoryCloud();
  return {
    port: cloud.findings,
    compute: cloud.compute,
    advance: advancing(cloud),
    launchRunning: (tags) => launchRunning(cloud, tags),
    makeVulnerable: async (instanceId) => {
      cloud.findings.addFinding({
        instanceId,
        cve: 'CVE-2024-38476',
        severity: 'CRITICAL',
        fixAvailable: true,
      });
    },
  };
};

export const memoryEvents = async (): Promise<EventsSubject> => {
  const cloud = createMemoryCloud({ busName: 'ami-lifecycle-test' });
  return {
    port: cloud.events,
    delivered: async () =>
      cloud.events.published().map((e) => ({
        eventId: e.eventId,
        source: e.entry.Source,
        detailType: e.detailType,
        detail: e.detail,
      })),
    refusing: async () => ({
      publisher: new MemoryEventPublisher({ refuse: { errorCode: 'MalformedDetail' } }),
      errorCode: 'MalformedDetail',
    }),
  };
};

export const memoryInventory = async (): Promise<InventorySubject> => {
  const clock = fixedClock('2026-03-01T00:00:00Z');
  const inventory = new MemoryInventory({ clock });
  const shared = new MemorySharedUsage({ region: inventory.region });
  const fakes = { owner: inventory, other: shared };
  return {
    inventory,
    shared,
    ownerAccountId: inventory.accountId,
    otherAccountId: shared.accountId,
    region: inventory.region,
    images: async (names, tags) =>
      names.map((name) => inventory.addImage({ name, tags, snapshots: [{ sizeGiB: 16 }] })),
    deprecate: async (imageId, at) => inventory.deprecateImage(imageId, at),
    disable: async (imageId) => inventory.setImageState(imageId, 'disabled'),
    protect: async (imageId) => inventory.setDeregistrationProtection(imageId, true),
    deregister: async (imageId) => inventory.deregisterImage(imageId),
    // The fakes do not model launch permissions: the other account may launch any image.
    share: async () => {},
    launch: async (imageId, account) => fakes[account].launchInstance(imageId),
    settleInstance: async (instanceId, account, state) => fakes[account].setInstanceState(instanceId, state),
    launchTemplate: async (account, _name, versions, defaultVersion) =>
      fakes[account].addLaunchTemplate({ versions: [...versions], defaultVersion }),
    putImageParameter: async (name, imageId) => {
      inventory.putImageParameter(name, imageId);
    },
    snapshotsOf: async (imageId) => inventory.image(imageId)?.snapshotIds ?? [],
    snapshotExists: async (snapshotId) => inventory.snapshot(snapshotId) !== undefined,
    advance: async (seconds) => clock.advance(seconds * 1000),
  };
};
