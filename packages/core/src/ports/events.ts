import { DomainError } from '../errors';

/**
 * Publishes the controller's own events. `Details` maps each detail-type to its detail (the contracts
 * package's `DetailOf`); core does not depend on contracts, so the map is a type parameter.
 */
export interface EventPublisher<Details extends object = Record<string, unknown>> {
  /** Validates the detail against its contract, then puts it on the bus; answers the event id. */
  publish<T extends keyof Details & string>(detailType: T, detail: Details[T]): Promise<{ eventId: string }>;
}

/** The bus refused the event (EventBridge reported a failed entry). */
export class EventPublishError extends DomainError {
  constructor(
    readonly detailType: string,
    readonly errorCode: string,
    errorMessage: string,
  ) {
    super(`EventBridge refused "${detailType}": ${errorCode}: ${errorMessage}`);
  }
}
