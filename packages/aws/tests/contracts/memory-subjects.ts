import {
  AL2023_PARAMETER,
  createMemoryCloud,
  type MemoryCloud,
  MemoryEventPublisher,
} from '../../src/memory';
import type { CommandsSubject } from './commands-contract';
import type { ComputeSubject } from './compute-contract';
import type { EventsSubject } from './events-contract';
import type { FindingsSubject } from './findings-contract';
import type { ImagesSubject } from './images-contract';

/** The fakes, each suite on its own memory cloud; `advance` moves the fakes' shared clock. */

const advancing = (cloud: MemoryCloud) => async (seconds: number) => cloud.advance(seconds);

const launchRunning = async (cloud: MemoryCloud) => {
  const imageId = await cloud.images.resolveSsmImageParameter(AL2023_PARAMETER);
  const { instanceId } = await cloud.compute.launchInstance({
    imageId,
    instanceType: 't3.micro',
    instanceProfile: 'ami-lifecycle-builder',
    tags: { 'ami-lifecycle:managed': 'true', Name: 'builder' },
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

export const memoryImages = async (): Promise<ImagesSubject> => {
  const cloud = createMemoryCloud();
  return {
    port: cloud.images,
    compute: cloud.compute,
    advance: advancing(cloud),
    snapshotIds: async () => cloud.images.snapshotIds(),
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
    launchRunning: () => launchRunning(cloud),
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
