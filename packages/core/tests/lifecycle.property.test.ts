import {
  assertTransition,
  IllegalTransitionError,
  isLegalTransition,
  isTerminal,
  LIFECYCLE_STATES,
  type LifecycleState,
  nextStates,
} from '@ami-lifecycle/core';
import fc from 'fast-check';

// The project asks for at least 10,000 generated cases per property.
const RUNS = { numRuns: 10_000 };

const stateArb = fc.constantFrom(...LIFECYCLE_STATES);
const KNOWN_STATES = new Set<string>(LIFECYCLE_STATES);
const RETIRES_FROM = new Set<LifecycleState>(['disabled', 'rejected', 'failed']);

/** Every state reachable from `start` by legal moves, `start` itself only if a cycle leads back to it. */
const reachableFrom = (start: LifecycleState): Set<LifecycleState> => {
  const seen = new Set<LifecycleState>();
  const queue = [...nextStates(start)];
  for (let i = 0; i < queue.length; i++) {
    const s = queue[i]!;
    if (seen.has(s)) continue;
    seen.add(s);
    queue.push(...nextStates(s));
  }
  return seen;
};

/**
 * One step of a walk: either a random legal move (so walks get deep into the lifecycle) or a random
 * attempted target, legal or not (so every refusal is exercised from every depth).
 */
const stepArb = fc.record({
  pickLegal: fc.boolean(),
  legalIndex: fc.nat(),
  target: stateArb,
});

describe('lifecycle transition properties', () => {
  it('throws from assertTransition exactly when isLegalTransition says the move is illegal', () => {
    fc.assert(
      fc.property(stateArb, stateArb, (from, to) => {
        // Arrange
        const legal = isLegalTransition(from, to);

        // Act
        let thrown: unknown;
        try {
          assertTransition(from, to);
        } catch (error) {
          thrown = error;
        }

        // Assert
        if (legal) return thrown === undefined;
        return (
          thrown instanceof IllegalTransitionError &&
          thrown.from === from &&
          thrown.to === to &&
          thrown.message.includes(`${from} -> ${to}: `) &&
          thrown.why.trim().length > 0
        );
      }),
      RUNS,
    );
  });

  it('keeps a random walk from building inside the lifecycle, moving only on legal transitions', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 40 }), (steps) => {
        // Arrange
        let state: LifecycleState = 'building';

        for (const step of steps) {
          const options = nextStates(state);
          const target: LifecycleState =
            step.pickLegal && options.length > 0 ? options[step.legalIndex % options.length]! : step.target;
          const legal = isLegalTransition(state, target);
          const before: LifecycleState = state;

          // Act
          try {
            assertTransition(state, target);
            state = target;
          } catch (error) {
            if (!(error instanceof IllegalTransitionError)) throw error;
          }

          // Assert (plain checks: jest matchers are too slow for 10,000 walks of 40 steps)
          const move = `${before} -> ${target}`;
          if (!KNOWN_STATES.has(state)) throw new Error(`${move} left the lifecycle: ${state}`);
          if (legal && state !== target) throw new Error(`${move} is legal but the state stayed ${state}`);
          if (!legal && state !== before) throw new Error(`${move} is illegal but the state became ${state}`);
          if (before === 'retired' && state !== 'retired') throw new Error(`${move} left retired`);
          if (state === 'retired' && before !== 'retired' && !RETIRES_FROM.has(before)) {
            throw new Error(`${move} reached retired without passing disabled, rejected or failed`);
          }
        }
      }),
      RUNS,
    );
  });

  it('ends every walk of legal moves from building in retired, within one move per state', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: LIFECYCLE_STATES.length }), (choices) => {
        // Arrange
        let state: LifecycleState = 'building';
        let moves = 0;

        // Act
        for (const choice of choices) {
          const options = nextStates(state);
          if (options.length === 0) break;
          state = options[choice % options.length]!;
          moves++;
        }

        // Assert
        return state === 'retired' && moves < LIFECYCLE_STATES.length;
      }),
      RUNS,
    );
  });

  it('reaches every state from building, reaches retired from every state, and never cycles', () => {
    const fromBuilding = reachableFrom('building');
    fc.assert(
      fc.property(stateArb, (state) => {
        // Act
        const onward = reachableFrom(state);

        // Assert
        const reachableFromBuilding = state === 'building' || fromBuilding.has(state);
        const reachesRetired = state === 'retired' || onward.has('retired');
        const acyclic = !onward.has(state);
        const terminalOnlyIfRetired = isTerminal(state) === (state === 'retired');
        return reachableFromBuilding && reachesRetired && acyclic && terminalOnlyIfRetired;
      }),
      RUNS,
    );
  });
});
