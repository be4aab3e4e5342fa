import * as z from 'zod';
import { amiId, awsRegion, EVENT_SOURCE, imageIdentity, imageRef, runId, snapshotId } from '../fields';
import { eventFixtures } from '../fixtures';

export const source = EVENT_SOURCE;
export const detailType = 'Image Built';
export const version = 1;

export const schema = z
  .strictObject({
    schemaVersion: z.literal(version),
    ...imageIdentity,
    /** The new AMI in the build region. */
    imageId: amiId,
    buildId: runId,
    region: awsRegion,
    snapshotIds: z.array(snapshotId).min(1),
    /** Absent for golden families; an application image names the published parent it was built on. */
    parent: imageRef.optional(),
    sourceAmiId: amiId,
    /** Hash of parent AMI + family config version; refresh uses it to never build the same inputs twice. */
    buildKey: z.string().regex(/^[0-9a-f]{64}$/, 'Expected a hex SHA-256 build key'),
  })
  .meta({ title: 'Image Built v1' });

export type ImageBuiltDetail = z.infer<typeof schema>;

/** Every schema version consumers still accept, keyed by `schemaVersion`. */
export const schemas = { 1: schema } as const;

export const fixtures = eventFixtures('image-built', {
  valid: ['valid-golden.json', 'valid-application.json'],
  invalid: ['invalid-image-id.json', 'invalid-snapshot-id.json', 'invalid-missing-build-key.json'],
});
