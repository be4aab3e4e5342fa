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
  type MemoryImage,
  MemoryImages,
  type MemoryImagesOptions,
} from './memory-images';
export { SimulatedAwsError } from './simulated-aws-error';
