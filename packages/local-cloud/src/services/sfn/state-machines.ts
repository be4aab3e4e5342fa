import { AwsError } from '../../errors';
import type { SimClock } from '../../sim-clock';
import { type CompiledDefinition, compileDefinition } from './definition';
import { assertValidName, epochSeconds, paginate, parseArn, stateMachineArn } from './wire';

/** The account and region a request acts in. */
export interface Caller {
  accountId: string;
  region: string;
}

export interface StateMachineRecord {
  arn: string;
  name: string;
  accountId: string;
  region: string;
  roleArn: string;
  definition: CompiledDefinition;
  creationDate: number;
  updateDate?: number;
  revision: number;
  loggingConfiguration: Record<string, unknown>;
  tracingConfiguration: Record<string, unknown>;
  tags: Record<string, string>;
  /** Creation order, the key that listings page on. */
  seq: number;
}

export interface CreateStateMachineInput {
  name: string;
  definition: string;
  roleArn: string;
  type?: string | undefined;
  loggingConfiguration?: Record<string, unknown> | undefined;
  tracingConfiguration?: Record<string, unknown> | undefined;
  tags?: Record<string, string> | undefined;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const DEFAULT_LOGGING = { level: 'OFF', includeExecutionData: false };
const DEFAULT_TRACING = { enabled: false };

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Same definition for idempotency: the same text, or the same JSON written differently. */
export const sameDefinitionText = (a: string, b: string): boolean => {
  if (a === b) return true;
  try {
    return sameJson(JSON.parse(a), JSON.parse(b));
  } catch {
    return false;
  }
};

/** State machines per account and region: STANDARD only, with the idempotency rules of CreateStateMachine. */
export class StateMachines {
  private readonly byArn = new Map<string, StateMachineRecord>();
  private seq = 0;

  constructor(private readonly clock: SimClock) {}

  create(caller: Caller, input: CreateStateMachineInput): StateMachineRecord {
    assertValidName(input.name);
    if (input.type !== undefined && input.type !== 'STANDARD') {
      if (input.type === 'EXPRESS') {
        throw new AwsError(
          'StateMachineTypeNotSupported',
          'The local cloud runs STANDARD state machines only (EXPRESS executions are neither recorded nor listed).',
        );
      }
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value '${input.type}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]`,
      );
    }
    this.assertRoleArn(input.roleArn);
    const arn = stateMachineArn(caller.region, caller.accountId, input.name);
    const loggingConfiguration = input.loggingConfiguration ?? DEFAULT_LOGGING;
    const tracingConfiguration = input.tracingConfiguration ?? DEFAULT_TRACING;
    const existing = this.byArn.get(arn);
    if (existing) {
      // AWS: idempotent on name, definition, type and logging/tracing; a different role or tags are
      // ignored (and not applied); anything else is a conflict.
      if (
        sameDefinitionText(existing.definition.text, input.definition) &&
        sameJson(existing.loggingConfiguration, loggingConfiguration) &&
        sameJson(existing.tracingConfiguration, tracingConfiguration)
      ) {
        return existing;
      }
      throw new AwsError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
    }
    const record: StateMachineRecord = {
      arn,
      name: input.name,
      accountId: caller.accountId,
      region: caller.region,
      roleArn: input.roleArn,
      definition: compileDefinition(input.definition),
      creationDate: this.clock.nowMillis(),
      revision: 1,
      loggingConfiguration,
      tracingConfiguration,
      tags: input.tags ?? {},
      seq: ++this.seq,
    };
    this.byArn.set(arn, record);
    return record;
  }

  /** Every machine with its definition as text, for a state file. */
  exportState(): {
    seq: number;
    machines: (Omit<StateMachineRecord, 'definition'> & { definition: string })[];
  } {
    return {
      seq: this.seq,
      machines: [...this.byArn.values()].map((r) => ({ ...r, definition: r.definition.text })),
    };
  }

