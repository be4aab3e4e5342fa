/** Step Functions for the local cloud: see this folder's README for what runs and how it differs from AWS. */
export { type ExecutionView, SfnService, type SfnServiceOptions } from './api';
export { type CompiledDefinition, compileDefinition } from './definition';
export type { Execution, ExecutionStatus, InvokeLambda } from './engine';
export { EXECUTION_RETENTION_MS, type WaitOptions } from './executions';
export type { HistoryEvent } from './history';
