import * as z from 'zod';
import { familyNameSchema, imageRefSchema, isoTimestampSchema } from './model';

/** What made the refresh service look at a family (the `reason` its `Build Requested` carries). */
export const REFRESH_TRIGGERS = ['parent-published', 'vulnerable', 'stale-base'] as const;
export type RefreshTrigger = (typeof REFRESH_TRIGGERS)[number];

/** Why a family was not rebuilt. */
export const REFRESH_SKIPS = [
  /** The family's `refresh` policy does not rebuild on this trigger. */
  'policy-off',
  /** An image with the same build key is already on its way or published. */
  'build-key-unchanged',
  /** A newer build of the family is already under way. */
  'already-rebuilding',
  /** The trigger asked for more builds than one trigger may start. */
  'fan-out-cap',
  /** The trigger was caused by the family's own publication (or an ancestor's of it). */
  'loop',
  /** The image the trigger names is no longer what any channel points to. */
  'superseded',
  /** A rebuild would build on the same base again: nothing newer to build on. */
  'nothing-newer',
] as const;
export type RefreshSkip = (typeof REFRESH_SKIPS)[number];

/** Decision keys are key parts of the catalog, so they never contain `#`, and they stay readable. */
const triggerKeySchema = z
  .string()
  .max(400)
  .regex(/^[a-z-]+:[A-Za-z0-9@._:/+-]+$/, 'must be <trigger>:<what> of letters, digits and @ . _ : / + -');

/**
 * One answer of the refresh service for one family and one trigger: a rebuild requested, or why not. At
 * most one per family and `triggerKey` is kept: a requested rebuild is final, a skipped one may later be
 * replaced by a request (the daily run catches up what a fan-out cap or a lost event left out).
 */
export const refreshDecisionSchema = z
  .strictObject({
    family: familyNameSchema,
    /** `parent-published:<family>@<version>`, `vulnerable:<family>@<version>`, `stale-base:<YYYY-MM-DD>`... */
    triggerKey: triggerKeySchema,
    trigger: z.enum(REFRESH_TRIGGERS),
    /** The image whose publication or vulnerability this answers; absent for a stale base. */
    triggerImage: imageRefSchema.optional(),
    outcome: z.enum(['requested', 'skipped']),
    skip: z.enum(REFRESH_SKIPS).optional(),
    /** Said to a person: what was decided and why, with the versions and ages that decided it. */
    reason: z.string().min(1).max(2048),
    /** The `Build Requested` answered (requested only); re-emitted as is until its build exists. */
    request: z
      .strictObject({
        idempotencyKey: z.string().min(1).max(256),
        /** The parent image to build on; absent means the build resolves its source or channel itself. */
        parent: imageRefSchema.optional(),
        force: z.boolean(),
      })
      .optional(),
    correlationId: z.string().min(1).max(128),
    decidedAt: isoTimestampSchema,
    decidedBy: z.string().min(1).max(256),
  })
  .superRefine((d, ctx) => {
    if (d.outcome === 'requested' && (d.request === undefined || d.skip !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['request'],
        message: 'a requested rebuild carries its request and no skip',
      });
    }
    if (d.outcome === 'skipped' && (d.skip === undefined || d.request !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['skip'],
        message: 'a skipped rebuild carries its skip and no request',
      });
    }
  });
export type RefreshDecision = z.infer<typeof refreshDecisionSchema>;

/** What storing a decision ended with: the decision now on record, and whether this call wrote it. */
export interface RecordedRefreshDecision {
  decision: RefreshDecision;
  /** False when a decision for the family and trigger was already on record and is kept. */
  written: boolean;
}
