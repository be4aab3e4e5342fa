import type { DroppedEvent, KitHandler } from './create-handler';

/** A state machine step whose input the kit dropped (invalid or duplicate): a wiring bug the machine must see fail. */
export class StepInputRejectedError extends Error {
  constructor(
    readonly step: string,
    readonly dropped: DroppedEvent,
  ) {
    super(`${step} refused its input: ${dropped.error.message}`);
    this.name = 'StepInputRejectedError';
  }
}

const isDropped = (value: unknown): value is DroppedEvent =>
  typeof value === 'object' && value !== null && (value as { status?: unknown }).status === 'dropped';

/**
 * The kit acknowledges an invalid or duplicate event by returning `DroppedEvent`, which suits
 * EventBridge; a Step Functions task must fail instead. A returned `DroppedEvent` would become the
 * step's result, and the next Choice, reading a field it does not have, fails the execution with
 * `States.Runtime`, which no Catch sees: the cleanup path would never run.
 */
export const asStep = <T>(step: string, kit: KitHandler<T>) => {
  const run: (...args: Parameters<KitHandler<T>>) => Promise<T> = async (event, context) => {
    const result = await kit(event, context);
    if (isDropped(result)) throw new StepInputRejectedError(step, result);
    return result as T;
  };
  return run;
};
