export { type BuildKeyInput, buildIdFor, buildKey } from './build-key';
export { FamilyNotConfiguredError, SourceNotFoundError } from './errors';
export { type BuildDeps, type BuildDetailType, type BuildEvents, DEFAULT_ACTOR } from './use-cases/deps';
export { type BuildFamilyConfig, type LoadedFamilyConfig, loadFamilyConfig } from './use-cases/family-config';
export {
  BUILD_ID_TAG,
  type ImageStateChange,
  type ImageStateChangeDeps,
  type ImageStateChangeResult,
  onImageStateChange,
} from './use-cases/on-image-state-change';
export {
  type ResolvedSource,
  type ResolveSourceDeps,
  type ResolveSourceOptions,
  resolveSource,
  type SourceKind,
} from './use-cases/resolve-source';
export {
  builderLaunchRequest,
  type StartBuildDeps,
  type StartBuildResult,
  startBuild,
} from './use-cases/start-build';
