import * as z from 'zod';

/**
 * An EventBridge event as AWS delivers it: the same schema as Powertools' `EventBridgeSchema`
 * (`@aws-lambda-powertools/parser/schemas`), field for field. Declared here because that module imports
 * zod as `import { z } from 'zod'`, which makes a bundler keep every zod locale (some 350 KiB minified)
 * in each function that uses it; `extend` it for the events of AWS services and schedules.
 */
export const eventBridgeEventSchema = z.object({
  version: z.string(),
  id: z.string(),
  source: z.string(),
  account: z.string(),
  time: z.iso.datetime(),
  region: z.string(),
  resources: z.array(z.string()),
  'detail-type': z.string(),
  detail: z.unknown(),
  'replay-name': z.string().optional(),
});
