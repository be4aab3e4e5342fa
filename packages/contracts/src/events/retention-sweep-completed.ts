import { z } from 'zod';
import { EVENT_SOURCE, familyName, isoTimestamp, nonEmptyText, runId, tracing } from '../fields';
import { eventFixtures } from '../fixtures';

export const source = EVENT_SOURCE;
export const detailType = 'Retention Sweep Completed';
export const version = 1;

const count = z.int().nonnegative();

/**
 * One event per family swept: retention policy and its guards are per family, and consumers
 * filter on `family` like on every other detail. One scheduled run shares its `sweepId` across
 * families. There is no image `version`: a sweep is about the family, not one image.
 */
export const schema = z
  .strictObject({
    schemaVersion: z.literal(version),
    family: familyName,
    ...tracing,
    sweepId: runId,
    /** A dry run only wrote the plan; nothing was deprecated, disabled or retired. */
    dryRun: z.boolean(),
    /** When the inventory the plan is based on was taken; guards refuse stale inventory. */
    inventoryAt: isoTimestamp,
    /** Images per decision in the plan (applied only when not a dry run and the guard is ok). */
    counts: z.strictObject({ keep: count, deprecate: count, disable: count, retire: count }),
    /** Snapshot storage the sweep's retirements deleted, in every region. */
    snapshotGiBFreed: z.number().nonnegative(),
    /** What that storage cost a month, at the policy's per-region price (USD per GiB-month). */
    monthlyStorageCostSaved: z.strictObject({
      amount: z.number().nonnegative(),
      currency: z.literal('USD'),
    }),
    guard: z.discriminatedUnion('verdict', [
      z.strictObject({ verdict: z.literal('ok') }),
      z.strictObject({ verdict: z.literal('tripped'), reason: nonEmptyText }),
    ]),
  })
  .meta({ title: 'Retention Sweep Completed v1' });

export type RetentionSweepCompletedDetail = z.infer<typeof schema>;

/** Every schema version consumers still accept, keyed by `schemaVersion`. */
export const schemas = { 1: schema } as const;

export const fixtures = eventFixtures('retention-sweep-completed', {
  valid: ['valid-applied.json', 'valid-dry-run-tripped.json'],
  invalid: [
    'invalid-tripped-without-reason.json',
    'invalid-fractional-count.json',
    'invalid-dry-run-string.json',
    'invalid-negative-gib.json',
  ],
});
