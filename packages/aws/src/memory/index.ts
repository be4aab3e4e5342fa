export { createMemoryCloud, type MemoryCloud } from './memory-cloud';
export {
  type CommandOutcome,
  interpretScript,
  MemoryCommands,
  type MemoryCommandsOptions,
  type SentCommand,
} from './memory-commands';
export { MemoryCompute, type MemoryComputeOptions, type MemoryInstance } from './memory-compute';
export {
  MemoryEventPublisher,
  type MemoryEventPublisherOptions,
  type PublishedEvent,
} from './memory-event-publisher';
export {
  type FindingsInstanceView,
  MemoryFindings,
  type MemoryFindingsOptions,
  type NewFinding,
} from './memory-findings';
export {
  AL2023_PARAMETER,
  MEMORY_ACCOUNT_ID,
  MEMORY_REGION,
  type MemoryImage,
  MemoryImages,
  type MemoryImagesOptions,
  type MemorySnapshot,
} from './memory-images';
export {
  MEMORY_SHARED_ACCOUNT_ID,
  MemoryInventory,
  type MemoryInventoryImage,
  type MemoryInventoryOptions,
  type MemoryInventorySnapshot,
  MemorySharedUsage,
  type MemorySharedUsageOptions,
  type NewInventoryImage,
  type NewLaunchTemplate,
} from './memory-inventory';
export { MemoryParameters, type MemoryParametersOptions, type PendingPut } from './memory-parameters';
export { createMemoryRegions, type MemoryRegion, type MemoryRegionsOptions } from './memory-regions';
export { SimulatedAwsError } from './simulated-aws-error';
