export { FamilyNotConfiguredError, ImageNotInspectableError, InspectionStartError } from './errors';
export { type CoverageCheck, type CoverageResult, checkCoverage } from './use-cases/check-coverage';
export {
  DEFAULT_ACTOR,
  type InspectDeps,
  type InspectDetailType,
  type InspectEvents,
  type InspectionStarter,
} from './use-cases/deps';
export { type InspectFamilyConfig, loadFamilyConfig } from './use-cases/family-config';
export { flagVulnerable } from './use-cases/flag-vulnerable';
export { assessFindings, type GateOutcome, vulnerableFindings } from './use-cases/gate-findings';
export {
  INSPECTION_ID_TAG,
  type InspectionPurpose,
  type InspectionRequest,
  inspectionIdFor,
  inspectionRequestSchema,
  maxCoverageChecks,
  maxTestChecks,
  PURPOSES,
  TEST_INSTANCE_TAG,
  TIMING,
  testInstanceTags,
} from './use-cases/inspection';
export { type FindingNotice, type OnFindingResult, onFinding } from './use-cases/on-finding';
export {
  failureReason,
  type InspectionFailure,
  recordFailure,
} from './use-cases/record-failure';
export { type RecordVerdictDeps, recordVerdict, type VerdictResult } from './use-cases/record-verdict';
export { lastInspectedAt, type ReinspectResult, reinspectDue } from './use-cases/reinspect';
export { type RequestInspectionResult, requestInspection } from './use-cases/request-inspection';
export {
  checkTests,
  runTests,
  type SentTest,
  type TestProgress,
  testCommentFor,
} from './use-cases/run-tests';
export {
  type StartedInspection,
  type StartInspectionDeps,
  startInspection,
  testInstanceRequest,
} from './use-cases/start-inspection';
export { terminateTestInstances } from './use-cases/terminate-test-instances';
