import { type Clock, fixedClock } from '@ami-lifecycle/core';
import { MemoryCommands } from './memory-commands';
import { MemoryCompute } from './memory-compute';
import { MemoryEventPublisher } from './memory-event-publisher';
import { MemoryFindings } from './memory-findings';
import { MEMORY_REGION, type MemoryImages } from './memory-images';
import type { MemoryParameters } from './memory-parameters';
import { createMemoryRegions, type MemoryRegion } from './memory-regions';

export interface MemoryCloud {
  clock: Clock & { advance(ms: number): void; set(at: Date | string): void };
  compute: MemoryCompute;
  /** The home region's images (the first of `regions`). */
  images: MemoryImages;
  /** The home region's parameter store, validating against `images`. */
  parameters: MemoryParameters;
  /** The home region: `eu-west-1` unless `regions` says otherwise. */
  region: string;
  /** Every region's images and parameters, wired so copies find their source; the home region first. */
  regions: ReadonlyMap<string, MemoryRegion>;
  commands: MemoryCommands;
  findings: MemoryFindings;
  events: MemoryEventPublisher;
  /** Moves the shared clock on; every fake settles lazily on its next call. */
  advance(seconds: number): void;
}

/**
 * The fakes on one `fixedClock`, wired as the cloud wires them: launches need a known image,
 * images need a known instance, commands need a running instance, findings follow the instances,
 * parameters validate against the images. Compute, commands and findings are the home region's;
 * images and parameters exist for every region of `regions` (default `['eu-west-1']`).
 */
export const createMemoryCloud = (
  options: { start?: Date | string; busName?: string; regions?: readonly string[] } = {},
): MemoryCloud => {
  const clock = fixedClock(options.start ?? '2026-03-01T00:00:00Z');
  const compute = new MemoryCompute({ clock });
  const regions = createMemoryRegions(options.regions ?? [MEMORY_REGION], { clock });
  const home = [...regions.values()][0]!;
  const images = home.images;
  images.instanceExists = (id) => compute.instance(id) !== undefined;
  compute.imageExists = (id) => images.canLaunch(id);
  const commands = new MemoryCommands({ clock, instanceState: (id) => compute.instance(id)?.state });
  const findings = new MemoryFindings({
    clock,
    instance: (id) => {
      const i = compute.instance(id);
      return (
        i && { state: i.state, imageId: i.imageId, launchedAt: i.launchedAt.toISOString(), tags: i.tags }
      );
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
    parameters: home.parameters,
    region: home.region,
    regions,
    commands,
    findings,
    events,
    advance: (seconds) => clock.advance(seconds * 1000),
  };
};
