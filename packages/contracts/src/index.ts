export { type EventBridgeEnvelope, envelopeSchema } from './envelope';
export { type ContractIssue, ContractViolationError, UnknownDetailTypeError } from './errors';
export type { BuildRequestedDetail } from './events/build-requested';
export * as buildRequested from './events/build-requested';
export type { ImageApprovedDetail } from './events/image-approved';
export * as imageApproved from './events/image-approved';
export type { ImageBuildFailedDetail } from './events/image-build-failed';
export * as imageBuildFailed from './events/image-build-failed';
export type { ImageBuiltDetail } from './events/image-built';
export * as imageBuilt from './events/image-built';
export type { ImageDeprecatedDetail } from './events/image-deprecated';
export * as imageDeprecated from './events/image-deprecated';
export type { ImageDisabledDetail } from './events/image-disabled';
export * as imageDisabled from './events/image-disabled';
export type { ImageInspectionCompletedDetail } from './events/image-inspection-completed';
export * as imageInspectionCompleted from './events/image-inspection-completed';
export type { ImagePublishedDetail } from './events/image-published';
export * as imagePublished from './events/image-published';
export type { ImageRejectedDetail } from './events/image-rejected';
export * as imageRejected from './events/image-rejected';
export type { ImageRetiredDetail } from './events/image-retired';
export * as imageRetired from './events/image-retired';
export type { ImageVulnerableDetail } from './events/image-vulnerable';
export * as imageVulnerable from './events/image-vulnerable';
export type { RetentionSweepCompletedDetail } from './events/retention-sweep-completed';
export * as retentionSweepCompleted from './events/retention-sweep-completed';
export { EVENT_SOURCE } from './fields';
export { type EventFixtures, fixturePath, readFixture } from './fixtures';
export {
  type AmiLifecycleEvent,
  buildEntry,
  contracts,
  contractsByDetailType,
  type DetailOf,
  type DetailType,
  detailJsonSchema,
  detailTypes,
  type EventContract,
  type PutEventsEntry,
  parseDetail,
  parseEventBridgeEvent,
} from './registry';
