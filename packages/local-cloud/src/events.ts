import type { CloudEvent, EventSink } from './types';

export type EventListener = (event: CloudEvent) => void;

/**
 * The events services emit (EC2 AMI State Change, ...), kept in order and handed to subscribers as they
 * happen: part 2 subscribes EventBridge delivery here. The log keeps the latest `limit` events so a cloud
 * left running for days does not grow without end.
 */
export class EventLog implements EventSink {
  private readonly log: CloudEvent[] = [];
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly limit = 10_000) {}

  emit(event: CloudEvent): void {
    this.log.push(event);
    if (this.log.length > this.limit) this.log.splice(0, this.log.length - this.limit);
    for (const listener of this.listeners) {
      // The emitting service is mid-operation: a failing subscriber must not fail the caller's request.
      try {
        listener(event);
      } catch (error) {
        console.error('local cloud: an event subscriber failed', error);
      }
    }
  }

  /** Calls `listener` for every event from now on; returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** The events kept so far, oldest first, optionally only those matching `filter`. */
  list(filter?: { source?: string; detailType?: string }): CloudEvent[] {
    return this.log.filter(
      (e) =>
        (filter?.source === undefined || e.source === filter.source) &&
        (filter?.detailType === undefined || e.detailType === filter.detailType),
    );
  }

  clear(): void {
    this.log.length = 0;
  }
}
