import * as z from 'zod';
import { amiIdSchema, familyNameSchema, isoTimestampSchema, regionSchema, usageFactSchema } from '../model';

/**
 * One region's inventory for one sweep: what EC2 holds there, how each AMI is used (the owner account's
 * references and every account it is shared with), and what could not be seen. A sweep reads each region
 * in its own step, so a region's reading is bounded by one Lambda run and the regions do not wait on each
 * other; the plan then puts the parts together, and its inventory is as old as its oldest part.
 */
export const inventoryPartSchema = z.strictObject({
  sweepId: z.string().min(1),
  region: regionSchema,
  /** When the reading began: the part's age is counted from here, as anything seen later may be newer. */
  startedAt: isoTimestampSchema,
  finishedAt: isoTimestampSchema,
  /** One fact per AMI of the region whose usage was seen (merged per AMI by the planner). */
  facts: z.array(usageFactSchema),
  /** Managed AMIs in EC2 with no catalog image naming them: reported, never touched. */
  untracked: z.array(z.strictObject({ region: regionSchema, imageId: amiIdSchema, name: z.string() })),
  /** Catalog images (not retired) whose AMI in this region is gone from EC2's listing. */
  missing: z.array(
    z.strictObject({
      family: familyNameSchema,
      version: z.string().min(1),
      region: regionSchema,
      imageId: amiIdSchema,
    }),
  ),
  /** Images whose usage cannot be fully seen, with why: no fact is made for them, so they are kept. */
  unknown: z.array(z.strictObject({ family: familyNameSchema, version: z.string().min(1), why: z.string() })),
});
export type InventoryPart = z.infer<typeof inventoryPartSchema>;

/** The parts of a sweep's inventory put together: the regions' facts, drift and unknowns, and its age. */
export interface MergedInventory {
  facts: InventoryPart['facts'];
  drift: { untracked: InventoryPart['untracked']; missing: InventoryPart['missing'] };
  unknown: InventoryPart['unknown'];
  /** The oldest part's start: what the staleness guard measures. */
  inventoryAt: Date;
}

/** Puts a sweep's parts together; an image unknown in several regions is named once. */
export const mergeInventoryParts = (parts: readonly InventoryPart[]): MergedInventory => {
  if (parts.length === 0) throw new RangeError('an inventory needs at least one region’s part');
  const unknown = new Map<string, InventoryPart['unknown'][number]>();
  for (const part of parts) {
    for (const u of part.unknown) {
      const key = `${u.family}@${u.version}`;
      if (!unknown.has(key)) unknown.set(key, u);
    }
  }
  return {
    facts: parts.flatMap((p) => p.facts),
    drift: { untracked: parts.flatMap((p) => p.untracked), missing: parts.flatMap((p) => p.missing) },
    unknown: [...unknown.values()],
    inventoryAt: new Date(Math.min(...parts.map((p) => Date.parse(p.startedAt)))),
  };
};
