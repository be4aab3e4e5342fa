import * as z from 'zod';
import { amiId, approver, EVENT_SOURCE, imageIdentity, nonEmptyText } from '../fields';
import { eventFixtures } from '../fixtures';

export const source = EVENT_SOURCE;
export const detailType = 'Image Rejected';
export const version = 1;

export const schema = z
  .strictObject({
    schemaVersion: z.literal(version),
    ...imageIdentity,
    imageId: amiId,
    /** Same shape as on Image Approved: `auto` when the gate failed, a person when they said no. */
    approver,
    reason: nonEmptyText,
  })
  .meta({ title: 'Image Rejected v1' });

export type ImageRejectedDetail = z.infer<typeof schema>;

/** Every schema version consumers still accept, keyed by `schemaVersion`. */
export const schemas = { 1: schema } as const;

export const fixtures = eventFixtures('image-rejected', {
  valid: ['valid-auto.json', 'valid-person.json'],
  invalid: ['invalid-approver-kind.json', 'invalid-empty-reason.json'],
});
