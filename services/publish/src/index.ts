export { asStep, StepInputRejectedError } from '@ami-lifecycle/lambda-kit';
export {
  BlockPublicAccessOffError,
  CopyFailedError,
  ImageNotPublishableError,
  ParameterNotUpdatedError,
  PlanNotExecutableError,
  PublicationStartError,
  PublishRefusedError,
} from './errors';
export { completePublication } from './use-cases/complete-publication';
export { type CopyProgress, checkCopies, copyToRegions } from './use-cases/copy-to-regions';
export { approveImage, type DecideDeps, type DecisionInput, rejectImage } from './use-cases/decide';
export {
  DEFAULT_ACTOR,
  type PublicationStarter,
  type PublishDeps,
  type PublishEvents,
  type RegionalPorts,
} from './use-cases/deps';
export { planPublication } from './use-cases/plan-publication';
export {
  copyClientToken,
  kmsKeyInRegion,
  type PublicationPlan,
  type PublicationRequest,
  parameterName,
  publicationIdFor,
  publicationPlan,
  publicationPlanSchema,
  publicationRequestSchema,
} from './use-cases/publication';
export { failureReason, recordPublicationFailure } from './use-cases/record-failure';
export { type RollbackDeps, type RollbackInput, rollbackChannel } from './use-cases/rollback';
export { launchPermissionChange, type ShareResult, shareImage } from './use-cases/share-image';
export { type RequestPublicationResult, requestPublication } from './use-cases/start-publication';
export {
  LOOKS_BEFORE_REWRITE,
  MAX_WRITES,
  type ParameterProgress,
  type ParametersResult,
  writeParameters,
} from './use-cases/write-parameters';
