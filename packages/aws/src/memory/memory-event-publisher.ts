import { buildEntry, type DetailOf, type DetailType, type PutEventsEntry } from '@ami-lifecycle/contracts';
import { type Clock, EventPublishError, type EventPublisher, systemClock } from '@ami-lifecycle/core';
import type { ContractDetails } from '../eventbridge-publisher';

/** One event the fake accepted, as it would have gone on the bus. */
export interface PublishedEvent<T extends DetailType = DetailType> {
  eventId: string;
  detailType: T;
  /** The detail as validated and serialised by its contract, parsed back: what consumers would read. */
  detail: DetailOf<T>;
  entry: PutEventsEntry<T>;
  at: Date;
}

export interface MemoryEventPublisherOptions {
  busName?: string;
  clock?: Clock;
  /** Refuse every publish with this code (after validation): a bus that is down. */
  refuse?: { errorCode: string; errorMessage?: string };
}

/**
 * `EventPublisher` in memory with `EventBridgePublisher`'s semantics: the detail is validated by its
 * contract first (`ContractViolationError`, nothing recorded), and a refusal set with `failNext`
 * becomes `EventPublishError`, as a failed PutEvents entry does.
 */
export class MemoryEventPublisher implements EventPublisher<ContractDetails> {
  private readonly busName: string;
  private readonly clock: Clock;
  private readonly events: PublishedEvent[] = [];
  private readonly failures: { errorCode: string; errorMessage: string }[] = [];
  private readonly refuse: { errorCode: string; errorMessage: string } | undefined;
  private counter = 0;

  constructor(options: MemoryEventPublisherOptions = {}) {
    this.busName = options.busName ?? 'ami-lifecycle';
    this.clock = options.clock ?? systemClock;
    this.refuse = options.refuse && {
      errorCode: options.refuse.errorCode,
      errorMessage: options.refuse.errorMessage ?? 'refused by the memory bus',
    };
  }

  async publish<T extends DetailType>(detailType: T, detail: DetailOf<T>): Promise<{ eventId: string }> {
    const entry = buildEntry(detailType, detail, this.busName);
    const failure = this.failures.shift() ?? this.refuse;
    if (failure) throw new EventPublishError(detailType, failure.errorCode, failure.errorMessage);
    this.counter += 1;
    const eventId = `00000000-0000-4000-a000-${this.counter.toString(16).padStart(12, '0')}`;
    this.events.push({
      eventId,
      detailType,
      detail: JSON.parse(entry.Detail) as DetailOf<T>,
      entry,
      at: this.clock.now(),
    } as PublishedEvent);
    return { eventId };
  }

  // --- test controls -------------------------------------------------------------------------------

  /** Every accepted event, in order; with a detail-type, only those. */
  published<T extends DetailType>(detailType?: T): PublishedEvent<T>[] {
    return this.events.filter(
      (e) => detailType === undefined || e.detailType === detailType,
    ) as unknown as PublishedEvent<T>[];
  }

  /** The bus refuses the next publish (after validation), as a failed PutEvents entry would. */
  failNext(errorCode = 'InternalFailure', errorMessage = 'refused by the memory bus'): void {
    this.failures.push({ errorCode, errorMessage });
  }

  /** Forgets what was published. */
  clear(): void {
    this.events.length = 0;
  }
}
