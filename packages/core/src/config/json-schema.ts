import * as z from 'zod';
import { policySchema } from './policy-schema';

/**
 * The JSON Schema (draft 2020-12) of a policy file as written, defaults optional, for editors and
 * `yaml-language-server`. File-wide rules (parents, regions, accounts) are not expressible in it,
 * so `parsePolicy` remains the judge; the schema only helps while typing.
 */
export const policyJsonSchema = (): Record<string, unknown> => ({
  ...z.toJSONSchema(policySchema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }),
  title: 'ami-lifecycle policy',
  description: 'Accounts, regions and image families of the AMI lifecycle controller (ami-lifecycle/v1).',
});
