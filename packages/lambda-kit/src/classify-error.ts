import {
  HoldAlreadyExistsError,
  ImageAlreadyExistsError,
  PlanAlreadyExistsError,
} from '@ami-lifecycle/catalog';
import { ContractViolationError, UnknownDetailTypeError } from '@ami-lifecycle/contracts';
import {
  IllegalTransitionError,
  LIFECYCLE_STATES,
  type LifecycleState,
  nextStates,
  PermanentError,
} from '@ami-lifecycle/core';
import { InvalidEventError } from './errors';

/**
 * What the handler stack does with an error:
 * - `drop-invalid`: the message itself is malformed; the same bytes fail the same way on every retry.
 * - `reject`: the message is well formed but refused for good (a `PermanentError`: not ours, unknown,
 *   contradicting the catalog); a retry meets the same refusal.
 * - `drop-duplicate`: the effect already happened (or the image has moved past it); redelivery is the
 *   at-least-once normal case, so this is logged and acknowledged.
 * - `retry`: rethrown, so Lambda / EventBridge / Step Functions retry and finally dead-letter it.
 */
export type ErrorDisposition = 'drop-invalid' | 'reject' | 'drop-duplicate' | 'retry';

const isLifecycleState = (value: string): value is LifecycleState =>
  (LIFECYCLE_STATES as readonly string[]).includes(value);

/** Whether `to` can still be reached from `from` by legal transitions (through at least one step). */
const reachable = (from: LifecycleState, to: LifecycleState): boolean => {
  const seen = new Set<LifecycleState>();
  const queue = nextStates(from);
  for (let state = queue.shift(); state !== undefined; state = queue.shift()) {
    if (state === to) return true;
    if (seen.has(state)) continue;
    seen.add(state);
    queue.push(...nextStates(state));
  }
  return false;
};

/**
 * The one place that decides retry or drop, by error class. Decisions:
 *
 * - ContractViolationError, UnknownDetailTypeError, InvalidEventError (all raised while parsing the
 *   event at the edge) are `drop-invalid`. A bare ZodError is NOT: thrown from inside a use case it
 *   means a bug or bad stored data, not a bad message, and dropping would hide it.
 * - ImageAlreadyExistsError, PlanAlreadyExistsError, HoldAlreadyExistsError: a create that already
 *   happened, the signature of a redelivered event; `drop-duplicate`.
 * - PermanentError (UnmanagedImageError, FamilyNotConfiguredError, ImageNotPublishableError, ...):
 *   `reject`. The event names something that is not ours, does not exist, or is not what the catalog
 *   holds; nothing was written, and a day of retries would only delay the dead letter.
 * - IllegalTransitionError: `drop-duplicate` when the target state can no longer be reached from the
 *   current one (already there, behind it, on another branch, or terminal): the event is a duplicate
 *   or superseded, and retrying never helps. When the target is still ahead (`built -> approved`, the
 *   `inspecting` step not applied yet) the events arrived out of order, so `retry` lets the missing
 *   one land first.
 * - StaleImageError / TransitionConflictError, ConfigVersionConflictError, ChannelConflictError: an
 *   optimistic-lock race lost to another writer, which may have been a *different* event. Retrying the
 *   same write can never succeed, but re-running the use case re-reads and decides again, so `retry`;
 *   dropping would lose that event's effect.
 * - everything else (ImageNotFoundError included: the creating event may still be in flight): `retry`.
 */
export function classifyError(err: unknown): ErrorDisposition {
  if (
    err instanceof ContractViolationError ||
    err instanceof UnknownDetailTypeError ||
    err instanceof InvalidEventError
  ) {
    return 'drop-invalid';
  }
  if (
    err instanceof ImageAlreadyExistsError ||
    err instanceof PlanAlreadyExistsError ||
    err instanceof HoldAlreadyExistsError
  ) {
    return 'drop-duplicate';
  }
  if (err instanceof PermanentError) return 'reject';
  if (err instanceof IllegalTransitionError && isLifecycleState(err.from) && isLifecycleState(err.to)) {
    return reachable(err.from, err.to) ? 'retry' : 'drop-duplicate';
  }
  return 'retry';
}
