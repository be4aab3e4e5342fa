import * as z from 'zod';
import { decommissionStep, EVENT_SOURCE } from '../fields';
import { eventFixtures } from '../fixtures';

export const source = EVENT_SOURCE;
export const detailType = 'Image Disabled';
export const version = 1;

export const schema = z
  .strictObject({
    schemaVersion: z.literal(version),
    ...decommissionStep,
  })
  .meta({ title: 'Image Disabled v1' });

export type ImageDisabledDetail = z.infer<typeof schema>;

/** Every schema version consumers still accept, keyed by `schemaVersion`. */
export const schemas = { 1: schema } as const;

export const fixtures = eventFixtures('image-disabled', {
  valid: ['valid-max-age.json'],
  invalid: ['invalid-missing-image-id.json', 'invalid-family-name.json'],
});
