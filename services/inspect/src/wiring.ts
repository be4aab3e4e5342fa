/**
 * The inspect service's wiring as one object, for a caller that wants every adapter at once. The handlers
 * do not import it: each takes from `./wiring/` the adapters its use case needs, so that a function builds
 * and bundles those and their SDK clients only (`request-inspection` has no EC2 client). Every module
 * there reads the service's typed environment (`./wiring/env`) when it loads, and builds its adapter,
 * once per container, on first use.
 */
import type { InspectDeps } from './use-cases/deps';
import { catalog } from './wiring/catalog';
import { commands } from './wiring/commands';
import { compute } from './wiring/compute';
import { events } from './wiring/events';
import { findings } from './wiring/findings';
import { home } from './wiring/home';

export const deps: InspectDeps = {
  get catalog() {
    return catalog();
  },
  get compute() {
    return compute();
  },
  get commands() {
    return commands();
  },
  get findings() {
    return findings();
  },
  get events() {
    return events();
  },
  ...home,
};

// The steps' adapter from the kit's `DroppedEvent` to a thrown error lives in the kit, shared with the
// build service.
export { asStep, StepInputRejectedError } from '@ami-lifecycle/lambda-kit';
export { inspectionStarter } from './wiring/starter';
