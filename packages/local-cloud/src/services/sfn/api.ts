import { AwsError } from '../../errors';
import {
  decodeState,
  encodeState,
  expectArray,
  expectNumber,
  expectRecord,
  expectString,
} from '../../persistence/codec';
import { dispatchJson, jsonErrorReply, jsonReply, targetOperation } from '../../protocols/json';
import type { CloudContext, EmulatedService, ServiceRequest, ServiceResponse } from '../../types';
import { type CompiledDefinition, compileDefinition } from './definition';
import type { Execution, InvokeLambda } from './engine';
import { Executions, type WaitOptions } from './executions';
import type { HistoryEvent } from './history';
import { type Caller, StateMachines, sameDefinitionText } from './state-machines';
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

  /**
   * Creates a state machine, or brings the one of that name to this definition and role, as a deploy
   * does (serverless.yml deployed again, over a restored state or not): the same definition finds the
   * machine unchanged; another one updates it (running executions keep theirs). `definition` may be ASL
   * text or an object. CreateStateMachine on the wire keeps AWS's rule (`StateMachineAlreadyExists`).
   */
  createStateMachine(
    accountId: string,
    region: string,
    name: string,
    definition: string | object,
    roleArn: string,
  ): { stateMachineArn: string; creationDate: Date } {
    const caller = { accountId, region };
    const text = typeof definition === 'string' ? definition : JSON.stringify(definition);
    const existing = this.machines.find(caller, name);
    if (existing) {
      const changes = {
        ...(sameDefinitionText(existing.definition.text, text) ? {} : { definition: text }),
        ...(existing.roleArn === roleArn ? {} : { roleArn }),
      };
      if (Object.keys(changes).length > 0) this.machines.update(caller, existing.arn, changes);
      return { stateMachineArn: existing.arn, creationDate: new Date(existing.creationDate) };
    }
    const r = this.machines.create(caller, { name, definition: text, roleArn });
    return { stateMachineArn: r.arn, creationDate: new Date(r.creationDate) };
  }

  /**
   * State machines and executions (closed ones with their whole history), as JSON. A running execution
   * is saved as it stands and restored ABORTED (see `Executions.importState`).
   */
  snapshotState(): unknown {
    return encodeState({ machines: this.machines.exportState(), executions: this.executions.exportState() });
  }

  /** Replaces this emulator's state with a `snapshotState` of an earlier run. */
  restoreState(saved: unknown): void {
    const data = expectRecord(decodeState(saved), '$');
    const machines = expectRecord(data.machines, '$.machines');
    expectNumber(machines.seq, '$.machines.seq');
    expectArray(machines.machines, '$.machines.machines').forEach((m, i) => {
      const machine = expectRecord(m, `$.machines.machines[${i}]`);
      for (const f of ['arn', 'name', 'accountId', 'region', 'roleArn', 'definition']) {
        expectString(machine[f], `$.machines.machines[${i}].${f}`);
      }
    });
    const executions = expectRecord(data.executions, '$.executions');
    expectNumber(executions.seq, '$.executions.seq');
    expectArray(executions.executions, '$.executions.executions').forEach((x, i) => {
      const at = `$.executions.executions[${i}]`;
      const execution = expectRecord(x, at);
      expectString(expectRecord(execution.spec, `${at}.spec`).arn, `${at}.spec.arn`);
      expectString(execution.definition, `${at}.definition`);
      expectString(execution.status, `${at}.status`);
      expectNumber(execution.startDate, `${at}.startDate`);
      expectArray(execution.history, `${at}.history`);
    });
    // Many executions share a definition: compile each text once.
    const compiled = new Map<string, CompiledDefinition>();
    const compile = (text: string) => {
      let c = compiled.get(text);
      if (!c) {
        c = compileDefinition(text);
        compiled.set(text, c);
      }
      return c;
    };
    this.machines.importState(machines as unknown as ReturnType<StateMachines['exportState']>, compile);
    this.executions.importState(executions as unknown as ReturnType<Executions['exportState']>, compile);
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
