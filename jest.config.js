/** One jest run for the whole monorepo; workspaces resolve by package name through node_modules. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/services', '<rootDir>/tests'].filter((dir) =>
    require('node:fs').existsSync(dir.replace('<rootDir>', __dirname)),
  ),
  testMatch: ['**/tests/**/*.test.ts'],
  transform: {
    '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2023' }, module: { type: 'commonjs' } }],
  },
  // middy 5+ ships ESM only; let swc turn it into CommonJS for jest.
  transformIgnorePatterns: ['/node_modules/(?!(@middy)/)'],
  maxWorkers: 2,
  // DynamoDB Local, once per run; its endpoint reaches the workers as AMI_LIFECYCLE_DYNAMODB_ENDPOINT.
  globalSetup: '<rootDir>/tests/support/global-setup.ts',
  globalTeardown: '<rootDir>/tests/support/global-teardown.ts',
};
