import { z } from 'zod';

const days = z.number().nonnegative();

/**
 * A family's retention policy. Count and age rules follow EC2 Image Builder lifecycle policies:
 * `keepLatest` keeps the newest N published images; `maxAgeDays` expires older ones, but never the
 * newest `retainAtLeast`. Expired images walk deprecate -> disable -> retire with a grace between stages.
 */
export const retentionPolicySchema = z
  .strictObject({
    keepLatest: z.number().int().min(1),
    maxAgeDays: days.optional(),
    retainAtLeast: z.number().int().min(1).default(1),
    /** Days an expired, deprecated image waits before it is disabled. */
    disableAfterDeprecatedDays: days.default(14),
    /** Days a disabled image waits before it is deregistered with its snapshots. */
    retireAfterDisabledDays: days.default(14),
    /** An image seen in use or launched within this many days is treated as in use. */
    inUseGraceDays: days.default(30),
    /** Rejected and failed images never reach users, so they go on their own short policy. */
    failedRetireAfterDays: days.default(7),
    /** Per-family cap on retirements in one sweep; more trips the guard. */
    maxRetirementsPerRun: z.number().int().min(0).default(10),
    /**
     * Off unless given: a published image that lacks the latest patches (flagged vulnerable, or superseded
     * by a newer published image of the family built on a newer base) starts its staged retirement
     * `graceDays` after it became so, even within keepLatest; the never-rules still keep it while it is
     * used, held, pointed to or a parent, and the newest `retainAtLeast` (and the newest published image)
     * are never out of date.
     */
    outOfDate: z.strictObject({ graceDays: days }).optional(),
  })
  .superRefine((p, ctx) => {
    // Only meaningful once keepLatest itself is valid; otherwise the message would mislead.
    if (p.keepLatest >= 1 && p.retainAtLeast > p.keepLatest) {
      ctx.addIssue({
        code: 'custom',
        path: ['retainAtLeast'],
        message: `must not exceed keepLatest (${p.keepLatest})`,
      });
    }
  });
export type RetentionPolicy = z.infer<typeof retentionPolicySchema>;
export type RetentionPolicyInput = z.input<typeof retentionPolicySchema>;

/**
 * What a GiB-month of EBS snapshot storage costs when the policy names no price for a region: AWS's list
 * price of the standard tier in us-east-1 (USD 0.05). Prices differ per region; the policy may set each.
 */
export const DEFAULT_SNAPSHOT_PRICE_PER_GIB_MONTH = 0.05;

/** Organisation-wide guards on a sweep. A tripped guard turns the plan into "no action". */
export const sweepGuardsSchema = z.strictObject({
  maxRetirementsPerRun: z.number().int().min(0).default(50),
  /** Older inventory than this may miss a new use of an image, so the sweep refuses to act on it. */
  maxInventoryAgeMinutes: z.number().positive().default(60),
  /**
   * USD per GiB-month of snapshot storage, per region, for the savings a sweep reports; a region not
   * listed costs DEFAULT_SNAPSHOT_PRICE_PER_GIB_MONTH.
   */
  /**
   * The first sweep under a new or changed policy (the organisation's or a family's): `dry-run` only plans
   * for the families concerned, so a person can read the plan before anything is retired; `apply` acts at once.
   */
  afterPolicyChange: z.enum(['dry-run', 'apply']).default('dry-run'),
  snapshotPricePerGiBMonth: z
    .record(
      z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, 'must be an AWS region like eu-west-1'),
      z.number().positive().max(10),
    )
    .default({}),
});
export type SweepGuards = z.infer<typeof sweepGuardsSchema>;
