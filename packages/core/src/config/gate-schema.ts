import * as z from 'zod';
import { isoTimestampSchema, SEVERITIES, type Severity } from '../model';

export const waiverSchema = z.strictObject({
  id: z
    .string()
    .min(1)
    .describe(
      'The finding waived: a CVE id (`CVE-2024-1234`) or an Inspector finding ARN; unique in the family.',
    ),
  reason: z.string().min(1).describe('Why the finding may be accepted, for the audit trail.'),
  approvedBy: z.string().min(1).describe('Who accepted the risk: a person or a team address.'),
  expiresAt: isoTimestampSchema.describe(
    'When the waiver stops counting, ISO-8601 with a zone; at most `waivers.maxDays` after the policy is validated or applied.',
  ),
});
export type Waiver = z.infer<typeof waiverSchema>;

const severityLimits = z.strictObject(
  Object.fromEntries(
    SEVERITIES.map((s) => [
      s,
      z
        .number()
        .int()
        .nonnegative()
        .optional()
        .meta({
          description: `At most this many ${s} findings pass the gate; unlimited when absent.`,
          examples: [10],
        }),
    ]),
  ) as Record<Severity, z.ZodOptional<z.ZodNumber>>,
);

/** The security gate: at most this many findings per severity; a missing severity is unlimited. */
export const gateSchema = z.strictObject({
  maxFindings: severityLimits
    .default({ CRITICAL: 0, HIGH: 0 })
    .describe(
      'The most active findings (after waivers) an image may have per Inspector severity; a severity not listed is unlimited.',
    ),
  fixAvailableOnly: z
    .boolean()
    .default(false)
    .describe(
      'Count only findings that have a fix available: an unfixable finding blocks nothing a rebuild could fix.',
    ),
  waivers: z
    .array(waiverSchema)
    .default([])
    .describe('Findings accepted until a date: a waived finding does not count against `maxFindings`.'),
});
export type Gate = z.infer<typeof gateSchema>;
export type GateInput = z.input<typeof gateSchema>;
