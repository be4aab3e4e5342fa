import { planRetention } from '@ami-lifecycle/core';
import fc from 'fast-check';
import { planInputArb } from './support/arbitraries';

// Its own file, so jest runs it beside the other planner properties instead of after them.
const RUNS = { numRuns: 10_000 };

describe('retention planner: usage facts from several accounts', () => {
  it('plans the same whatever order the usage facts come in', () => {
    fc.assert(
      fc.property(planInputArb, (input) => {
        const reversed = planRetention({ ...input, usage: [...input.usage].reverse() });
        expect(reversed).toEqual(planRetention(input));
      }),
      RUNS,
    );
  });
});
