import { IllegalTransitionError } from './errors';
import { LIFECYCLE_STATES, type LifecycleState } from './model';

/** Every legal transition of design 3, with what causes it. Nothing else changes an image's state. */
export const TRANSITIONS: Readonly<
  Record<LifecycleState, Readonly<Partial<Record<LifecycleState, string>>>>
> = {
  building: { built: 'the image became available', failed: 'the build or image creation failed' },
  built: { inspecting: 'inspection started' },
  inspecting: {
    approved: 'the gate passed (automatic) or a person approved',
    rejected: 'the gate failed or a person rejected',
    failed: 'inspection could not complete',
  },
  approved: { published: 'publication completed', rejected: 'a person rejected before publication' },
  rejected: { retired: 'retention retired a rejected image' },
  published: { deprecated: 'retention deprecated it (stage 1 of 3)' },
  deprecated: { disabled: 'retention disabled it after the deprecation grace (stage 2 of 3)' },
  disabled: { retired: 'retention deregistered it after the disable grace (stage 3 of 3)' },
  retired: {},
  failed: { retired: 'retention retired a failed image' },
};

const order = new Map(LIFECYCLE_STATES.map((s, i) => [s, i]));
const STAGED: readonly LifecycleState[] = ['published', 'deprecated', 'disabled', 'retired'];

export const isLegalTransition = (from: LifecycleState, to: LifecycleState): boolean =>
  TRANSITIONS[from][to] !== undefined;

export const nextStates = (from: LifecycleState): LifecycleState[] =>
  Object.keys(TRANSITIONS[from]) as LifecycleState[];

/** Still in the build and inspection pipeline: made, being checked, or waiting to be published. */
export const IN_PIPELINE_STATES: ReadonlySet<LifecycleState> = new Set([
  'building',
  'built',
  'inspecting',
  'approved',
]);

export const isTerminal = (state: LifecycleState): boolean => nextStates(state).length === 0;

/** Explains why a transition is refused, so the error is useful to whoever hit it. */
const whyIllegal = (from: LifecycleState, to: LifecycleState): string => {
  if (from === to) return `the image is already ${from}`;
  if (isTerminal(from)) return `${from} is terminal`;
  const allowed = nextStates(from).join(', ');
  const fromStage = STAGED.indexOf(from);
  const toStage = STAGED.indexOf(to);
  if (fromStage >= 0 && toStage > fromStage + 1) {
    return `no image skips a stage: ${from} may only go to ${allowed}`;
  }
  if ((order.get(to) ?? 0) < (order.get(from) ?? 0)) {
    return `the lifecycle only moves forward; from ${from} the next states are ${allowed}`;
  }
  return `from ${from} the next states are ${allowed}`;
};

/** Returns the cause text of a legal transition, or throws `IllegalTransitionError` saying from, to and why. */
export const assertTransition = (from: LifecycleState, to: LifecycleState): string => {
  const cause = TRANSITIONS[from][to];
  if (cause === undefined) throw new IllegalTransitionError(from, to, whyIllegal(from, to));
  return cause;
};
