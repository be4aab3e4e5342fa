import * as z from 'zod';
import { decommissionStep, EVENT_SOURCE, snapshotId } from '../fields';
import { eventFixtures } from '../fixtures';

export const source = EVENT_SOURCE;
export const detailType = 'Image Retired';
export const version = 1;

export const schema = z
  .strictObject({
    schemaVersion: z.literal(version),
    ...decommissionStep,
    /** Snapshots deleted with the image; may be empty when they were already gone. */
    deletedSnapshotIds: z.array(snapshotId),
  })
  .meta({ title: 'Image Retired v1' });

export type ImageRetiredDetail = z.infer<typeof schema>;

/** Every schema version consumers still accept, keyed by `schemaVersion`. */
export const schemas = { 1: schema } as const;

export const fixtures = eventFixtures('image-retired', {
  valid: ['valid-with-snapshots.json'],
  invalid: ['invalid-snapshot-id.json', 'invalid-image-version.json'],
});
