/**
 * The fuzz suite runs on fixed seeds, so a run is repeatable; `FUZZ_SEED=<n>` replays (or varies) it.
 * Each property derives its own seed from this one and its name, so one number replays every property.
 */
import fc from 'fast-check';

/** A whole number from the environment (`FUZZ_SEED`, the run counts), or `fallback` when unset. */
export const fuzzSetting = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  return value;
};

export const FUZZ_SEED: number = fuzzSetting('FUZZ_SEED', 20_260_301);

/** FNV-1a of the property's name mixed into the suite's seed: stable, and different per property. */
export const seedFor = (name: string): number => {
  let hash = 0x811c9dc5 ^ (FUZZ_SEED | 0);
  for (const char of name) {
    hash ^= char.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
};

/**
 * Checks a property on `numRuns` generated cases with the property's derived seed. A failure names the
 * suite seed to replay it with, besides fast-check's own report (counterexample, shrunk path).
 */
export const checkProperty = async <T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  predicate: (value: T) => Promise<void>,
  numRuns: number,
): Promise<void> => {
  const seed = seedFor(name);
  try {
    await fc.assert(fc.asyncProperty(arbitrary, predicate), {
      seed,
      numRuns,
      maxSkipsPerRun: 10,
      // A run (shrinking included) that takes longer than this fails rather than holding the suite up.
      interruptAfterTimeLimit: 60_000,
      markInterruptAsFailure: true,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      `${name} failed; replay with FUZZ_SEED=${FUZZ_SEED} (property seed ${seed})\n${message}`,
      { cause: error },
    );
  }
};
