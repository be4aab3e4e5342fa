import type { DetailOf } from '@ami-lifecycle/contracts';
import type {
  CatalogPort,
  Clock,
  CommandPort,
  ComputePort,
  EventPublisher,
  FindingsPort,
} from '@ami-lifecycle/core';
import type { InspectionRequest } from './inspection';

export type InspectDetailType =
  | 'Image Inspection Completed'
  | 'Image Approved'
  | 'Image Rejected'
  | 'Image Vulnerable';

/** The events the inspect service emits, as the contracts define them. */
export type InspectEvents = { [T in InspectDetailType]: DetailOf<T> };

/** Starts one run of the inspect state machine; a request already started answers `duplicate`. */
export interface InspectionStarter {
  start(request: InspectionRequest): Promise<{ outcome: 'started' | 'duplicate'; executionName: string }>;
}

/** Everything the inspect use cases need; handlers wire the AWS adapters, tests the in-memory fakes. */
export interface InspectDeps {
  catalog: CatalogPort;
  compute: ComputePort;
  commands: CommandPort;
  findings: FindingsPort;
  events: EventPublisher<InspectEvents>;
  clock: Clock;
  /** The home region: where images are inspected and whose AMI id is read. */
  region: string;
  /** Recorded as the actor of audit records. */
  actor?: string;
}

export const DEFAULT_ACTOR = 'inspect-service';
