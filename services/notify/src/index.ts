export { DynamoNotifyStore, MemoryNotifyStore, NOTIFY_PK } from './adapters/dynamo-store';
export { InspectorFindingDetails, toFindingDetail } from './adapters/inspector-details';
export { SqsQueueDepth } from './adapters/sqs-depth';
export { RefreshDecisionPendingError } from './errors';
export { checkDeadLetters, type DeadLettersResult } from './use-cases/dead-letters';
export { type Delivery, deliver, emailEndpoints, type Message, subscribeMissing } from './use-cases/deliver';
export {
  assessGate,
  type GateAssessment,
  groupByVulnerability,
  judgingFindings,
  type VulnerabilityGroup,
} from './use-cases/findings';
export {
  NOTIFY_EVENT_OF,
  type NotifiedDetailType,
  type NotifiedEvent,
  type NotifyResult,
  notifyOnEvent,
  REFRESH_DECISION_WAIT_MS,
  vulnerableTriggerKey,
} from './use-cases/on-event';
export { familyConfig, organizationNotify, policyAddresses } from './use-cases/policy';
export type * from './use-cases/ports';
export * from './use-cases/render';
export {
  ORIGINATOR_DAYS,
  type OriginatorResult,
  onBuildRequested,
  type ReconcileResult,
  reconcileSubscriptions,
} from './use-cases/subscriptions';
export { MAX_SUBJECT_LENGTH, SUBJECT_PREFIX, subjectLine } from './use-cases/text';
