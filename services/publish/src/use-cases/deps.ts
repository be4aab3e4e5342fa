import type { DetailOf } from '@ami-lifecycle/contracts';
import type { CatalogPort, Clock, EventPublisher, ImagePort, ParameterPort } from '@ami-lifecycle/core';
import type { PublicationRequest } from './publication';

export type PublishDetailType = 'Image Approved' | 'Image Rejected' | 'Image Published';

/** The events the publish service emits, as the contracts define them. */
export type PublishEvents = { [T in PublishDetailType]: DetailOf<T> };

/** EC2 images and SSM parameters of one region; one client per region, built once. */
export type RegionalPorts = (region: string) => { images: ImagePort; parameters: ParameterPort };

/** Starts one run of the publish state machine; a publication already started answers `duplicate`. */
export interface PublicationStarter {
  start(request: PublicationRequest): Promise<{ outcome: 'started' | 'duplicate'; executionName: string }>;
}

/** Everything the publish use cases need; handlers wire the AWS adapters, tests the in-memory fakes. */
export interface PublishDeps {
  catalog: CatalogPort;
  events: EventPublisher<PublishEvents>;
  clock: Clock;
  regions: RegionalPorts;
  /** The home region: where images are built and from where they are copied. */
  region: string;
  /** Recorded as the actor of audit records. */
  actor?: string;
}

export const DEFAULT_ACTOR = 'publish-service';
