// The decommission service's public surface.

export {
  EventsNotSentError,
  InventoryIncompleteError,
  OrganizationNotConfiguredError,
  PlanNotFoundError,
  RegionNotEnabledError,
} from './errors';
export { type ActionResult, applyActions } from './use-cases/apply-actions';
export { applyBatch } from './use-cases/apply-batch';
export { completeSweep, finishSweep, type SweepOutcome } from './use-cases/complete-sweep';
export {
  DEFAULT_ACTOR,
  type DecommissionDeps,
  type DecommissionEvents,
  type SweepSettings,
} from './use-cases/deps';
export * from './use-cases/holds';
export {
  deleteOrphanSnapshots,
  MAX_ORPHANS_PER_SWEEP,
  ORPHAN_MIN_AGE_MS,
  type OrphanSnapshot,
} from './use-cases/orphans';
export {
  ACTIONS_PER_BATCH,
  type PlannedSweep,
  planSweep,
  type RegionReading,
  readRegionInventory,
} from './use-cases/plan-sweep';
export { loadSweepSettings } from './use-cases/settings';
export { dailySweepId, type SweepStarter } from './use-cases/start-sweep';
export {
  gatherInventory,
  type Inventory,
  type InventoryDrift,
  type UsageAccount,
  type UsageSources,
} from './use-cases/usage';
