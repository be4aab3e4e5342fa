import { asStep, createHandlerWithoutIdempotency } from '@ami-lifecycle/lambda-kit';
import { recordVerdict } from '../use-cases/record-verdict';
import { catalog } from '../wiring/catalog';
import { events } from '../wiring/events';
import { findings } from '../wiring/findings';
import { home } from '../wiring/home';
import { recordVerdictStepSchema } from './schemas';

/** Step `RecordVerdict`: findings, gate, verdict on the image, events. */
export const handler = asStep(
  'RecordVerdict',
  createHandlerWithoutIdempotency({
    name: 'inspect-record-verdict',
    event: recordVerdictStepSchema,
    correlationIdPath: 'request.correlationId',
    useCase: (input) =>
      recordVerdict(input, { ...home, catalog: catalog(), findings: findings(), events: events() }),
  }),
);
