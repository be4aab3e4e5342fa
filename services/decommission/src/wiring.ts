/**
 * The decommission service's wiring as one object: what the steps that read, plan and apply a sweep
 * take, every adapter of the service. The other handlers take from `./wiring/` the adapters their use
 * cases need. Every module there builds its adapter, once per container, on first use: regional clients
 * on first use of a region, another account's clients assuming its role, refreshed before they expire.
 */
import type { DecommissionDeps } from './use-cases/deps';
import { catalog } from './wiring/catalog';
import { events } from './wiring/events';
import { home } from './wiring/home';
import { imagesIn, inventoryIn } from './wiring/regions';
import { sharedUsage } from './wiring/shared-usage';

export const deps: DecommissionDeps = {
  get catalog() {
    return catalog();
  },
  get events() {
    return events();
  },
  ...home,
  images: imagesIn,
  inventory: inventoryIn,
  sharedUsage,
};

export { holdRegions } from './wiring/regions';
