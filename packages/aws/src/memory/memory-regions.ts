import type { Clock } from '@ami-lifecycle/core';
import { MemoryImages } from './memory-images';
import { MemoryParameters } from './memory-parameters';

/** One region of the fake account: its images and its parameter store, which validates against them. */
export interface MemoryRegion {
  region: string;
  images: MemoryImages;
  parameters: MemoryParameters;
}

export interface MemoryRegionsOptions {
  clock: Clock;
  accountId?: string;
  /** `MemoryImages`' creationSeconds, for every region. */
  creationSeconds?: number;
  /** `MemoryImages`' copySeconds, for every region. */
  copySeconds?: number;
  /** `MemoryParameters`' validationSeconds, for every region. */
  validationSeconds?: number;
}

/** Far apart enough that the id counters of two regions never meet. */
const ID_SEED_STRIDE = 2 ** 40;

/**
 * One `MemoryImages` + `MemoryParameters` per region on one clock, wired so that a copy in any region
 * finds its source in the region it names, and `resolveSsmImageParameter` reads the region's
 * parameters (a validated `putImageParameter` included). The first region's ids are those of a lone `MemoryImages`;
 * every other region counts from its own range, so no two regions share an image or snapshot id.
 */
export const createMemoryRegions = (
  regions: readonly string[],
  options: MemoryRegionsOptions,
): Map<string, MemoryRegion> => {
  if (regions.length === 0) throw new RangeError('createMemoryRegions needs at least one region');
  if (new Set(regions).size !== regions.length) throw new RangeError(`a region is listed twice: ${regions}`);
  const map = new Map<string, MemoryRegion>();
  regions.forEach((region, i) => {
    const images = new MemoryImages({
      clock: options.clock,
      region,
      regionLookup: (r) => map.get(r)?.images,
      idSeed: i * ID_SEED_STRIDE,
      ...(options.accountId === undefined ? {} : { accountId: options.accountId }),
      ...(options.creationSeconds === undefined ? {} : { creationSeconds: options.creationSeconds }),
      ...(options.copySeconds === undefined ? {} : { copySeconds: options.copySeconds }),
    });
    const parameters = new MemoryParameters({
      clock: options.clock,
      images,
      ...(options.validationSeconds === undefined ? {} : { validationSeconds: options.validationSeconds }),
    });
    images.ssmParameter = (name) => parameters.current(name)?.value;
    map.set(region, { region, images, parameters });
  });
  return map;
};
