export { type AmictlDeps, type AmictlEvents, type ExitCode, runAmictl } from './amictl';
export { type AmictlCommand, BUILD_REASONS, CliUsageError, EXIT_CODES, parseAmictlArgs } from './args';
export {
  type AwsRetentionOptions,
  awsRetentionPorts,
  decommissionStateMachineName,
  stateMachineFromEnv,
} from './aws-retention';
export {
  type DeadLetterReader,
  type DeadLetterView,
  describeDeadLetter,
  type RawDeadLetter,
  sqsDeadLetterReader,
} from './dead-letter-commands';
export { type Unreachable, unreachable } from './errors';
export type { FamilyView } from './family-commands';
export type { HoldView } from './hold-commands';
export type { ChannelView, ImageDetailView, ImageView, TimelineEntry } from './read-commands';
export type { RefreshPlanView } from './refresh-commands';
export {
  manualSweepId,
  type RetentionActionView,
  type RetentionPorts,
  type RetentionShowView,
} from './retention-commands';
