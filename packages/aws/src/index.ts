export {
  type AwsClients,
  assumeRoleClients,
  type ClientOptions,
  clientOptionsFromEnv,
  createClients,
  sharedClients,
} from './clients';
// One module per client: a Lambda imports the factories of the services it calls and bundles no other client.
export {
  type AssumedCredentials,
  type AssumeRoleOptions,
  assumeRoleCredentials,
} from './clients/assume-role';
export { ec2Client, sharedEc2Client } from './clients/ec2';
export { eventBridgeClient, sharedEventBridgeClient } from './clients/eventbridge';
export { inspector2Client, sharedInspector2Client } from './clients/inspector2';
export { sfnClient, sharedSfnClient } from './clients/sfn';
export { sharedSnsClient, snsClient } from './clients/sns';
export { sharedSsmClient, ssmClient } from './clients/ssm';
export { sharedStsClient, stsClient } from './clients/sts';
export { Ec2Compute } from './ec2-compute';
export { type Ec2ClientInRegion, Ec2Images, ec2ClientsByRegion } from './ec2-images';
export {
  Ec2Inventory,
  IMAGE_REFERENCES_BATCH,
  type InventoryPaging,
  UnreadableImageReferenceError,
} from './ec2-inventory';
export {
  EC2_REQUEST_BUCKETS,
  Ec2Pacer,
  type PacerClock,
  pace,
  systemPacerClock,
  type TokenBucketSpec,
} from './ec2-pacer';
export { Ec2SharedUsage } from './ec2-shared-usage';
export {
  AssumeRoleFailedError,
  awsErrorCode,
  callAws,
  InvalidLaunchPermissionError,
  isThrottling,
  PaginationLimitError,
  ResourceNotFoundError,
  SnapshotsNotDeletedError,
  ThrottledError,
} from './errors';
export { type ContractDetails, EventBridgePublisher } from './eventbridge-publisher';
export { InspectorFindings } from './inspector-findings';
export { checkLaunchPermissionChange, type LaunchPermissionChange } from './launch-permissions';
export { collectPages, DEFAULT_MAX_PAGES } from './paginate';
export {
  RECIPIENTS_ATTRIBUTE,
  recipientFilterPolicy,
  recipientOfFilterPolicy,
  SnsNotifications,
  snsRegionOf,
  type TopicMessage,
  type TopicSubscription,
} from './sns-notifications';
export { SsmCommands } from './ssm-commands';
export { SsmParameters } from './ssm-parameters';
export { startNamedExecution } from './step-functions';
