import * as z from 'zod';
import { decommissionStep, EVENT_SOURCE } from '../fields';
import { eventFixtures } from '../fixtures';

export const source = EVENT_SOURCE;
export const detailType = 'Image Deprecated';
export const version = 1;

export const schema = z
  .strictObject({
    schemaVersion: z.literal(version),
    ...decommissionStep,
  })
  .meta({ title: 'Image Deprecated v1' });

export type ImageDeprecatedDetail = z.infer<typeof schema>;

/** Every schema version consumers still accept, keyed by `schemaVersion`. */
export const schemas = { 1: schema } as const;

export const fixtures = eventFixtures('image-deprecated', {
  valid: ['valid-keep-latest.json'],
  invalid: ['invalid-missing-sweep-id.json', 'invalid-no-reasons.json'],
});
