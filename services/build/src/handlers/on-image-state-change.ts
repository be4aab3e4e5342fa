import { createHandlerWithoutIdempotency, sqsDeadLetters } from '@ami-lifecycle/lambda-kit';
import * as z from 'zod';
import { onImageStateChange } from '../use-cases/on-image-state-change';
import { catalog } from '../wiring/catalog';
import { compute } from '../wiring/compute';
import { events } from '../wiring/events';
import { home } from '../wiring/home';
import { images } from '../wiring/images';

/**
 * AWS's `EC2 AMI State Change` (default bus). EC2 also reports `deregistered` and `disabled`, which are
 * not the build's business; the rule filters them out and the handler ignores any that get through.
 */
const amiStateChangeSchema = z.object({
  source: z.literal('aws.ec2'),
  'detail-type': z.literal('EC2 AMI State Change'),
  detail: z.object({
    ImageId: z.string().regex(/^ami-[0-9a-f]{8,17}$/, 'Expected an AMI id'),
    State: z.string().min(1),
    ErrorMessage: z.string().optional(),
  }),
});

export const handler = createHandlerWithoutIdempotency({
  name: 'on-image-state-change',
  refusedEventsTo: sqsDeadLetters(),
  event: amiStateChangeSchema,
  correlationIdPath: 'id',
  useCase: async ({ detail }) =>
    detail.State === 'available' || detail.State === 'failed'
      ? onImageStateChange(
          { amiId: detail.ImageId, state: detail.State, errorMessage: detail.ErrorMessage },
          { ...home, catalog: catalog(), compute: compute(), images: images(), events: events() },
        )
      : { outcome: 'ignored' as const, reason: `AMI ${detail.ImageId} is ${detail.State}` },
});
