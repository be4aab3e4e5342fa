import type { DetailOf } from '@ami-lifecycle/contracts';
import type { CatalogPort, Clock, EventPublisher, ImagePort, SweepGuards } from '@ami-lifecycle/core';
import type { UsageAccount, UsageSources } from './usage';

export type DecommissionDetailType =
  | 'Image Deprecated'
  | 'Image Disabled'
  | 'Image Retired'
  | 'Retention Sweep Completed';

/** The events the decommission service emits, as the contracts define them. */
export type DecommissionEvents = { [T in DecommissionDetailType]: DetailOf<T> };

/** What a sweep needs of the organisation's policy: where to look, whom to ask, and its guards. */
export interface SweepSettings {
  /** The stored organisation config's version: a sweep records it, and a change makes the next sweep a dry run. */
  version: number;
  /** What the first sweep under a new or changed policy does. */
  afterPolicyChange: 'dry-run' | 'apply';
  /** The organisation's enabled regions, the home region included. */
  regions: readonly string[];
  accounts: readonly UsageAccount[];
  guards: SweepGuards;
  /** USD per GiB-month of snapshot storage, per region. */
  prices: Readonly<Record<string, number>>;
}

export interface DecommissionDeps extends UsageSources {
  catalog: CatalogPort;
  events: EventPublisher<DecommissionEvents>;
  clock: Clock;
  /** The home region: where the catalog and the controller live. */
  region: string;
  /** EC2 images of the owner account in each region: deprecate, disable, deregister. */
  images: (region: string) => ImagePort;
  /** Recorded as the actor of audit records. */
  actor?: string;
}

export const DEFAULT_ACTOR = 'decommission-service';
