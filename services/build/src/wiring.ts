/**
 * The build service's wiring as one object, for a caller that wants every adapter at once. The handlers
 * do not import it: each takes from `./wiring/` the adapters its use case needs, so that a function builds
 * and bundles those and their SDK clients only (`request-build` has no EC2 client). Every module there
 * reads the service's typed environment (`./wiring/env`) when it loads, and builds its adapter, once per
 * container, on first use.
 */

import type { BuildDeps, BuildExecutionsPort } from './use-cases/deps';
import { catalog } from './wiring/catalog';
import { commands } from './wiring/commands';
import { compute } from './wiring/compute';
import { events } from './wiring/events';
import { executions } from './wiring/executions';
import { home } from './wiring/home';
import { images } from './wiring/images';

export { env } from './wiring/env';

export const buildDeps: BuildDeps = {
  get catalog() {
    return catalog();
  },
  get compute() {
    return compute();
  },
  get images() {
    return images();
  },
  get commands() {
    return commands();
  },
  get events() {
    return events();
  },
  ...home,
};

export const buildExecutions: BuildExecutionsPort = {
  start: (name, input) => executions().start(name, input),
};
