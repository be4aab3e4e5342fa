import { z } from 'zod';
import { isoTimestampSchema, SEVERITIES, type Severity } from '../model';

export const waiverSchema = z.strictObject({
  /** A CVE id (`CVE-2024-1234`) or an Inspector finding ARN. */
  id: z.string().min(1),
  reason: z.string().min(1),
  approvedBy: z.string().min(1),
  expiresAt: isoTimestampSchema,
});
export type Waiver = z.infer<typeof waiverSchema>;

const severityLimits = z.strictObject(
  Object.fromEntries(SEVERITIES.map((s) => [s, z.number().int().nonnegative().optional()])) as Record<
    Severity,
    z.ZodOptional<z.ZodNumber>
  >,
);

/** The security gate: at most this many findings per severity; a missing severity is unlimited. */
export const gateSchema = z.strictObject({
  maxFindings: severityLimits.default({ CRITICAL: 0, HIGH: 0 }),
  /** Count only findings that have a fix available: an unfixable finding blocks nothing a rebuild could fix. */
  fixAvailableOnly: z.boolean().default(false),
  waivers: z.array(waiverSchema).default([]),
});
export type Gate = z.infer<typeof gateSchema>;
export type GateInput = z.input<typeof gateSchema>;
