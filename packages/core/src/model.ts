import * as z from 'zod';

/** Lifecycle states of design 3, in pipeline order. */
export const LIFECYCLE_STATES = [
  'building',
  'built',
  'inspecting',
  'approved',
  'rejected',
  'published',
  'deprecated',
  'disabled',
  'retired',
  'failed',
] as const;
export const lifecycleStateSchema = z.enum(LIFECYCLE_STATES);
export type LifecycleState = z.infer<typeof lifecycleStateSchema>;

export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNTRIAGED'] as const;
export const severitySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof severitySchema>;

/** Family names become AMI names, SSM paths and key parts, so they are kept to a safe alphabet. */
export const familyNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,62}$/, 'must be 2-63 characters of a-z, 0-9 and -, starting with a letter');
export const amiIdSchema = z.string().regex(/^ami-[0-9a-f]{8,17}$/, 'must look like ami-0123456789abcdef0');
export const regionSchema = z
  .string()
  .regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, 'must be an AWS region like eu-west-1');
export const isoTimestampSchema = z.iso.datetime({ offset: true });

export const imageRefSchema = z.strictObject({
  family: familyNameSchema,
  version: z.string().min(1),
  amiId: amiIdSchema.optional(),
});
export type ImageRef = z.infer<typeof imageRefSchema>;

export const findingsSummarySchema = z.strictObject(
  Object.fromEntries(SEVERITIES.map((s) => [s, z.number().int().nonnegative()])) as Record<
    Severity,
    z.ZodNumber
  >,
);
export type FindingsSummary = z.infer<typeof findingsSummarySchema>;

/** One version of a family, as the catalog stores it. */
export const imageSchema = z.strictObject({
  family: familyNameSchema,
  version: z.string().min(1),
  state: lifecycleStateSchema,
  /** Optimistic-lock counter; every transition increments it. */
  stateVersion: z.number().int().nonnegative(),
  /** AMI id per region; the build region's id is written first, copies are added by publish. */
  amiIds: z.record(regionSchema, amiIdSchema),
  snapshotIds: z.array(z.string()),
  parent: imageRefSchema.optional(),
  sourceAmiId: amiIdSchema.optional(),
  buildId: z.string().optional(),
  buildKey: z.string().optional(),
  /** Why it was built: the `reason` of its `Build Requested` (manual, parent-published, vulnerable...). */
  buildReason: z.string().min(1).max(64).optional(),
  configVersion: z.number().int().positive().optional(),
  findings: findingsSummarySchema.optional(),
  verdict: z.enum(['pass', 'fail']).optional(),
  approver: z.string().optional(),
  vulnerable: z.boolean(),
  /** When it was flagged vulnerable: retention's out-of-date grace counts from here. */
  vulnerableSince: isoTimestampSchema.optional(),
  /** Only images carrying `ami-lifecycle:managed=true` are ever modified. */
  managed: z.boolean(),
  createdAt: isoTimestampSchema,
  stateChangedAt: isoTimestampSchema,
  publishedAt: isoTimestampSchema.optional(),
  reason: z.string().optional(),
});
export type Image = z.infer<typeof imageSchema>;

export const holdTargetSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('family'), family: familyNameSchema }),
  z.strictObject({ kind: z.literal('image'), family: familyNameSchema, version: z.string().min(1) }),
]);
export type HoldTarget = z.infer<typeof holdTargetSchema>;

/** A legal or regulatory hold. No policy overrides it. */
export const holdSchema = z.strictObject({
  id: z.string().min(1),
  target: holdTargetSchema,
  reason: z.string().min(1),
  owner: z.string().min(1),
  ticket: z.string().min(1),
  createdAt: isoTimestampSchema,
  expiresAt: isoTimestampSchema.optional(),
  releasedAt: isoTimestampSchema.optional(),
});
export type Hold = z.infer<typeof holdSchema>;

/** Whether a hold protects at `nowMs`: not released, and not expired by that time (an expired one stops protecting). */
export const holdInForce = (hold: Pick<Hold, 'releasedAt' | 'expiresAt'>, nowMs: number): boolean =>
  hold.releasedAt === undefined && (hold.expiresAt === undefined || Date.parse(hold.expiresAt) > nowMs);

/** A named pointer of a family to one of its published images. */
export const channelSchema = z.strictObject({
  family: familyNameSchema,
  name: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/),
  version: z.string().min(1),
  updatedAt: isoTimestampSchema,
  updatedBy: z.string().min(1),
  /** Incremented on every move; history rows are kept per revision for rollback. */
  revision: z.number().int().positive(),
});
export type Channel = z.infer<typeof channelSchema>;

/**
 * What the inventory knows of one AMI's use: running instances, launch templates, SSM parameters,
 * Image Builder recipes, other accounts. `references` says what, for the plan's reasons.
 */
export const usageFactSchema = z.strictObject({
  amiId: amiIdSchema,
  inUse: z.boolean(),
  references: z.array(z.string()),
  lastSeenInUseAt: isoTimestampSchema.optional(),
  lastLaunchedAt: isoTimestampSchema.optional(),
});
export type UsageFact = z.infer<typeof usageFactSchema>;

/** Append-only record of a transition or action. */
export const auditRecordSchema = z.strictObject({
  family: familyNameSchema,
  version: z.string().min(1),
  at: isoTimestampSchema,
  seq: z.number().int().nonnegative(),
  action: z.string().min(1),
  from: lifecycleStateSchema.optional(),
  to: lifecycleStateSchema.optional(),
  actor: z.string().min(1),
  reason: z.string().min(1),
  policyVersion: z.number().int().positive().optional(),
  correlationId: z.string().min(1),
});
export type AuditRecord = z.infer<typeof auditRecordSchema>;

/** The stable key of an image across the domain: `<family>@<version>`. */
export const imageKey = (ref: { family: string; version: string }): string => `${ref.family}@${ref.version}`;
