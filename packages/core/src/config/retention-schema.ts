import * as z from 'zod';

const days = z.number().nonnegative();

/**
 * A family's retention policy. Count and age rules follow EC2 Image Builder lifecycle policies:
 * `keepLatest` keeps the newest N published images; `maxAgeDays` expires older ones, but never the
 * newest `retainAtLeast`. Expired images walk deprecate -> disable -> retire with a grace between stages.
 */
export const retentionPolicySchema = z
  .strictObject({
    keepLatest: z
      .number()
      .int()
      .min(1)
      .describe(
        'Keep the newest N images of the published line (published, deprecated, disabled, ranked by creation time); older ones are expired.',
      ),
    maxAgeDays: days
      .optional()
      .describe(
        'Expire images of the published line older than this many days, except the newest `retainAtLeast`; no age limit when absent.',
      ),
    retainAtLeast: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe('The newest N images the age rule never expires; must not exceed `keepLatest`.'),
    disableAfterDeprecatedDays: days
      .default(14)
      .meta({ description: 'Days an expired, deprecated image waits before it is disabled.', examples: [7] }),
    retireAfterDisabledDays: days.default(14).meta({
      description: 'Days a disabled image waits before it is deregistered with its snapshots.',
      examples: [30],
    }),
    inUseGraceDays: days
      .default(30)
      .describe('An image seen in use or launched within this many days is treated as in use, and kept.'),
    failedRetireAfterDays: days.default(7).meta({
      description:
        'Days after which a rejected or failed image is retired: it never reached users, so it skips the staged retirement.',
      examples: [3],
    }),
    maxRetirementsPerRun: z
      .number()
      .int()
      .min(0)
      .default(10)
      .describe(
        'Per-family cap on retirements in one sweep; a plan with more trips the guard and does nothing.',
      ),
    outOfDate: z
      .strictObject({
        graceDays: days.describe(
          'Days after an image became out of date (flagged vulnerable, or superseded by an image on another base) before its staged retirement starts.',
        ),
      })
      .optional()
      .describe(
        'Off unless given: a published image that lacks the latest patches (flagged vulnerable, or superseded by a newer published image of the family built on another base) starts its staged retirement `graceDays` after it became so, even within `keepLatest`. The never-rules still keep it while it is used, held, pointed to or a parent, and the newest `retainAtLeast` (and the newest published image) are never out of date.',
      ),
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
  maxRetirementsPerRun: z
    .number()
    .int()
    .min(0)
    .default(50)
    .describe(
      'Organisation-wide cap on retirements in one sweep, over all families; a plan with more trips the guard and does nothing.',
    ),
  maxInventoryAgeMinutes: z
    .number()
    .positive()
    .default(60)
    .describe(
      'Older inventory than this may miss a new use of an image, so the sweep refuses to act on it (the guard trips).',
    ),
  afterPolicyChange: z
    .enum(['dry-run', 'apply'])
    .default('dry-run')
    .describe(
      "The first sweep under a new or changed policy (the organisation's or a family's): `dry-run` only plans for the families concerned, so a person can read the plan before anything is retired; `apply` acts at once. Any change counts, one to `notify` or `build` too: the sweep compares the stored configs' versions.",
    ),
  snapshotPricePerGiBMonth: z
    .record(
      z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, 'must be an AWS region like eu-west-1'),
      z.number().positive().max(10),
    )
    .default({})
    .describe(
      `USD per GiB-month of snapshot storage, per region, for the savings a sweep reports; a region not listed costs ${DEFAULT_SNAPSHOT_PRICE_PER_GIB_MONTH} (the standard tier in us-east-1).`,
    ),
});
export type SweepGuards = z.infer<typeof sweepGuardsSchema>;
