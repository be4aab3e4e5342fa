export { RefreshApplyError, type RefreshFailure, TriggerMismatchError } from './errors';
export {
  channelTarget,
  currentImage,
  type FamilyView,
  type PlanContext,
  parentPublishedKey,
  planDaily,
  planParentPublished,
  planVulnerable,
  requestKeyFor,
  staleBaseKey,
  vulnerableKey,
} from './plan';
export { type AppliedDecision, applyDecisions } from './use-cases/apply';
export {
  DEFAULT_ACTOR,
  DEFAULT_MAX_BUILDS_PER_TRIGGER,
  type RefreshDeps,
  type RefreshEvents,
} from './use-cases/deps';
export {
  onImagePublished,
  onImageVulnerable,
  planRefresh,
  publishedTriggerKey,
  type RefreshResult,
  refreshDaily,
} from './use-cases/refresh';
export { lineageFamilies, loadFamilies, loadView, type UnreadableFamily } from './use-cases/world';
