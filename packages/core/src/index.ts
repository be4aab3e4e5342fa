// Everything of the package: the domain (`./domain.ts`, what the Lambda functions bundle) and the policy
// file's parser and JSON Schema, for the CLI, the tools and the tests.
export * from './config/json-schema';
export * from './config/parse-policy';
export * from './domain';
