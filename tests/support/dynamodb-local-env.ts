/** How the jest global setup hands DynamoDB Local to the test workers. */
export const DYNAMODB_ENDPOINT_ENV = 'AMI_LIFECYCLE_DYNAMODB_ENDPOINT';

/** The endpoint the global setup started, for suites that need DynamoDB Local. */
export const dynamoDbEndpoint = (): string => {
  const endpoint = process.env[DYNAMODB_ENDPOINT_ENV];
  if (endpoint === undefined || endpoint === '') {
    throw new Error(
      `${DYNAMODB_ENDPOINT_ENV} is not set: run jest with tests/support/global-setup.ts (jest.config.js does), ` +
        'or point it at a running DynamoDB Local',
    );
  }
  return endpoint;
};
