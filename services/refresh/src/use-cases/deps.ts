import type { DetailOf } from '@ami-lifecycle/contracts';
import type { CatalogPort, Clock, EventPublisher } from '@ami-lifecycle/core';

/** The only event the refresh service emits: it never builds anything itself. */
export type RefreshEvents = { [T in 'Build Requested']: DetailOf<T> };

export interface RefreshDeps {
  catalog: CatalogPort;
  events: EventPublisher<RefreshEvents>;
  clock: Clock;
  /** The home region: where images are built. */
  region: string;
  /** At most this many rebuilds requested for one trigger (one event, one daily run). */
  maxBuildsPerTrigger: number;
  /** Who decided, in decision records and as `requestedBy` of the builds. */
  actor?: string;
}

export const DEFAULT_ACTOR = 'refresh-service';
/** The fan-out cap when the deployment does not set one. */
export const DEFAULT_MAX_BUILDS_PER_TRIGGER = 20;
