import {
  createHandlerWithoutIdempotency,
  scheduledEventSchema,
  sqsDeadLetters,
} from '@ami-lifecycle/lambda-kit';
import { reconcileBuilds } from '../use-cases/reconcile';
import { catalog } from '../wiring/catalog';
import { compute } from '../wiring/compute';
import { events } from '../wiring/events';
import { home } from '../wiring/home';
import { images } from '../wiring/images';

/** The build service's scheduled repair: lost AMI state changes, stuck builds, orphaned builders. */
export const handler = createHandlerWithoutIdempotency({
  name: 'reconcile-builds',
  refusedEventsTo: sqsDeadLetters(),
  event: scheduledEventSchema,
  correlationIdPath: 'id',
  useCase: () =>
    reconcileBuilds({ ...home, catalog: catalog(), compute: compute(), images: images(), events: events() }),
});
