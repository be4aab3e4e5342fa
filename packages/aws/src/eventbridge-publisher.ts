import { buildEntry, type DetailOf, type DetailType } from '@ami-lifecycle/contracts';
import { EventPublishError, type EventPublisher } from '@ami-lifecycle/core';
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { sharedEventBridgeClient } from './clients/eventbridge';
import { callAws } from './errors';

/** Every detail-type of the contracts mapped to its detail: the publisher's type parameter. */
export type ContractDetails = { [T in DetailType]: DetailOf<T> };

/**
 * `EventPublisher` over EventBridge. The detail is validated by its contract before it is sent, and a
 * failed entry (PutEvents answers 200 with `FailedEntryCount`) becomes `EventPublishError`.
 */
export class EventBridgePublisher implements EventPublisher<ContractDetails> {
  constructor(
    private readonly busName: string,
    private readonly eventBridge: EventBridgeClient = sharedEventBridgeClient(),
  ) {}

  async publish<T extends DetailType>(detailType: T, detail: DetailOf<T>): Promise<{ eventId: string }> {
    const entry = buildEntry(detailType, detail, this.busName);
    const out = await callAws('events', 'PutEvents', () =>
      this.eventBridge.send(new PutEventsCommand({ Entries: [entry] })),
    );
    const result = out.Entries?.[0];
    if ((out.FailedEntryCount ?? 0) > 0 || result?.ErrorCode || !result?.EventId)
      throw new EventPublishError(
        detailType,
        result?.ErrorCode ?? 'NoEventId',
        result?.ErrorMessage ?? 'no event id returned',
      );
    return { eventId: result.EventId };
  }
}
