/**
 * The embedded AWS-compatible cloud (docs/design.md section 7): `startLocalCloud` for tests, `npm start` and
 * `npm run local-cloud`; the parts for code that builds its own (emulators, clock, accounts, faults).
 */
export {
  type AccountSpec,
  Accounts,
  DEFAULT_ACCOUNTS,
  DEFAULT_ORGANIZATION,
  type OrganizationSpec,
  type Principal,
} from './accounts';
export {
  DEFAULT_CREDENTIALS,
  DEFAULT_PORT,
  DEFAULT_REGION,
  type DeploymentSummary,
  type LocalCloud,
  type LocalCloudOptions,
  type StartHooks,
  type StartPhase,
  startLocalCloud,
} from './cloud';
export { ClockUpdateSchema } from './control';
export {
  type BucketSpec,
  CATEGORY_BUCKETS,
  type Ec2ThrottleCategory,
  ec2RequestBucket,
  ec2ResourceCost,
} from './ec2-throttling';
export { AwsError } from './errors';
export { type EventListener, EventLog } from './events';
export {
  FaultInjector,
  type FaultRule,
  type FaultState,
  type FaultUpdate,
  FaultUpdateSchema,
  MAX_REAL_LATENCY_MS,
} from './faults';
export { FUNCTION_HEADER, type UndeclaredAction, undeclaredActions } from './lambda/aws-calls';
export {
  type InvocationRecord,
  LAMBDA_TIMEOUT_ERROR_TYPE,
  LambdaInvocationError,
  LambdaTimeoutError,
} from './lambda/runtime';
export { StateDirInUseError, StateFileError } from './persistence/state-dir';
export { type EdgeOptions, parseCredentialScope, startEdge } from './server';
export type { CloudServices, ServiceOptions } from './services';
export { Ec2Service, type Ec2ServiceOptions } from './services/ec2';
export {
  AMAZON_OWNER_ID,
  CANONICAL_OWNER_ID,
  PUBLIC_IMAGES,
  type PublicImageSpec,
  publicImageId,
} from './services/ec2/public-images';
export type { SnsService } from './services/sns';
export type { SnsDelivery } from './services/sns/delivery';
export { SsmService, type SsmServiceOptions } from './services/ssm';
export { StsService } from './services/sts';
export { SimClock, type TimerHandle } from './sim-clock';
export type {
  CloudContext,
  CloudEvent,
  EmulatedService,
  EventSink,
  FaultView,
  InstanceDirectory,
  InstanceState,
  ServiceRequest,
  ServiceResponse,
  SimInstance,
} from './types';
