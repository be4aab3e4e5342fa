export {
  type AwsClients,
  assumeRoleClients,
  type ClientOptions,
  clientOptionsFromEnv,
  createClients,
  sharedClients,
} from './clients';
export { Ec2Compute } from './ec2-compute';
export { Ec2Images } from './ec2-images';
export {
  AssumeRoleFailedError,
  awsErrorCode,
  callAws,
  isThrottling,
  PaginationLimitError,
  ResourceNotFoundError,
  ThrottledError,
} from './errors';
export { type ContractDetails, EventBridgePublisher } from './eventbridge-publisher';
export { InspectorFindings } from './inspector-findings';
export { collectPages, DEFAULT_MAX_PAGES } from './paginate';
export { SsmCommands } from './ssm-commands';
