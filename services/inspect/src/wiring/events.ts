import { EventBridgePublisher, eventBridgeClient } from '@ami-lifecycle/aws';
import type { EventPublisher } from '@ami-lifecycle/core';
import { lazy } from '@ami-lifecycle/lambda-kit';
import type { InspectEvents } from '../use-cases/deps';
import { env } from './env';

/** The inspect service's events on the stage's bus. */
export const events = lazy(
  (): EventPublisher<InspectEvents> =>
    new EventBridgePublisher(env.EVENT_BUS_NAME, eventBridgeClient({ region: env.AWS_REGION })),
);
