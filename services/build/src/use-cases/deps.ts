import type { DetailOf } from '@ami-lifecycle/contracts';
import type {
  CatalogPort,
  Clock,
  CommandPort,
  ComputePort,
  EventPublisher,
  ImagePort,
} from '@ami-lifecycle/core';

export type BuildDetailType = 'Image Built' | 'Image Build Failed';

/**
 * The events the build service emits, as the contracts define them. A mapped type over `DetailOf`, so
 * any publisher of the whole contract map (EventBridge, memory) is also a publisher of these.
 */
export type BuildEvents = { [T in BuildDetailType]: DetailOf<T> };

/** Everything the build use cases need; handlers wire the AWS adapters, tests the in-memory fakes. */
export interface BuildDeps {
  catalog: CatalogPort;
  compute: ComputePort;
  images: ImagePort;
  /** Runs the components on the builder (SSM Run Command). */
  commands: CommandPort;
  events: EventPublisher<BuildEvents>;
  clock: Clock;
  /** The home region: where builds run and where the parent's AMI id is read. */
  region: string;
  /** Recorded as the actor of audit records. */
  actor?: string;
}

export const DEFAULT_ACTOR = 'build-service';

/**
 * Starts executions of the build state machine. `alreadyStarted` means an execution of that name exists
 * (a redelivered `Build Requested`): Step Functions refuses a second one, which is what makes the name
 * the idempotency key of a build.
 */
export interface BuildExecutionsPort {
  start(name: string, input: unknown): Promise<{ executionArn: string; alreadyStarted: boolean }>;
}
