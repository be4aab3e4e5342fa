import * as z from 'zod';
import { amiId, approver, EVENT_SOURCE, imageIdentity, nonEmptyText } from '../fields';
import { eventFixtures } from '../fixtures';

export const source = EVENT_SOURCE;
export const detailType = 'Image Approved';
export const version = 1;

export const schema = z
  .strictObject({
    schemaVersion: z.literal(version),
    ...imageIdentity,
    imageId: amiId,
    approver,
    reason: nonEmptyText,
  })
  .meta({ title: 'Image Approved v1' });

export type ImageApprovedDetail = z.infer<typeof schema>;

/** Every schema version consumers still accept, keyed by `schemaVersion`. */
export const schemas = { 1: schema } as const;

export const fixtures = eventFixtures('image-approved', {
  valid: ['valid-auto.json', 'valid-person.json'],
  invalid: [
    'invalid-person-without-principal.json',
    'invalid-local-timestamp.json',
    'invalid-missing-image-id.json',
  ],
});
