import * as z from 'zod';
import { familyNameSchema, regionSchema } from '../model';

const count = z.number().int().nonnegative();

/**
 * What one batch of a sweep's actions came to. Kept in the catalog beside the sweep rather than carried in
 * the Step Functions state: hundreds of batches' results would outgrow a state's 256 KB.
 */
export const batchOutcomeSchema = z.strictObject({
  done: count,
  skipped: count,
  failed: count,
  /** The first few actions that were skipped or failed, with why. */
  problems: z.array(z.string().max(1000)).max(50),
  /** Snapshot GiB the batch's retirements deleted, per family and region. */
  freed: z.array(
    z.strictObject({ family: familyNameSchema, region: regionSchema, gib: z.number().nonnegative() }),
  ),
  /** The same counts per family, for each family's `Retention Sweep Completed`. */
  byFamily: z.array(z.strictObject({ family: familyNameSchema, done: count, skipped: count, failed: count })),
});
export type BatchOutcome = z.infer<typeof batchOutcomeSchema>;
