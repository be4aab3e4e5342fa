import type { AwsClients } from '@ami-lifecycle/aws';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { BuildExecutionView, BuildTracker, ProgressLine } from './build-commands';

/** The build state machine of a stage, as serverless.yml names it. */
export const buildStateMachineName = (stage: string): string => `ami-lifecycle-${stage}-build`;

/**
 * Where `main.ts` finds the build state machine: `BUILD_STATE_MACHINE_ARN`, else the stage's machine,
 * the stage read from the catalog table's name (`ami-lifecycle-<stage>`); undefined when neither says
 * (then `build --wait` follows the catalog alone).
 */
export const buildStateMachineFromEnv = (
  env: Readonly<Record<string, string | undefined>>,
  catalogTable: string,
): { arn: string } | { name: string } | undefined => {
  const arn = env.BUILD_STATE_MACHINE_ARN?.trim();
  if (arn) return { arn };
  const stage = /^ami-lifecycle-(.+)$/.exec(catalogTable)?.[1];
  return stage === undefined ? undefined : { name: buildStateMachineName(stage) };
};

/** A history event's JSON output, or undefined. */
const outputOf = (event: HistoryEvent): Record<string, unknown> | undefined => {
  const text = event.stateExitedEventDetails?.output;
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

type Progress = {
  outcome?: string;
  family?: string;
  version?: string;
  state?: string;
  instanceId?: string;
  stepIndex?: number;
  stepCount?: number;
  stepName?: string;
  commandId?: string;
  stepStatus?: string;
  reason?: string;
  builderState?: string;
};

/**
 * What the build state machine's history says, in amictl's words: the steps it took (builder launched
 * and running, each component sent and how it ended, builder stopped) and, for a failed build, the reason
 * its FailBuild step recorded, or the execution's own error when it has none.
 */
export const describeBuildHistory = (
  status: BuildExecutionView['status'],
  events: readonly HistoryEvent[],
): BuildExecutionView => {
  const steps: ProgressLine[] = [];
  let failure: string | undefined;
  let duplicateOf: BuildExecutionView['duplicateOf'];
  let running = false;
  for (const event of events) {
    const at = (event.timestamp ?? new Date(0)).toISOString();
    const step = (text: string) => steps.push({ at, text });
    if (event.type === 'ExecutionStarted') step('the build service started the build');
    if (event.type === 'ExecutionFailed' && failure === undefined) {
      const d = event.executionFailedEventDetails;
      failure = [d?.error, d?.cause].filter((p) => p !== undefined && p !== '').join(': ') || undefined;
    }
    if (event.type !== 'TaskStateExited') continue;
    const output = outputOf(event);
    const build = (output?.build ?? {}) as Progress;
    switch (event.stateExitedEventDetails?.name) {
      case 'StartBuild':
        if (build.outcome === 'duplicate' && build.family !== undefined && build.version !== undefined) {
          duplicateOf = { family: build.family, version: build.version };
          step(
            `nothing new to build: ${build.family} ${build.version} (${build.state}) is this request's build, or has the same inputs`,
          );
        } else if (build.outcome === 'started')
          step(
            `builder ${build.instanceId} launched for ${build.family} ${build.version}` +
              ` (${build.stepCount} component${build.stepCount === 1 ? '' : 's'} to run)`,
          );
        break;
      case 'CheckBuilder':
        if (build.builderState === 'running' && !running) {
          running = true;
          step(`builder ${build.instanceId} running`);
        }
        break;
      case 'RunComponent':
        if (build.commandId !== undefined)
          step(
            `component ${build.stepName} (${(build.stepIndex ?? 0) + 1} of ${build.stepCount}) sent to the builder, SSM command ${build.commandId}`,
          );
        break;
      case 'PollComponent':
        if (build.stepStatus === 'succeeded') step(`component ${build.stepName} succeeded`);
        else if (build.stepStatus === 'failed') step(`component ${build.stepName} failed: ${build.reason}`);
        break;
      case 'StopBuilder':
        step(`builder ${build.instanceId} stopping`);
        break;
      case 'CheckBuilderStopped':
        if (build.builderState === 'stopped') step(`builder ${build.instanceId} stopped; creating the image`);
        break;
      case 'FailBuild': {
        const recorded = (output?.failure as { reason?: unknown } | undefined)?.reason;
        if (typeof recorded === 'string') failure = recorded;
        break;
      }
    }
  }
  return { status, steps, failure, duplicateOf };
};

/**
 * `AmictlDeps.builds` over Step Functions: the execution of the build state machine named by the build
 * id (DescribeExecution, then its whole history). The machine is named by ARN, or by name in the home
 * region and the caller's account (STS GetCallerIdentity, asked once).
 */
export const sfnBuildTracker = (options: {
  clients: Pick<AwsClients, 'sfn' | 'sts'>;
  home: string;
  stateMachine: { arn: string } | { name: string };
}): BuildTracker => {
  const sfn: SFNClient = options.clients.sfn;
  let machine: Promise<string> | undefined;
  const stateMachineArn = async (): Promise<string> => {
    const { stateMachine } = options;
    if ('arn' in stateMachine) return stateMachine.arn;
    const identity = await options.clients.sts.send(new GetCallerIdentityCommand({}));
    const partition = identity.Arn?.split(':')[1] ?? 'aws';
    return `arn:${partition}:states:${options.home}:${identity.Account}:stateMachine:${stateMachine.name}`;
  };
  return {
    execution: async (buildId) => {
      machine ??= stateMachineArn().catch((error: unknown) => {
        machine = undefined;
        throw error;
      });
      const executionArn = `${(await machine).replace(':stateMachine:', ':execution:')}:${buildId}`;
      let status: BuildExecutionView['status'];
      try {
        const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
        status = (described.status ?? 'RUNNING') as BuildExecutionView['status'];
      } catch (error) {
        if ((error as { name?: unknown }).name === 'ExecutionDoesNotExist') return undefined;
        throw error;
      }
      const events: HistoryEvent[] = [];
      let nextToken: string | undefined;
      do {
        const page = await sfn.send(
          new GetExecutionHistoryCommand({
            executionArn,
            maxResults: 1000,
            includeExecutionData: true,
            nextToken,
          }),
        );
        events.push(...(page.events ?? []));
        nextToken = page.nextToken;
      } while (nextToken !== undefined);
      return describeBuildHistory(status, events);
    },
  };
};
