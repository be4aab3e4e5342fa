import { AwsError } from '../../errors';
import { dispatchJson, jsonErrorReply, jsonReply, targetOperation } from '../../protocols/json';
import type { CloudContext, EmulatedService, ServiceRequest, ServiceResponse } from '../../types';
import type { Execution, InvokeLambda } from './engine';
import { Executions, type WaitOptions } from './executions';
import type { HistoryEvent } from './history';
import { type Caller, StateMachines } from './state-machines';
import { type Body, epochSeconds, parseArn, readBool, readMaxResults, readString } from './wire';

export interface SfnServiceOptions {
  /**
   * Runs a Lambda function in-process: resolves with its result, rejects with what it threw (the error's
   * `name` becomes the Step Functions error) or with an `AwsError` for a Lambda API failure (reported
   * as `Lambda.<code>`, e.g. `Lambda.ResourceNotFoundException`).
   */
  invokeLambda: InvokeLambda;
}

/** An execution as the in-process API returns it. */
export interface ExecutionView {
  executionArn: string;
  status: Execution['status'];
  input: unknown;
  output?: unknown;
  error?: string;
  cause?: string;
  startDate: Date;
  stopDate?: Date;
}

const TARGET_PREFIX = 'AWSStepFunctions.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';

const readObject = (body: Body, key: string): Record<string, unknown> | undefined => {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v))
    throw new AwsError('SerializationException', `${key} must be a structure`);
  return v as Record<string, unknown>;
};

const readTags = (body: Body): Record<string, string> | undefined => {
  const v = body.tags;
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new AwsError('SerializationException', 'tags must be a list of structures');
  return Object.fromEntries(
    v.map((t: { key?: unknown; value?: unknown }) => [String(t.key ?? ''), String(t.value ?? '')]),
  );
};

/**
 * The Step Functions emulator (JSON 1.0, `X-Amz-Target: AWSStepFunctions.<Operation>`): STANDARD state
 * machines per account and region, executions run by `aws-local-stepfunctions` on the simulated clock
 * with every Lambda task dispatched in-process. Behaviour and its differences from AWS: this folder's
 * README.
 */
export class SfnService implements EmulatedService {
  readonly signingName = 'states';
  readonly machines: StateMachines;
  readonly executions: Executions;
  private readonly operations: Record<string, (caller: Caller, body: Body) => unknown>;

  constructor(ctx: CloudContext, options: SfnServiceOptions) {
    this.machines = new StateMachines(ctx.clock);
    this.executions = new Executions(ctx, this.machines, options.invokeLambda);
    const m = this.machines;
    const x = this.executions;
    this.operations = {
      CreateStateMachine: (caller, body) => {
        const r = m.create(caller, {
          name: readString(body, 'name', { required: true }),
          definition: readString(body, 'definition', { required: true, max: 1_048_576 }),
          roleArn: readString(body, 'roleArn', { required: true }),
          type: readString(body, 'type'),
          loggingConfiguration: readObject(body, 'loggingConfiguration'),
          tracingConfiguration: readObject(body, 'tracingConfiguration'),
          tags: readTags(body),
        });
        return { stateMachineArn: r.arn, creationDate: epochSeconds(r.creationDate) };
      },
      DescribeStateMachine: (caller, body) =>
        m.describe(caller, readString(body, 'stateMachineArn', { required: true })),
      ListStateMachines: (caller, body) =>
        m.list(caller, readMaxResults(body), readString(body, 'nextToken')),
      UpdateStateMachine: (caller, body) =>
        m.update(caller, readString(body, 'stateMachineArn', { required: true }), {
          definition: readString(body, 'definition', { max: 1_048_576 }),
          roleArn: readString(body, 'roleArn'),
          loggingConfiguration: readObject(body, 'loggingConfiguration'),
          tracingConfiguration: readObject(body, 'tracingConfiguration'),
        }),
      DeleteStateMachine: (caller, body) => {
        const removed = m.delete(caller, readString(body, 'stateMachineArn', { required: true }));
        if (removed) x.removeFor(removed);
        return {};
      },
      StartExecution: (caller, body) => {
        const e = x.start(caller, {
          stateMachineArn: readString(body, 'stateMachineArn', { required: true }),
          name: readString(body, 'name'),
          input: readString(body, 'input'),
        });
        return { executionArn: e.spec.arn, startDate: epochSeconds(e.startDate) };
      },
      DescribeExecution: (caller, body) =>
        x.describe(caller, readString(body, 'executionArn', { required: true })),
      ListExecutions: (caller, body) => {
        if (body.mapRunArn !== undefined) {
          throw new AwsError('ValidationException', 'mapRunArn: the local cloud has no Distributed Map runs');
        }
        return x.list(caller, {
          stateMachineArn: readString(body, 'stateMachineArn', { required: true }),
          statusFilter: readString(body, 'statusFilter'),
          maxResults: readMaxResults(body),
          nextToken: readString(body, 'nextToken'),
        });
      },
      GetExecutionHistory: (caller, body) =>
        x.history(caller, {
          executionArn: readString(body, 'executionArn', { required: true }),
          maxResults: readMaxResults(body),
          nextToken: readString(body, 'nextToken'),
          reverseOrder: readBool(body, 'reverseOrder') ?? false,
          includeExecutionData: readBool(body, 'includeExecutionData') ?? true,
        }),
      StopExecution: (caller, body) =>
        x.stop(
          caller,
          readString(body, 'executionArn', { required: true }),
          readString(body, 'error', { max: 256 }),
          readString(body, 'cause', { max: 32_768 }),
        ),
    };
  }

