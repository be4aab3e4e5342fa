import { fixedClock } from '@ami-lifecycle/core';
import { HOST_CLOCK, lambdaClock, registerHostClock } from '../src';

describe('the clock handlers read', () => {
  it('is the system clock when no host registered one', () => {
    const before = Date.now();
    const now = lambdaClock.now().getTime();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it("follows the host's clock while it is registered, and the system clock again once removed", () => {
    const sim = fixedClock('2026-03-01T00:00:00.000Z');
    const unregister = registerHostClock(sim);
    try {
      expect(lambdaClock.now().toISOString()).toBe('2026-03-01T00:00:00.000Z');
      sim.advance(90_000);
      expect(lambdaClock.now().toISOString()).toBe('2026-03-01T00:01:30.000Z');
    } finally {
      unregister();
    }
    expect(lambdaClock.now().getFullYear()).toBeGreaterThanOrEqual(2026);
    expect((globalThis as Record<symbol, unknown>)[HOST_CLOCK]).toBeUndefined();
  });

  it('uses the same registered symbol as the local cloud runtime', () => {
    expect(HOST_CLOCK).toBe(Symbol.for('ami-lifecycle.host-clock'));
  });
});
