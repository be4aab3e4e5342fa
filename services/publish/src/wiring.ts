/**
 * The publish service's wiring as one object, for a caller that wants every adapter at once. The handlers
 * do not import it: each takes from `./wiring/` the adapters its use case needs, so that a function builds
 * and bundles those and their SDK clients only (`plan-publication` has no EC2 client). Every module there
 * builds its adapter, once per container, on first use; regional clients on first use of a region.
 */
import type { PublishDeps } from './use-cases/deps';
import { catalog } from './wiring/catalog';
import { events } from './wiring/events';
import { home } from './wiring/home';
import { regions } from './wiring/regions';

export const deps: PublishDeps = {
  get catalog() {
    return catalog();
  },
  get events() {
    return events();
  },
  regions,
  ...home,
};

export { asStep } from '@ami-lifecycle/lambda-kit';
export { publicationStarter } from './wiring/starter';
