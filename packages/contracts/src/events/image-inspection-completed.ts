import * as z from 'zod';
import { amiId, EVENT_SOURCE, imageIdentity, nonEmptyText, severityCounts } from '../fields';
import { eventFixtures } from '../fixtures';

export const source = EVENT_SOURCE;
export const detailType = 'Image Inspection Completed';
export const version = 1;

export const schema = z
  .strictObject({
    schemaVersion: z.literal(version),
    ...imageIdentity,
    imageId: amiId,
    /**
     * `candidate` inspections decide approval; `reinspection` of a published image only feeds
     * the vulnerable flag. Rules filter on it so publish is not invoked for re-inspections.
     */
    purpose: z.enum(['candidate', 'reinspection']),
    verdict: z.enum(['pass', 'fail']),
    /** Active findings per Inspector severity, after waivers. */
    findings: severityCounts,
    reasons: z.array(nonEmptyText),
  })
  .superRefine((detail, ctx) => {
    // A failure nobody can explain cannot be fixed or waived, so it is refused at the producer.
    if (detail.verdict === 'fail' && detail.reasons.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['reasons'],
        message: 'A failing verdict needs at least one reason',
      });
    }
  })
  .meta({ title: 'Image Inspection Completed v1' });

export type ImageInspectionCompletedDetail = z.infer<typeof schema>;

/** Every schema version consumers still accept, keyed by `schemaVersion`. */
export const schemas = { 1: schema } as const;

export const fixtures = eventFixtures('image-inspection-completed', {
  valid: ['valid-pass.json', 'valid-fail.json'],
  invalid: [
    'invalid-fail-without-reasons.json',
    'invalid-negative-count.json',
    'invalid-missing-severity.json',
  ],
});
