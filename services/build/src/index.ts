// The build key lives in core: the refresh service computes it too, to say why it skips a rebuild.
export { type BuildKeyInput, buildIdFor, buildKey } from '@ami-lifecycle/core';
export {
  AmiNotVisibleYetError,
  BuilderLostError,
  BuilderNotOwnedError,
  BuilderNotReadyError,
  FamilyNotConfiguredError,
  ImageNotBuildingError,
  SourceNotFoundError,
} from './errors';
export {
  BUILDER_MAX_CHECKS,
  type BuildProgress,
  buildProgressSchema,
  maxChecksFor,
  POLL_SECONDS,
} from './use-cases/build-progress';
export { type BuildStep, buildSteps, loadBuildSteps } from './use-cases/build-steps';
export { BUILD_ID_TAG } from './use-cases/builders';
export { checkBuilder } from './use-cases/check-builder';
export { type CreateBuildImageDeps, createBuildImage } from './use-cases/create-build-image';
export {
  type BuildDeps,
  type BuildDetailType,
  type BuildEvents,
  type BuildExecutionsPort,
  DEFAULT_ACTOR,
} from './use-cases/deps';
export {
  type BuildStage,
  describeError,
  type FailBuildDeps,
  type FailBuildInput,
  type FailBuildResult,
  failBuild,
} from './use-cases/fail-build';
export {
  type BuildFamilyConfig,
  type LoadedFamilyConfig,
  loadFamilyConfig,
  loadFamilyConfigVersion,
  parseStoredConfig,
} from './use-cases/family-config';
export { type LaunchBuildResult, launchBuild } from './use-cases/launch-build';
export {
  type ImageStateChange,
  type ImageStateChangeDeps,
  type ImageStateChangeResult,
  onImageStateChange,
} from './use-cases/on-image-state-change';
export { pollBuildStep } from './use-cases/poll-build-step';
export {
  DEFAULT_RECONCILE_OPTIONS,
  type ReconcileDeps,
  type ReconcileOptions,
  type ReconcileResult,
  reconcileBuilds,
} from './use-cases/reconcile';
export { type RequestBuildResult, requestBuild } from './use-cases/request-build';
export {
  type ResolvedSource,
  type ResolveSourceDeps,
  type ResolveSourceOptions,
  resolveSource,
  type SourceKind,
} from './use-cases/resolve-source';
export { runBuildStep } from './use-cases/run-build-step';
export {
  builderLaunchRequest,
  type StartBuildDeps,
  type StartBuildResult,
  startBuild,
} from './use-cases/start-build';
export { stopBuilder } from './use-cases/stop-builder';
