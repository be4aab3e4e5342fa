import * as z from 'zod';
import { awsRegion, EVENT_SOURCE, isoTimestamp } from './fields';

/**
 * The EventBridge envelope. Unlike our details it is not strict: AWS owns it and adds fields
 * (`replay-name`), so unknown keys are kept rather than refused.
 */
const envelopeFields = z.object({
  version: z.string(),
  id: z.string().min(1),
  'detail-type': z.string().min(1),
  source: z.literal(EVENT_SOURCE),
  account: z.string().regex(/^\d{12}$/, 'Expected a 12-digit account id'),
  time: isoTimestamp,
  region: awsRegion,
  resources: z.array(z.string()),
  detail: z.unknown(),
});

export const envelopeSchema = envelopeFields.loose();

/** The envelope fields other than `detail-type` and `detail`, which the registry types per detail-type. */
export type EventBridgeEnvelope = Omit<z.infer<typeof envelopeFields>, 'detail-type' | 'detail'>;
