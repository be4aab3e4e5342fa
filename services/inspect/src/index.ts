export { FamilyNotConfiguredError, ImageNotInspectableError } from './errors';
export { type CoverageCheck, type CoverageResult, checkCoverage } from './use-cases/check-coverage';
export {
  DEFAULT_ACTOR,
  type InspectDeps,
  type InspectEvents,
  type InspectionStarter,
} from './use-cases/deps';
export { type InspectFamilyConfig, loadFamilyConfig } from './use-cases/family-config';
export {
  INSPECTION_ID_TAG,
  type InspectionPurpose,
  type InspectionRequest,
  inspectionIdFor,
  maxCoverageChecks,
  maxTestChecks,
  TEST_INSTANCE_TAG,
  testInstanceTags,
} from './use-cases/inspection';
export { type FindingNotice, type OnFindingResult, onFinding } from './use-cases/on-finding';
export {
  failureReason,
  type InspectionFailure,
  recordFailure,
} from './use-cases/record-failure';
export { recordVerdict, type VerdictResult } from './use-cases/record-verdict';
export { type ReinspectResult, reinspectDue } from './use-cases/reinspect';
export { type RequestInspectionResult, requestInspection } from './use-cases/request-inspection';
export {
  checkTests,
  runTests,
  type SentTest,
  type TestProgress,
  testCommentFor,
} from './use-cases/run-tests';
export { type StartedInspection, startInspection } from './use-cases/start-inspection';
export { terminateTestInstances } from './use-cases/terminate-test-instances';
