import { EventBridgePublisher, eventBridgeClient } from '@ami-lifecycle/aws';
import type { EventPublisher } from '@ami-lifecycle/core';
import { lazy } from '@ami-lifecycle/lambda-kit';
import type { BuildEvents } from '../use-cases/deps';
import { env } from './env';

/** `Image Built` and `Image Build Failed` on the stage's bus. */
export const events = lazy(
  (): EventPublisher<BuildEvents> =>
    new EventBridgePublisher(env.EVENT_BUS_NAME, eventBridgeClient({ region: env.AWS_REGION })),
);
