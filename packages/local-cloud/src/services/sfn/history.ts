import { epochSeconds, paginate } from './wire';

/**
 * An execution's event history as `GetExecutionHistory` returns it: AWS's event types and detail
 * members, ids from 1, timestamps on the simulated clock. The engine adapter (`engine.ts`) decides what
 * to record; this module keeps the order and the numbering and renders pages.
 */

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  /** Epoch milliseconds on the simulated clock. */
  timestamp: number;
  type: string;
  /** The event's detail member(s), e.g. `{ stateEnteredEventDetails: { name, input, inputDetails } }`. */
  details: Record<string, Record<string, unknown>>;
}

/** How AWS carries data in history events: JSON text plus a flag saying whether it was cut short. */
export const jsonText = (value: unknown): string => JSON.stringify(value ?? null);
export const untruncated = { truncated: false } as const;

const DATA_FIELDS = new Set(['input', 'output', 'inputDetails', 'outputDetails', 'parameters']);

export class ExecutionHistory {
  private readonly events: HistoryEvent[] = [];

  /**
   * Appends an event. Timestamps never go backwards, even if a caller captured `at` before an event that
   * was appended first: readers sort and diff by time.
   */
  add(type: string, at: number, details: HistoryEvent['details'] = {}): HistoryEvent {
    const last = this.events[this.events.length - 1];
    // AWS links the first state's entry to 0 rather than to ExecutionStarted (as recorded histories show).
    const previousEventId =
      !last || (this.events.length === 1 && type.endsWith('StateEntered')) ? 0 : last.id;
    const event: HistoryEvent = {
      id: (last?.id ?? 0) + 1,
      previousEventId,
      timestamp: Math.max(at, last?.timestamp ?? at),
      type,
      details,
    };
    this.events.push(event);
    return event;
  }

  /** Takes over the events of a history saved earlier (this one must still be empty). */
  restore(events: readonly HistoryEvent[]): void {
    if (this.events.length > 0) throw new Error('a history can only be restored into an empty one');
    this.events.push(...events);
  }

  list(): readonly HistoryEvent[] {
    return this.events;
  }

  /** One page in the wire shape, oldest first unless `reverseOrder`. */
  page(opts: {
    listing: string;
    maxResults: number;
    nextToken?: string | undefined;
    reverseOrder: boolean;
    includeExecutionData: boolean;
  }): { events: Record<string, unknown>[]; nextToken?: string } {
    const ordered = opts.reverseOrder ? [...this.events].reverse() : this.events;
    const { page, nextToken } = paginate(ordered, (e) => e.id, {
      listing: `${opts.listing}:${opts.reverseOrder ? 'desc' : 'asc'}`,
      maxResults: opts.maxResults,
      nextToken: opts.nextToken,
      descending: opts.reverseOrder,
    });
    return {
      events: page.map((e) => renderEvent(e, opts.includeExecutionData)),
      ...(nextToken ? { nextToken } : {}),
    };
  }
}

const renderEvent = (e: HistoryEvent, includeData: boolean): Record<string, unknown> => {
  const out: Record<string, unknown> = {
    id: e.id,
    previousEventId: e.previousEventId,
    timestamp: epochSeconds(e.timestamp),
    type: e.type,
  };
  for (const [key, value] of Object.entries(e.details)) {
    out[key] = includeData
      ? value
      : Object.fromEntries(Object.entries(value).filter(([field]) => !DATA_FIELDS.has(field)));
  }
  return out;
};
