import { createHandler } from '@ami-lifecycle/lambda-kit';
import { recordVerdict } from '../use-cases/record-verdict';
import { asStep, deps } from '../wiring';
import { recordVerdictStepSchema } from './schemas';

/** Step `RecordVerdict`: findings, gate, verdict on the image, events. */
export const handler = asStep(
  'RecordVerdict',
  createHandler({
    name: 'inspect-record-verdict',
    event: recordVerdictStepSchema,
    correlationIdPath: 'request.correlationId',
    useCase: (input) => recordVerdict(input, deps),
  }),
);
