/**
 * DynamoDB Local for tests and the local cloud. A separate entry point (`@ami-lifecycle/catalog/local`)
 * so that Lambda bundles of the catalog never pull in the launcher.
 */
export {
  type DynamoDbLocal,
  DynamoDbLocalStartError,
  FAST_START_JVM_OPTIONS,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  localClientConfig,
  type StartDynamoDbLocalOptions,
  startDynamoDbLocal,
} from './dynamodb-local';