  /** Replaces every machine with those of `exportState`, compiling each definition again (`compile`). */
  importState(
    saved: ReturnType<StateMachines['exportState']>,
    compile: (text: string) => CompiledDefinition,
  ): void {
    const machines = saved.machines.map((m) => ({ ...m, definition: compile(m.definition) }));
    this.byArn.clear();
    for (const m of machines) this.byArn.set(m.arn, m);
    this.seq = saved.seq;
  }

  /** The machine of that name in the caller's account and region, if there is one. */
  find(caller: Caller, name: string): StateMachineRecord | undefined {
    return this.byArn.get(stateMachineArn(caller.region, caller.accountId, name));
  }

  /** The machine, if `caller` can see it: ARNs of other accounts and regions do not resolve. */
  get(caller: Caller, arn: string): StateMachineRecord {
    const parsed = parseArn(arn, 'stateMachine');
    const record = this.byArn.get(arn);
    if (!record || parsed.accountId !== caller.accountId || parsed.region !== caller.region) {
      throw new AwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    }
    return record;
  }

  describe(caller: Caller, arn: string): Record<string, unknown> {
    const r = this.get(caller, arn);
    return {
      stateMachineArn: r.arn,
      name: r.name,
      status: 'ACTIVE',
      definition: r.definition.text,
      roleArn: r.roleArn,
      type: 'STANDARD',
      creationDate: epochSeconds(r.creationDate),
      loggingConfiguration: r.loggingConfiguration,
      tracingConfiguration: r.tracingConfiguration,
      revisionId: String(r.revision),
    };
  }

  list(caller: Caller, maxResults: number, nextToken: string | undefined): Record<string, unknown> {
    const mine = [...this.byArn.values()]
      .filter((r) => r.accountId === caller.accountId && r.region === caller.region)
      .sort((a, b) => a.seq - b.seq);
    const { page, nextToken: next } = paginate(mine, (r) => r.seq, {
      listing: `state-machines:${caller.accountId}:${caller.region}`,
      maxResults,
      nextToken,
    });
    return {
      stateMachines: page.map((r) => ({
        stateMachineArn: r.arn,
        name: r.name,
        type: 'STANDARD',
        creationDate: epochSeconds(r.creationDate),
      })),
      ...(next ? { nextToken: next } : {}),
    };
  }

  /** Running executions keep the definition they started with, as in AWS. */
  update(
    caller: Caller,
    arn: string,
    changes: Pick<
      Partial<CreateStateMachineInput>,
      'definition' | 'roleArn' | 'loggingConfiguration' | 'tracingConfiguration'
    >,
  ): Record<string, unknown> {
    const r = this.get(caller, arn);
    if (Object.values(changes).every((v) => v === undefined)) {
      throw new AwsError(
        'MissingRequiredParameter',
        'Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified',
      );
    }
    if (changes.roleArn !== undefined) this.assertRoleArn(changes.roleArn);
    const definition =
      changes.definition !== undefined ? compileDefinition(changes.definition) : r.definition;
    r.definition = definition;
    if (changes.roleArn !== undefined) r.roleArn = changes.roleArn;
    if (changes.loggingConfiguration !== undefined) r.loggingConfiguration = changes.loggingConfiguration;
    if (changes.tracingConfiguration !== undefined) r.tracingConfiguration = changes.tracingConfiguration;
    r.updateDate = this.clock.nowMillis();
    r.revision++;
    return { updateDate: epochSeconds(r.updateDate), revisionId: String(r.revision) };
  }

  /** Removes the machine; deleting one that does not exist succeeds, as the call is idempotent in AWS. */
  delete(caller: Caller, arn: string): StateMachineRecord | undefined {
    const parsed = parseArn(arn, 'stateMachine');
    const record = this.byArn.get(arn);
    if (!record || parsed.accountId !== caller.accountId || parsed.region !== caller.region) return undefined;
    this.byArn.delete(arn);
    return record;
  }

  private assertRoleArn(roleArn: string): void {
    if (!ROLE_ARN.test(roleArn))
      throw new AwsError('InvalidArn', `Invalid Arn: '${roleArn}' is not an IAM role ARN`);
  }
}
