import { type Clock, systemClock } from '@ami-lifecycle/core';

/**
 * Where a host that runs handlers in its own process (the embedded local cloud) puts the clock they
 * must read. A registered symbol, so host and handlers agree on it without importing each other.
 */
export const HOST_CLOCK = Symbol.for('ami-lifecycle.host-clock');

type HostGlobal = typeof globalThis & { [HOST_CLOCK]?: Clock };

/**
 * The clock a handler's use cases get: the host's when one is registered (the local cloud's simulated
 * clock, so builds, waivers and schedules agree with the instances and scans it simulates), the
 * system clock on Lambda. Read on every call, so a module-scope clock follows a host started later.
 */
export const lambdaClock: Clock = {
  now: () => ((globalThis as HostGlobal)[HOST_CLOCK] ?? systemClock).now(),
};

/** Registers the host's clock for `lambdaClock`; answers a function that removes it again. */
export const registerHostClock = (clock: Clock): (() => void) => {
  const host = globalThis as HostGlobal;
  host[HOST_CLOCK] = clock;
  return () => {
    if (host[HOST_CLOCK] === clock) delete host[HOST_CLOCK];
  };
};
