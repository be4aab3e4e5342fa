import {
  assertTransition,
  DomainError,
  IllegalTransitionError,
  isLegalTransition,
  isTerminal,
  LIFECYCLE_STATES,
  type LifecycleState,
  nextStates,
  TRANSITIONS,
} from '@ami-lifecycle/core';

/**
 * The legal transitions written out from design 3, by hand and on purpose: any change to the table in
 * `lifecycle.ts` must fail here until this list (and the design, or docs/architecture.md) agrees.
 *
 *   building -> built -> inspecting -> approved | rejected -> published -> deprecated -> disabled -> retired,
 *   plus failed from building / inspecting; rejected and failed images are retired by retention.
 *
 * One deliberate addition, recorded in docs/architecture.md: approved -> rejected, so a person can still
 * stop an approved image before publication completes.
 */
const DESIGN_3_TRANSITIONS: readonly (readonly [LifecycleState, LifecycleState])[] = [
  ['building', 'built'],
  ['building', 'failed'],
  ['built', 'inspecting'],
  ['inspecting', 'approved'],
  ['inspecting', 'rejected'],
  ['inspecting', 'failed'],
  ['approved', 'published'],
  ['approved', 'rejected'],
  ['published', 'deprecated'],
  ['deprecated', 'disabled'],
  ['disabled', 'retired'],
  ['rejected', 'retired'],
  ['failed', 'retired'],
];

const pairName = ([from, to]: readonly [string, string]) => `${from} -> ${to}`;
const designLegal = new Set(DESIGN_3_TRANSITIONS.map(pairName));
const allPairs = LIFECYCLE_STATES.flatMap((from) =>
  LIFECYCLE_STATES.map((to) => [from, to] as [LifecycleState, LifecycleState]),
);
const designIllegal = allPairs.filter((p) => !designLegal.has(pairName(p)));

/** Runs `act` and returns what it threw, failing the test if it threw nothing. */
const thrownBy = (act: () => unknown): unknown => {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw, but nothing was thrown');
};

describe('the lifecycle transition table', () => {
  it('allows exactly the transitions of design 3 and no others', () => {
    // Arrange
    const expected = [...designLegal].sort();

    // Act
    const actual = Object.entries(TRANSITIONS)
      .flatMap(([from, targets]) => Object.keys(targets).map((to) => `${from} -> ${to}`))
      .sort();

    // Assert
    expect(actual).toEqual(expected);
  });

  it('has a row for every lifecycle state and no other', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...LIFECYCLE_STATES].sort());
  });

  it('names a cause for every legal transition', () => {
    // Act
    const withoutCause = Object.entries(TRANSITIONS).flatMap(([from, targets]) =>
      Object.entries(targets)
        .filter(([, cause]) => !cause?.trim())
        .map(([to]) => `${from} -> ${to}`),
    );

    // Assert
    expect(withoutCause).toEqual([]);
  });

  it.each(DESIGN_3_TRANSITIONS)('allows %s -> %s and returns its cause', (from, to) => {
    // Act
    const cause = assertTransition(from, to);

    // Assert
    expect(cause).toBe(TRANSITIONS[from][to]);
    expect(isLegalTransition(from, to)).toBe(true);
    expect(nextStates(from)).toContain(to);
  });

  it.each(designIllegal)(
    'refuses %s -> %s with an IllegalTransitionError naming from, to and why',
    (from, to) => {
      // Act
      const error = thrownBy(() => assertTransition(from, to));

      // Assert
      expect(error).toBeInstanceOf(IllegalTransitionError);
      expect(error).toBeInstanceOf(DomainError);
      const e = error as IllegalTransitionError;
      expect(e.name).toBe('IllegalTransitionError');
      expect(e.from).toBe(from);
      expect(e.to).toBe(to);
      expect(e.why).toMatch(/\S/);
      expect(e.message).toBe(`illegal lifecycle transition ${from} -> ${to}: ${e.why}`);
      expect(isLegalTransition(from, to)).toBe(false);
    },
  );

  it('treats only retired as terminal', () => {
    expect(LIFECYCLE_STATES.filter(isTerminal)).toEqual(['retired']);
    expect(nextStates('retired')).toEqual([]);
  });

  it('lists the next states of an image in the order the table gives them', () => {
    expect(nextStates('building')).toEqual(['built', 'failed']);
    expect(nextStates('inspecting')).toEqual(['approved', 'rejected', 'failed']);
    expect(nextStates('published')).toEqual(['deprecated']);
  });
});

describe('why a transition is refused', () => {
  it('refuses to skip from published to disabled, saying no image skips a stage', () => {
    // Act
    const error = thrownBy(() => assertTransition('published', 'disabled')) as IllegalTransitionError;

    // Assert
    expect(error.message).toBe(
      'illegal lifecycle transition published -> disabled: no image skips a stage: published may only go to deprecated',
    );
  });

  it('refuses to skip from published to retired', () => {
    expect(() => assertTransition('published', 'retired')).toThrow(
      /published -> retired: no image skips a stage: published may only go to deprecated$/,
    );
  });

  it('refuses to skip from deprecated to retired', () => {
    expect(() => assertTransition('deprecated', 'retired')).toThrow(
      /deprecated -> retired: no image skips a stage: deprecated may only go to disabled$/,
    );
  });

  it.each(LIFECYCLE_STATES.filter((s) => s !== 'retired'))(
    'refuses to bring a retired image back to %s, because retired is terminal',
    (to) => {
      expect(() => assertTransition('retired', to)).toThrow(
        new IllegalTransitionError('retired', to, 'retired is terminal'),
      );
    },
  );

  it('refuses to move a published image back to building, because the lifecycle only moves forward', () => {
    // Act
    const error = thrownBy(() => assertTransition('published', 'building')) as IllegalTransitionError;

    // Assert
    expect(error.why).toBe('the lifecycle only moves forward; from published the next states are deprecated');
  });

  it('refuses to move a disabled image back to deprecated, because the lifecycle only moves forward', () => {
    expect(() => assertTransition('disabled', 'deprecated')).toThrow(/only moves forward/);
  });

  it.each(LIFECYCLE_STATES)('refuses to move a %s image to the state it is already in', (state) => {
    expect(() => assertTransition(state, state)).toThrow(
      new IllegalTransitionError(state, state, `the image is already ${state}`),
    );
  });

  it('refuses to publish a rejected image, naming where a rejected image may go', () => {
    expect(() => assertTransition('rejected', 'published')).toThrow(
      /rejected -> published: from rejected the next states are retired$/,
    );
  });

  it('refuses to approve an image that was never inspected, listing the next states', () => {
    expect(() => assertTransition('built', 'approved')).toThrow(
      /built -> approved: from built the next states are inspecting$/,
    );
  });

  it('names every allowed next state in the why of a refused move from a non-terminal state', () => {
    for (const [from, to] of designIllegal) {
      if (from === to || isTerminal(from) || isLegalTransition(from, to)) continue;
      const error = thrownBy(() => assertTransition(from, to)) as IllegalTransitionError;
      for (const next of nextStates(from)) expect(error.why).toContain(next);
    }
  });
});
