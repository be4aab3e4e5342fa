export { type AmictlDeps, type AmictlEvents, type ExitCode, runAmictl } from './amictl';
export {
  type AmictlCommand,
  BUILD_REASONS,
  CliUsageError,
  EXIT_CODES,
  parseAmictlArgs,
  parseDuration,
} from './args';
export {
  buildStateMachineFromEnv,
  buildStateMachineName,
  describeBuildHistory,
  sfnBuildTracker,
} from './aws-builds';
export {
  type AwsRetentionOptions,
  awsRetentionPorts,
  decommissionStateMachineName,
  stateMachineFromEnv,
} from './aws-retention';
export {
  BUILD_OUTCOMES,
  BUILD_POLL_SECONDS,
  type BuildExecutionView,
  type BuildOutcome,
  type BuildOutcomeView,
  type BuildRequestView,
  type BuildTracker,
  type ProgressLine,
} from './build-commands';
export type { ConfigDiffView, ConfigValidationView, FieldChange } from './config-commands';
export {
  type DeadLetterReader,
  type DeadLetterView,
  describeDeadLetter,
  type RawDeadLetter,
  sqsDeadLetterReader,
} from './dead-letter-commands';
export { describeTarget, type Target, type Unreachable, unreachable } from './errors';
export type { FamilyView } from './family-commands';
export type { HoldView } from './hold-commands';
export {
  buildLineageGraph,
  formatLineage,
  formatLineageDot,
  formatLineageJson,
  formatLineageMermaid,
  formatLineageTree,
  LINEAGE_FORMATS,
  type LineageFormat,
  type LineageGraph,
  type LineageImage,
  type LineageRef,
  showLineage,
} from './lineage-commands';
export {
  familyRecipients,
  type NotificationMessage,
  type NotificationsPort,
  NotificationsTopicError,
  type NotifyRecipientView,
  type NotifyTestView,
  RECIPIENTS_ATTRIBUTE,
  SUBSCRIPTION_STATES,
  type SubscriptionState,
  type TopicSubscription,
  testSubject,
} from './notify-commands';
export { paint, type Tone, useColor } from './output';
export type { ChannelView, ImageDetailView, ImageView, TimelineEntry } from './read-commands';
export type { RefreshPlanView } from './refresh-commands';
export {
  formatReportJson,
  gatherReport,
  type ReportData,
  type ReportDeps,
  renderReportHtml,
  reportText,
  runReport,
} from './report';
export {
  manualSweepId,
  type RetentionActionView,
  type RetentionPorts,
  type RetentionShowView,
} from './retention-commands';
export {
  amictlDepsFromEnv,
  clientOptionsOf,
  notificationsTopicName,
  type ProcessIo,
  snsNotifications,
} from './wiring';
