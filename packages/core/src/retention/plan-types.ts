import * as z from 'zod';
import { familyNameSchema, isoTimestampSchema, lifecycleStateSchema } from '../model';

export const DECISIONS = ['keep', 'deprecate', 'disable', 'retire'] as const;
export const decisionSchema = z.enum(DECISIONS);
export type Decision = z.infer<typeof decisionSchema>;

/** Why a decision was taken. Codes are stable for machines; messages are for people. */
export const REASON_CODES = [
  // never-rules: any of these forces `keep`
  'not-managed',
  'held',
  'in-use',
  'channel-target',
  'parent-of-kept',
  'usage-unknown',
  'no-policy',
  // state
  'in-progress',
  // policy
  'within-keep-latest',
  'within-max-age',
  'retain-at-least',
  'expired-count',
  'expired-age',
  'out-of-date',
  'grace-pending',
  'grace-elapsed',
  'failed-policy',
] as const;
export const reasonCodeSchema = z.enum(REASON_CODES);
export type ReasonCode = z.infer<typeof reasonCodeSchema>;

export const reasonSchema = z.strictObject({ code: reasonCodeSchema, message: z.string() });
export type Reason = z.infer<typeof reasonSchema>;

export const imageDecisionSchema = z.strictObject({
  family: familyNameSchema,
  version: z.string().min(1),
  state: lifecycleStateSchema,
  decision: decisionSchema,
  reasons: z.array(reasonSchema).min(1),
  /**
   * The latest time any of its AMIs was seen in use (now, when it is), as the inventory reported it:
   * each stored plan remembers it for the operator. It does not yet keep an image after its use ends:
   * the inspect service's own test instances are seen in use too and must be told apart first.
   */
  lastSeenInUseAt: isoTimestampSchema.optional(),
});
export type ImageDecision = z.infer<typeof imageDecisionSchema>;

export const planDiffEntrySchema = z.strictObject({
  family: familyNameSchema,
  version: z.string().min(1),
  from: decisionSchema.nullable(),
  to: decisionSchema.nullable(),
});
export type PlanDiffEntry = z.infer<typeof planDiffEntrySchema>;

export const guardVerdictSchema = z.strictObject({
  status: z.enum(['ok', 'tripped']),
  reasons: z.array(z.string()),
});
export type GuardVerdict = z.infer<typeof guardVerdictSchema>;

const counts = z.strictObject({
  keep: z.number().int().nonnegative(),
  deprecate: z.number().int().nonnegative(),
  disable: z.number().int().nonnegative(),
  retire: z.number().int().nonnegative(),
});

/**
 * A retention plan: a decision with reasons for every image not yet retired, the guards' verdict and
 * the diff against the previous plan. `actions` is what may be carried out: empty when a guard tripped.
 */
export const retentionPlanSchema = z.strictObject({
  sweepId: z.string().min(1),
  generatedAt: isoTimestampSchema,
  inventoryAt: isoTimestampSchema,
  previousSweepId: z.string().optional(),
  decisions: z.array(imageDecisionSchema),
  guard: guardVerdictSchema,
  summary: counts,
  actions: z.array(imageDecisionSchema),
  diff: z.strictObject({
    changed: z.array(planDiffEntrySchema),
    added: z.array(planDiffEntrySchema),
    removed: z.array(planDiffEntrySchema),
    unchanged: z.number().int().nonnegative(),
  }),
  /** The policy the plan was made under: the organisation's config version and each family's. */
  policyVersions: z
    .strictObject({
      organization: z.number().int().positive(),
      families: z.record(familyNameSchema, z.number().int().positive()),
    })
    .optional(),
  /**
   * Families whose actions this sweep does not carry out, and why: the first sweep under a new or changed
   * policy only plans (unless the policy says to apply at once). Their decisions stay in the plan.
   */
  withheld: z.array(z.strictObject({ family: familyNameSchema, reason: z.string().min(1) })).optional(),
});
export type RetentionPlan = z.infer<typeof retentionPlanSchema>;
