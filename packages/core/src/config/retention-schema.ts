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

/** Organisation-wide guards on a sweep. A tripped guard turns the plan into "no action". */
export const sweepGuardsSchema = z.strictObject({
  maxRetirementsPerRun: z.number().int().min(0).default(50),
  /** Older inventory than this may miss a new use of an image, so the sweep refuses to act on it. */
  maxInventoryAgeMinutes: z.number().positive().default(60),
});
export type SweepGuards = z.infer<typeof sweepGuardsSchema>;
