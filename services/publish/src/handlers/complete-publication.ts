import { asStep, createHandlerWithoutIdempotency } from '@ami-lifecycle/lambda-kit';
import { completePublication } from '../use-cases/complete-publication';
import { catalog } from '../wiring/catalog';
import { events } from '../wiring/events';
import { home } from '../wiring/home';
import { completeStepSchema } from './schemas';

/** Step `CompletePublication`: approved -> published with the channels moved, then Image Published. */
export const handler = asStep(
  'CompletePublication',
  createHandlerWithoutIdempotency({
    name: 'publish-complete',
    event: completeStepSchema,
    correlationIdPath: 'request.correlationId',
    useCase: (input) => completePublication(input, { ...home, catalog: catalog(), events: events() }),
  }),
);
