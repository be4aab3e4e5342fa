// The domain as the Lambda functions read it: everything of the package but the policy file's parser
// (`parsePolicy`, which brings `yaml`) and the policy's JSON Schema (`policyJsonSchema`, which brings
// zod's JSON Schema printer). The functions read stored configs, already parsed, as JSON through
// `parseStoredConfig`; `serverless.yml`'s esbuild options select this entry (the `ami-lifecycle-lambda`
// condition of `exports`), so that a handler that reached the parser would fail its build instead of
// bundling it. `./index.ts` is this and the parser.
export * from './build-key';
export * from './clock';
export * from './config/gate-schema';
export * from './config/notify-schema';
export * from './config/organization-config';
export * from './config/policy-schema';
export * from './config/retention-schema';
export * from './config/stored-config';
export * from './errors';
export * from './gate';
export * from './lifecycle';
export * from './lineage';
export * from './model';
export * from './naming';
export * from './ports/catalog';
export * from './ports/commands';
export * from './ports/compute';
export * from './ports/events';
export * from './ports/findings';
export * from './ports/images';
export * from './ports/inventory';
export * from './refresh';
export * from './retention/batch-outcome';
export * from './retention/inventory';
export * from './retention/plan-types';
export * from './retention/planner';
