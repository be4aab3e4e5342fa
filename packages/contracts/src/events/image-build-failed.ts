import * as z from 'zod';
import { amiId, EVENT_SOURCE, imageIdentity, nonEmptyText, runId } from '../fields';
import { eventFixtures } from '../fixtures';

export const source = EVENT_SOURCE;
export const detailType = 'Image Build Failed';
export const version = 1;

/** The `build` state machine's steps (design 5), plus waiting for the AMI to become available. */
export const buildStage = z.enum([
  'resolve-source',
  'launch-builder',
  'run-components',
  'create-image',
  'await-image',
]);

export const schema = z
  .strictObject({
    schemaVersion: z.literal(version),
    ...imageIdentity,
    /** Known only once CreateImage was accepted; the failed AMI must still be cleaned up. */
    imageId: amiId.optional(),
    buildId: runId,
    stage: buildStage,
    reason: nonEmptyText,
  })
  .meta({ title: 'Image Build Failed v1' });

export type ImageBuildFailedDetail = z.infer<typeof schema>;

/** Every schema version consumers still accept, keyed by `schemaVersion`. */
export const schemas = { 1: schema } as const;

export const fixtures = eventFixtures('image-build-failed', {
  valid: ['valid-run-components.json', 'valid-await-image.json'],
  invalid: ['invalid-stage.json', 'invalid-missing-correlation-id.json', 'invalid-blank-reason.json'],
});
