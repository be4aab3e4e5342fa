import { amiIdSchema } from '@ami-lifecycle/core';
import {
  createHandlerWithoutIdempotency,
  eventBridgeEventSchema,
  sqsDeadLetters,
} from '@ami-lifecycle/lambda-kit';
import * as z from 'zod';
import { onFinding } from '../use-cases/on-finding';
import { catalog } from '../wiring/catalog';
import { events } from '../wiring/events';
import { findings } from '../wiring/findings';
import { home } from '../wiring/home';

/**
 * `Inspector2 Finding` (source `aws.inspector2`, default bus). AWS owns the detail and adds fields, so
 * only what the use case reads is checked: the finding's ARN and the EC2 instance with its AMI (and its
 * tags, when they are a tag map). Findings on ECR images and Lambda functions come through the same rule
 * with other `details`: they must parse (and be ignored), not be dropped as invalid events.
 */
const inspectorFindingEvent = eventBridgeEventSchema.extend({
  source: z.literal('aws.inspector2'),
  'detail-type': z.literal('Inspector2 Finding'),
  detail: z
    .object({
      findingArn: z.string().min(1),
      resources: z
        .array(
          z
            .object({
              type: z.string(),
              id: z.string().min(1),
              // As Inspector saw the instance; a shape we don't expect leaves them to be read from the findings.
              tags: z.record(z.string(), z.string()).optional().catch(undefined),
              details: z
                .object({ awsEc2Instance: z.object({ imageId: amiIdSchema }).loose().optional() })
                .loose()
                .optional(),
            })
            .loose(),
        )
        .min(1),
    })
    .loose(),
});

export const handler = createHandlerWithoutIdempotency({
  name: 'inspect-on-finding',
  refusedEventsTo: sqsDeadLetters(),
  event: inspectorFindingEvent,
  correlationIdPath: 'detail.findingArn',
  useCase: async (event) => {
    const resource = event.detail.resources.find((r) => r.type === 'AWS_EC2_INSTANCE');
    const amiId = resource?.details?.awsEc2Instance?.imageId;
    if (resource === undefined || amiId === undefined) {
      return { outcome: 'ignored' as const, reason: 'the finding is not about an EC2 instance' };
    }
    return onFinding(
      { findingArn: event.detail.findingArn, instanceId: resource.id, amiId, instanceTags: resource.tags },
      { ...home, catalog: catalog(), findings: findings(), events: events() },
    );
  },
});
