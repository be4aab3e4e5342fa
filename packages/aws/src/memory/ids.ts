/** Deterministic AWS-shaped ids: `prefix-` and 17 hex digits from a per-fake counter. */
export const idSequence = (prefix: string, seed = 0) => {
  let n = seed;
  return (): string => {
    n += 1;
    return `${prefix}-${n.toString(16).padStart(17, '0')}`;
  };
};

/** ISO-8601 without milliseconds, as EC2 reports times. */
export const isoSeconds = (d: Date): string => `${d.toISOString().slice(0, 19)}.000Z`;
