import { z } from 'zod';
import { amiId, awsRegion, channelName, EVENT_SOURCE, imageIdentity } from '../fields';
import { eventFixtures } from '../fixtures';

export const source = EVENT_SOURCE;
export const detailType = 'Image Published';
export const version = 1;

export const ssmParameterName = z
  .string()
  .max(2048)
  .regex(/^\/[A-Za-z0-9_.\-/]+$/, 'Expected a fully qualified SSM parameter name starting with /');

/**
 * zod's records skip a `__proto__` key without a word (so that it cannot become the parsed object's
 * prototype), which would let a region named `__proto__` through as if it were absent. Refused here
 * instead, as strict objects refuse it, before the record reads the rest.
 */
const refusingPrototypeKey = <T extends z.ZodType>(record: T) =>
  z.preprocess((input, ctx) => {
    if (typeof input === 'object' && input !== null && Object.hasOwn(input, '__proto__')) {
      ctx.addIssue({
        code: 'custom',
        path: ['__proto__'],
        message: 'Expected an AWS region such as eu-west-1',
      });
    }
    return input;
  }, record);

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
