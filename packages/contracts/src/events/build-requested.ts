import * as z from 'zod';
import { EVENT_SOURCE, familyName, imageRef, tracing } from '../fields';
import { eventFixtures } from '../fixtures';

export const source = EVENT_SOURCE;
export const detailType = 'Build Requested';
export const version = 1;

export const buildReason = z.enum(['manual', 'schedule', 'parent-published', 'vulnerable', 'stale-base']);

/**
 * Carries no image `version` or `imageId`: the image does not exist yet, and the build service
 * allocates the version because a calendar version's N depends on what the catalog holds.
 */
export const schema = z
  .strictObject({
    schemaVersion: z.literal(version),
    family: familyName,
    ...tracing,
    reason: buildReason,
    /** A principal for manual builds, otherwise the service or schedule that asked. */
    requestedBy: z.string().min(1).max(256),
    /** Build even if an image with the same build key exists (the refresh loop guard is bypassed). */
    force: z.boolean(),
    /** The parent image to build on; absent means "resolve the parent channel at build time". */
    parent: imageRef.optional(),
  })
  .superRefine((detail, ctx) => {
    // A parent-published rebuild must build on exactly the image that was published, not on
    // whatever the channel points to when the build starts (it may have moved again).
    if (detail.reason === 'parent-published' && detail.parent === undefined) {
      ctx.addIssue({ code: 'custom', path: ['parent'], message: 'Required when reason is parent-published' });
    }
  })
  .meta({ title: 'Build Requested v1' });

export type BuildRequestedDetail = z.infer<typeof schema>;

/** Every schema version consumers still accept, keyed by `schemaVersion`. */
export const schemas = { 1: schema } as const;

export const fixtures = eventFixtures('build-requested', {
  valid: ['valid-manual.json', 'valid-parent-published.json'],
  invalid: [
    'invalid-reason.json',
    'invalid-parent-published-without-parent.json',
    'invalid-unknown-key.json',
  ],
});
