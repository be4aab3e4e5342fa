import {
  createHandlerWithoutIdempotency,
  scheduledEventSchema,
  sqsDeadLetters,
} from '@ami-lifecycle/lambda-kit';
import { reconcileSubscriptions } from '../use-cases/subscriptions';
import { subscriptionDeps } from '../wiring';

const deps = subscriptionDeps();

/** Hourly: the topic's email subscriptions made to agree with the policy (made, set right, removed). */
export const handler = createHandlerWithoutIdempotency({
  name: 'notify-reconcile-subscriptions',
  refusedEventsTo: sqsDeadLetters(),
  event: scheduledEventSchema,
  correlationIdPath: 'id',
  useCase: () => reconcileSubscriptions(deps),
});
