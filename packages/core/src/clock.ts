/** The only source of "now" in the domain; handlers pass the real one, tests and the local cloud their own. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that stays where it is put: for tests and replays. */
export const fixedClock = (
  at: Date | string,
): Clock & { set(at: Date | string): void; advance(ms: number): void } => {
  let current = new Date(at);
  return {
    now: () => new Date(current),
    set: (next) => {
      current = new Date(next);
    },
    advance: (ms) => {
      current = new Date(current.getTime() + ms);
    },
  };
};

export const DAY_MS = 86_400_000;
