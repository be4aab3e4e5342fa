import * as z from 'zod';
import { amiId, awsRegion, channelName, EVENT_SOURCE, imageIdentity, refusingPrototypeKey } from '../fields';
import { eventFixtures } from '../fixtures';

export const source = EVENT_SOURCE;
export const detailType = 'Image Published';
export const version = 1;

export const ssmParameterName = z
  .string()
  .max(2048)
  .regex(/^\/[A-Za-z0-9_.\-/]+$/, 'Expected a fully qualified SSM parameter name starting with /');

/**
 * The refusal of a `__proto__` key this event's `regions` applies, for the records of the publish steps'
 * inputs too (the plan's KMS keys per region, the parameters' progress): the services reach the
 * contracts' fields through the event modules.
 */
export { refusingPrototypeKey };

export const schema = z
  .strictObject({
    schemaVersion: z.literal(version),
    ...imageIdentity,
    /** The image in its build region; `regions` holds it and every copy. */
    imageId: amiId,
    channels: z.array(channelName).min(1),
    /** AMI id per region; a record so rules can match `detail.regions.<region>` directly. */
    regions: refusingPrototypeKey(
      z
        .record(awsRegion, amiId)
        // abort: an empty record must not also be reported as missing imageId below.
        .refine((regions) => Object.keys(regions).length > 0, {
          error: 'Expected at least one region',
          abort: true,
        }),
      'Expected an AWS region such as eu-west-1',
    ),
    ssmParameters: z.array(ssmParameterName).min(1),
  })
  .superRefine((detail, ctx) => {
    if (!Object.values(detail.regions).includes(detail.imageId)) {
      ctx.addIssue({
        code: 'custom',
        path: ['regions'],
        message: `Expected to include imageId ${detail.imageId}`,
      });
    }
  })
  .meta({ title: 'Image Published v1' });

export type ImagePublishedDetail = z.infer<typeof schema>;

/** Every schema version consumers still accept, keyed by `schemaVersion`. */
export const schemas = { 1: schema } as const;

export const fixtures = eventFixtures('image-published', {
  valid: ['valid-multi-region.json'],
  invalid: [
    'invalid-no-regions.json',
    'invalid-region-key.json',
    'invalid-image-id-not-in-regions.json',
    'invalid-ssm-parameter.json',
  ],
});
