import { type Clock, fixedClock } from '@ami-lifecycle/core';
import { MemoryCommands } from './memory-commands';
import { MemoryCompute } from './memory-compute';
import { MemoryEventPublisher } from './memory-event-publisher';
import { MemoryFindings } from './memory-findings';
import { MemoryImages } from './memory-images';

export interface MemoryCloud {
  clock: Clock & { advance(ms: number): void; set(at: Date | string): void };
  compute: MemoryCompute;
  images: MemoryImages;
  commands: MemoryCommands;
  findings: MemoryFindings;
  events: MemoryEventPublisher;
  /** Moves the shared clock on; every fake settles lazily on its next call. */
  advance(seconds: number): void;
}

/**
 * The five fakes on one `fixedClock`, wired as the cloud wires them: launches need a known image,
 * images need a known instance, commands need a running instance, findings follow the instances.
 */
export const createMemoryCloud = (options: { start?: Date | string; busName?: string } = {}): MemoryCloud => {
  const clock = fixedClock(options.start ?? '2026-03-01T00:00:00Z');
  const compute = new MemoryCompute({ clock });
  const images = new MemoryImages({
    clock,
    instanceExists: (id) => compute.instance(id) !== undefined,
  });
  compute.imageExists = (id) => images.canLaunch(id);
  const commands = new MemoryCommands({ clock, instanceState: (id) => compute.instance(id)?.state });
  const findings = new MemoryFindings({
    clock,
    instance: (id) => {
      const i = compute.instance(id);
      return i && { state: i.state, imageId: i.imageId, launchedAt: i.launchedAt.toISOString() };
    },
  });
  const events = new MemoryEventPublisher({
    clock,
    ...(options.busName ? { busName: options.busName } : {}),
  });
  return {
    clock,
    compute,
    images,
    commands,
    findings,
    events,
    advance: (seconds) => clock.advance(seconds * 1000),
  };
};