  operation(req: ServiceRequest): string {
    return targetOperation(req, TARGET_PREFIX);
  }

  async handle(req: ServiceRequest, operation: string): Promise<ServiceResponse> {
    const caller: Caller = { accountId: req.principal.accountId, region: req.region };
    return jsonReply(
      CONTENT_TYPE,
      200,
      dispatchJson(this.operations, operation, 'Step Functions', caller, req.body),
      req,
    );
  }

  renderError(err: AwsError, req: ServiceRequest): ServiceResponse {
    return jsonErrorReply(CONTENT_TYPE, err, req);
  }

  // ---- in-process API, for the cloud's wiring and for tests ----

  /** Creates (or, with the same definition, finds) a state machine; `definition` may be ASL text or an object. */
  createStateMachine(
    accountId: string,
    region: string,
    name: string,
    definition: string | object,
    roleArn: string,
  ): { stateMachineArn: string; creationDate: Date } {
    const r = this.machines.create(
      { accountId, region },
      { name, definition: typeof definition === 'string' ? definition : JSON.stringify(definition), roleArn },
    );
    return { stateMachineArn: r.arn, creationDate: new Date(r.creationDate) };
  }

  /** Starts an execution of a machine in its own account and region; returns the execution ARN. */
  startExecution(stateMachineArn: string, input: unknown = {}, name?: string): string {
    const { accountId, region } = parseArn(stateMachineArn, 'stateMachine');
    return this.executions.start(
      { accountId, region },
      { stateMachineArn, name, input: JSON.stringify(input) },
    ).spec.arn;
  }

  describeExecution(executionArn: string): ExecutionView {
    return view(this.executions.get(parseArn(executionArn, 'execution'), executionArn));
  }

  /** The history as recorded, oldest first (timestamps in epoch milliseconds). */
  getExecutionHistory(executionArn: string): readonly HistoryEvent[] {
    return this.executions.get(parseArn(executionArn, 'execution'), executionArn).history.list();
  }

  /**
   * Lets the execution's work in hand run without moving the clock (the engine continues on later turns
   * of the event loop): after it, the execution is closed or waiting on the clock or on a Lambda call.
   */
  async settleExecution(executionArn: string, lambdaSettleMs = 250): Promise<ExecutionView> {
    const execution = this.executions.get(parseArn(executionArn, 'execution'), executionArn);
    await execution.settle(lambdaSettleMs);
    return view(execution);
  }

  /** Advances the simulated clock in bounded steps until the execution closes (see `Executions.waitFor`). */
  async waitForExecution(executionArn: string, opts?: WaitOptions): Promise<ExecutionView> {
    return view(await this.executions.waitFor(executionArn, opts));
  }

  /** Stops every running execution, so no engine timer outlives the cloud. */
  close(): void {
    this.executions.stopAll();
  }
}

const view = (e: Execution): ExecutionView => ({
  executionArn: e.spec.arn,
  status: e.status,
  input: JSON.parse(e.spec.input),
  ...(e.output !== undefined ? { output: JSON.parse(e.output) } : {}),
  ...(e.error !== undefined ? { error: e.error } : {}),
  ...(e.cause !== undefined ? { cause: e.cause } : {}),
  startDate: new Date(e.startDate),
  ...(e.stopDate !== undefined ? { stopDate: new Date(e.stopDate) } : {}),
});
