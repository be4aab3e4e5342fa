import * as z from 'zod';
import { EVENT_SOURCE, familyName, isoTimestamp, nonEmptyText, runId, tracing } from '../fields';
import { eventFixtures } from '../fixtures';

export const source = EVENT_SOURCE;
export const detailType = 'Retention Sweep Completed';
export const version = 2;

const count = z.int().nonnegative();

const common = {
  family: familyName,
  ...tracing,
  sweepId: runId,
  /** A dry run only wrote the plan; nothing was deprecated, disabled or retired. */
  dryRun: z.boolean(),
  /** When the inventory the plan is based on was taken; guards refuse stale inventory. */
  inventoryAt: isoTimestamp,
  /** Images per decision in the plan (applied only when not a dry run and the guard is ok). */
  counts: z.strictObject({ keep: count, deprecate: count, disable: count, retire: count }),
  guard: z.discriminatedUnion('verdict', [
    z.strictObject({ verdict: z.literal('ok') }),
    z.strictObject({ verdict: z.literal('tripped'), reason: nonEmptyText }),
  ]),
};

/**
 * One event per family swept: retention policy and its guards are per family, and consumers
 * filter on `family` like on every other detail. One scheduled run shares its `sweepId` across
 * families. There is no image `version`: a sweep is about the family, not one image.
 */
export const schemaV1 = z
  .strictObject({ schemaVersion: z.literal(1), ...common })
  .meta({ title: 'Retention Sweep Completed v1' });

/** v2: what the sweep's actions came to, and the snapshot storage and cost its retirements freed. */
export const schema = z
  .strictObject({
    schemaVersion: z.literal(version),
    ...common,
    /** The family's actions carried out, skipped (the re-check before acting refused) and failed. */
    actions: z.strictObject({ done: count, skipped: count, failed: count }),
    /** Snapshot storage the sweep's retirements deleted, in every region. */
    snapshotGiBFreed: z.number().nonnegative(),
    /** What that storage cost a month, at the policy's per-region price (USD per GiB-month). */
    monthlyStorageCostSaved: z.strictObject({
      amount: z.number().nonnegative(),
      currency: z.literal('USD'),
    }),
  })
  .meta({ title: 'Retention Sweep Completed v2' });

export type RetentionSweepCompletedDetail = z.infer<typeof schema>;

/** Every schema version consumers still accept, keyed by `schemaVersion`. */
export const schemas = { 1: schemaV1, 2: schema } as const;

export const fixtures = eventFixtures('retention-sweep-completed', {
  valid: [
    'valid-applied.json',
    'valid-dry-run-tripped.json',
    'valid-v2-applied.json',
    'valid-v2-dry-run-tripped.json',
  ],
  invalid: [
    'invalid-tripped-without-reason.json',
    'invalid-fractional-count.json',
    'invalid-dry-run-string.json',
    'invalid-v2-negative-gib.json',
    'invalid-v2-fractional-failed.json',
  ],
});
