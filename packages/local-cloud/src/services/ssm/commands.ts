import { randomUUID } from 'node:crypto';
import { AwsError } from '../../errors';
import { expectArray, expectMap, expectNumber, expectRecord, expectString } from '../../persistence/codec';
import type { TimerHandle } from '../../sim-clock';
import type { CloudContext, InstanceDirectory, SimInstance } from '../../types';
import type { Caller } from './parameters';
import { type ShellDialect, ShellSession, type ShellStep } from './shell';
import {
  type Body,
  constraintViolation,
  epochSeconds,
  paginate,
  readBool,
  readInt,
  readObject,
  readObjectList,
  readString,
  readStringList,
  sortableNumber,
  validationException,
} from './wire';

/** Simulated seconds between SendCommand and the agent picking the command up. */
export const DELIVERY_SECONDS = 1;
/**
 * How often a Delayed invocation retries delivery, and how often a long step looks at its instance: a
 * stop is noticed within this many seconds instead of at the end of a long `sleep`.
 */
export const WATCH_SECONDS = 30;
/** SendCommand's TimeoutSeconds (the delivery timeout) when the caller leaves it out. */
export const DEFAULT_DELIVERY_TIMEOUT_SECONDS = 3600;
/** The documents' own default for their `executionTimeout` parameter. */
export const DEFAULT_EXECUTION_TIMEOUT_SECONDS = 3600;

/** What SSM reports on its API: GetCommandInvocation's output fields and the plugin Output of listings. */
const MAX_STDOUT = 24_000;
const MAX_STDERR = 8_000;
const MAX_PLUGIN_OUTPUT = 2_500;

const DOCUMENTS: Record<string, { plugin: string; dialect: ShellDialect }> = {
  'AWS-RunShellScript': { plugin: 'aws:runShellScript', dialect: 'sh' },
  'AWS-RunPowerShellScript': { plugin: 'aws:runPowerShellScript', dialect: 'powershell' },
};

/**
 * The exit code the SSM agent reports for a script it stopped (timeout, cancel, agent shutdown): 128 +
 * SIGKILL on Linux, -1 on Windows (amazon-ssm-agent `appconfig.CommandStoppedPreemptivelyExitCode`).
 */
const stoppedExitCode = (dialect: ShellDialect) => (dialect === 'sh' ? 137 : -1);

type InvocationStatus =
  | 'Pending'
  | 'InProgress'
  | 'Delayed'
  | 'Success'
  | 'Cancelled'
  | 'TimedOut'
  | 'Failed';
type CommandStatus = 'Pending' | 'InProgress' | 'Success' | 'Cancelled' | 'Failed' | 'TimedOut';

interface Invocation {
  command: Command;
  instanceId: string;
  /** Position in the command's target list, for stable listing order. */
  index: number;
  status: InvocationStatus;
  statusDetails: string;
  responseCode: number;
  startedAt?: number;
  endedAt?: number;
  stdout: string;
  stderr: string;
  session?: ShellSession;
  /** The next delivery attempt or step end; only one is ever waiting. */
  timer?: TimerHandle;
  /** The execution timeout, from delivery on. */
  deadline?: TimerHandle;
}

interface Command {
  id: string;
  seq: number;
  accountId: string;
  region: string;
  documentName: string;
  plugin: string;
  dialect: ShellDialect;
  comment: string;
  parameters: Record<string, string[]>;
  script: string;
  instanceIds: string[];
  targets: Array<{ Key: string; Values: string[] }>;
  requestedAt: number;
  deliveryTimeoutSeconds: number;
  executionTimeoutSeconds: number;
  maxConcurrency: string;
  maxErrors: string;
  /** `ctx.faults.asyncFailure('ssm', 'SendCommand', region)` at send time: every invocation fails. */
  injectedFailure: boolean;
  invocations: Invocation[];
  status: CommandStatus;
}

const TERMINAL = new Set<InvocationStatus>(['Success', 'Cancelled', 'TimedOut', 'Failed']);
const INVOCATION_STATUSES = [
  'Pending',
  'InProgress',
  'Delayed',
  'Success',
  'Cancelled',
  'TimedOut',
  'Failed',
  'Cancelling',
];
const INSTANCE_ID = /^(i|mi)-[0-9a-f]{8,17}$/;
const COMMAND_ID = /^[0-9a-f-]{36}$/;

const isoOrEmpty = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString());

/**
 * Run Command against the simulated instances: each invocation is delivered, runs its script step by step
 * through the shell emulator and ends on the simulated clock. Commands live per account and region.
 */
export class CommandRunner {
  private readonly commands = new Map<string, Map<string, Command>>();
  private seq = 0;

  constructor(
    private readonly ctx: CloudContext,
    private readonly instances: InstanceDirectory,
  ) {}

  sendCommand(caller: Caller, body: Body) {
    const documentName = readString(body, 'DocumentName', { required: true, min: 1 });
    const doc = DOCUMENTS[documentName];
    if (!doc) {
      throw new AwsError(
        'InvalidDocument',
        `Document with name ${documentName} does not exist. The local cloud runs ${Object.keys(DOCUMENTS).join(' and ')}.`,
      );
    }
    const comment = readString(body, 'Comment', { max: 100 }) ?? '';
    const deliveryTimeoutSeconds =
      readInt(body, 'TimeoutSeconds', { min: 30, max: 2_592_000 }) ?? DEFAULT_DELIVERY_TIMEOUT_SECONDS;
    const maxConcurrency = readConcurrency(body, 'MaxConcurrency') ?? '50';
    const maxErrors = readConcurrency(body, 'MaxErrors') ?? '0';
    const parameters = readDocumentParameters(body);
    const executionTimeoutSeconds = Number(
      parameters.executionTimeout?.[0] ?? DEFAULT_EXECUTION_TIMEOUT_SECONDS,
    );

    const instanceIds = readStringList(body, 'InstanceIds', { max: 50 });
    const targetsIn = readObjectList(body, 'Targets', { max: 5 });
    if (instanceIds && targetsIn) {
      throw validationException('Specify either InstanceIds or Targets, not both.');
    }
    if (!instanceIds?.length && !targetsIn?.length) {
      throw validationException('SendCommand needs InstanceIds or Targets.');
    }
    const targets = (targetsIn ?? []).map((t) => ({
      Key: readString(t, 'Key', { required: true, min: 1, max: 163 }),
      Values: readStringList(t, 'Values', { required: true, max: 50 }),
    }));
    const targetIds = instanceIds
      ? this.checkInstances(caller, [...new Set(instanceIds)])
      : this.resolveTargets(caller, targets);

    const command: Command = {
      id: randomUUID(),
      seq: this.seq++,
      accountId: caller.accountId,
      region: caller.region,
      documentName,
      plugin: doc.plugin,
      dialect: doc.dialect,
      comment,
      parameters,
      // The documents join the commands list into one script, as AWS's do.
      script: (parameters.commands ?? []).join('\n'),
      instanceIds: instanceIds ? targetIds : [],
      targets,
      requestedAt: this.ctx.clock.nowMillis(),
      deliveryTimeoutSeconds,
      executionTimeoutSeconds,
      maxConcurrency,
      maxErrors,
      injectedFailure: this.ctx.faults.asyncFailure('ssm', 'SendCommand', caller.region),
      invocations: [],
      status: 'Pending',
    };
    command.invocations = targetIds.map((instanceId, index) => ({
      command,
      instanceId,
      index,
      status: 'Pending',
      statusDetails: 'Pending',
      responseCode: -1,
      stdout: '',
      stderr: '',
    }));
    this.store(caller).set(command.id, command);
    // Invocations exist from the moment SendCommand returns: AWS may answer InvocationDoesNotExist for a
    // moment after; callers that already retry on it work either way, so the race is not emulated.
    for (const inv of command.invocations) {
      inv.timer = this.ctx.clock.after(DELIVERY_SECONDS * 1000, () => this.deliver(inv));
    }
    this.updateCommandStatus(command);
    return { Command: renderCommand(command) };
  }

  getCommandInvocation(caller: Caller, body: Body) {
    const commandId = readString(body, 'CommandId', { required: true, min: 36, max: 36 });
    const instanceId = readString(body, 'InstanceId', { required: true });
    const pluginName = readString(body, 'PluginName', { min: 4 });
    const inv = this.store(caller)
      .get(commandId)
      ?.invocations.find((i) => i.instanceId === instanceId);
    if (!inv) throw new AwsError('InvocationDoesNotExist', '');
    const cmd = inv.command;
    if (pluginName !== undefined && pluginName.toLowerCase() !== cmd.plugin.toLowerCase()) {
      throw new AwsError(
        'InvalidPluginName',
        `The plugin name ${pluginName} is not valid for document ${cmd.documentName}.`,
      );
    }
    const ended = inv.endedAt !== undefined;
    return {
      CommandId: cmd.id,
      InstanceId: inv.instanceId,
      Comment: cmd.comment,
      DocumentName: cmd.documentName,
      DocumentVersion: '$DEFAULT',
      PluginName: cmd.plugin,
      ResponseCode: inv.responseCode,
      ExecutionStartDateTime: isoOrEmpty(inv.startedAt),
      ExecutionElapsedTime:
        inv.startedAt === undefined ? '' : elapsed(inv.startedAt, inv.endedAt ?? this.ctx.clock.nowMillis()),
      ExecutionEndDateTime: isoOrEmpty(inv.endedAt),
      Status: inv.status,
      StatusDetails: inv.statusDetails,
      // SSM publishes output once the plugin has finished.
      StandardOutputContent: ended ? inv.stdout.slice(0, MAX_STDOUT) : '',
      StandardOutputUrl: '',
      StandardErrorContent: ended ? inv.stderr.slice(0, MAX_STDERR) : '',
      StandardErrorUrl: '',
      CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
    };
  }

  listCommandInvocations(caller: Caller, body: Body) {
    const commandId = readCommandId(body);
    const instanceId = readString(body, 'InstanceId');
    const maxResults = readInt(body, 'MaxResults', { min: 1, max: 50 }) ?? 50;
    const details = readBool(body, 'Details');
    const filters = readCommandFilters(body, INVOCATION_STATUSES);
    const invocations = this.commandsOf(caller, commandId)
      .flatMap((c) => c.invocations)
      .filter((i) => instanceId === undefined || i.instanceId === instanceId)
      .filter((i) => filters.every((f) => f(i.command, i.status, i.endedAt !== undefined)));
    const { page, nextToken } = paginate(invocations, invocationKey, {
      listing: 'ListCommandInvocations',
      maxResults,
      nextToken: readString(body, 'NextToken'),
    });
    return {
      CommandInvocations: page.map((i) => this.renderInvocation(i, details)),
      ...(nextToken ? { NextToken: nextToken } : {}),
    };
  }

  listCommands(caller: Caller, body: Body) {
    const commandId = readCommandId(body);
    const instanceId = readString(body, 'InstanceId');
    const maxResults = readInt(body, 'MaxResults', { min: 1, max: 50 }) ?? 50;
    const filters = readCommandFilters(body, [
      'Pending',
      'InProgress',
      'Success',
      'Cancelled',
      'Failed',
      'TimedOut',
      'Cancelling',
    ]);
    const commands = this.commandsOf(caller, commandId)
      .filter((c) => instanceId === undefined || c.invocations.some((i) => i.instanceId === instanceId))
      .filter((c) => filters.every((f) => f(c, c.status, isCommandDone(c))));
    const { page, nextToken } = paginate(commands, commandKey, {
      listing: 'ListCommands',
      maxResults,
      nextToken: readString(body, 'NextToken'),
    });
    return { Commands: page.map(renderCommand), ...(nextToken ? { NextToken: nextToken } : {}) };
  }

  cancelCommand(caller: Caller, body: Body) {
    const commandId = readString(body, 'CommandId', { required: true, min: 36, max: 36 });
    const only = readStringList(body, 'InstanceIds', { max: 50 });
    const cmd = this.store(caller).get(commandId);
    if (!cmd) throw new AwsError('InvalidCommandId', '');
    for (const inv of cmd.invocations) {
      if (TERMINAL.has(inv.status) || (only && !only.includes(inv.instanceId))) continue;
      const code = inv.startedAt === undefined ? -1 : stoppedExitCode(cmd.dialect);
      this.finish(inv, 'Cancelled', 'Cancelled', code);
    }
    return {};
  }

  /**
   * Every command and its invocations, output included, for a state file (the shell sessions and timers
   * of running invocations are not data: `importState` ends those invocations instead).
   */
  exportState(): Record<string, unknown> {
    const commands = new Map(
      [...this.commands].map(([scope, byId]) => [
        scope,
        new Map(
          [...byId].map(([id, { invocations, ...command }]) => [
            id,
            {
              ...command,
              invocations: invocations.map(
                ({ command: _command, session, timer: _timer, deadline: _deadline, ...inv }) => ({
                  ...inv,
                  stdout: session?.stdout ?? inv.stdout,
                  stderr: session?.stderr ?? inv.stderr,
                }),
              ),
            },
          ]),
        ),
      ]),
    );
    return { seq: this.seq, commands };
  }

  /**
   * Replaces every command with those of `exportState` (decoded). An invocation that had not ended when
   * the state was saved cannot go on (its script's progress lived in this process): it ends `Failed` now,
   * saying so on its stderr, with the exit code of a script the agent stopped (-1 if it never started).
   * No status events are sent for that: nothing was delivered in the cloud's absence.
   */
  importState(data: Record<string, unknown>): void {
    const seq = expectNumber(data.seq, '$.seq');
    const restored = new Map<string, Map<string, Command>>();
    for (const [scope, byId] of expectMap<string, unknown>(data.commands, '$.commands')) {
      const commands = new Map<string, Command>();
      for (const [id, raw] of expectMap<string, unknown>(byId, `$.commands[${scope}]`)) {
        const at = `$.commands[${scope}][${id}]`;
        const fields = expectRecord(raw, at);
        expectString(fields.id, `${at}.id`);
        expectString(fields.dialect, `${at}.dialect`);
        const command = { ...fields, invocations: [] } as unknown as Command;
        command.invocations = expectArray(fields.invocations, `${at}.invocations`).map((i, n) => {
          const inv = expectRecord(i, `${at}.invocations[${n}]`);
          expectString(inv.instanceId, `${at}.invocations[${n}].instanceId`);
          expectString(inv.status, `${at}.invocations[${n}].status`);
          return { ...inv, command } as unknown as Invocation;
        });
        for (const inv of command.invocations) {
          if (TERMINAL.has(inv.status)) continue;
          inv.responseCode = inv.startedAt === undefined ? -1 : stoppedExitCode(command.dialect);
          inv.stderr +=
            'local cloud: the cloud was restarted while this invocation ran; Run Command does not survive a restart\n';
          inv.endedAt = this.ctx.clock.nowMillis();
          inv.status = 'Failed';
          inv.statusDetails = 'Failed';
        }
        command.status = commandStatus(command).status;
        commands.set(id, command);
      }
      restored.set(scope, commands);
    }
    for (const byId of this.commands.values()) {
      for (const command of byId.values()) {
        for (const inv of command.invocations) {
          inv.timer?.cancel();
          inv.deadline?.cancel();
        }
      }
    }
    this.commands.clear();
    for (const [k, v] of restored) this.commands.set(k, v);
    this.seq = seq;
  }

  /** The instances SendCommand may target by id: each must be a running managed node of this account. */
  private checkInstances(caller: Caller, ids: string[]): string[] {
    const bad = ids.filter((id) => {
      const inst = INSTANCE_ID.test(id)
        ? this.instances.find(caller.accountId, caller.region, id)
        : undefined;
      return !inst || !isManaged(inst);
    });
    if (bad.length > 0) {
      throw new AwsError(
        'InvalidInstanceId',
        `Instances [[${bad.join(', ')}]] not in a valid state for account ${caller.accountId}`,
      );
    }
    return ids;
  }

  /** Targets select among managed nodes only; nodes SSM doesn't manage are silently left out, as in AWS. */
  private resolveTargets(caller: Caller, targets: Array<{ Key: string; Values: string[] }>): string[] {
    const managed = this.instances.list(caller.accountId, caller.region).filter(isManaged);
    const selected = managed.filter((inst) =>
      targets.every(({ Key, Values }) => {
        if (Key === 'InstanceIds') return Values.includes(inst.instanceId);
        if (Key === 'tag-key') return Values.some((k) => inst.tags.has(k));
        if (Key.startsWith('tag:')) return Values.includes(inst.tags.get(Key.slice(4)) ?? '\0');
        throw validationException(
          `Target key ${Key} is not supported by the local cloud; use InstanceIds, tag:<key> or tag-key.`,
        );
      }),
    );
    return selected.map((i) => i.instanceId).sort();
  }

  private deliver(inv: Invocation) {
    if (TERMINAL.has(inv.status)) return;
    const cmd = inv.command;
    const inst = this.instanceOf(inv);
    if (!inst || inst.state === 'terminated' || inst.state === 'shutting-down') {
      this.finish(inv, 'Failed', 'Undeliverable', -1);
      return;
    }
    if (!isManaged(inst)) {
      // A stopped node: SSM keeps trying until the delivery timeout (TimeoutSeconds) runs out.
      const deadline = cmd.requestedAt + cmd.deliveryTimeoutSeconds * 1000;
      const now = this.ctx.clock.nowMillis();
      if (now >= deadline) {
        this.finish(inv, 'TimedOut', 'DeliveryTimedOut', -1);
        return;
      }
      if (inv.status !== 'Delayed') this.setStatus(inv, 'Delayed', 'Delayed');
      inv.timer = this.ctx.clock.at(Math.min(deadline, now + WATCH_SECONDS * 1000), () => this.deliver(inv));
      return;
    }
    inv.startedAt = this.ctx.clock.nowMillis();
    this.setStatus(inv, 'InProgress', 'InProgress');
    inv.deadline = this.ctx.clock.after(cmd.executionTimeoutSeconds * 1000, () =>
      this.finish(inv, 'TimedOut', 'ExecutionTimedOut', stoppedExitCode(cmd.dialect)),
    );
    if (cmd.injectedFailure) {
      this.wait(inv, 1, () =>
        this.finish(inv, 'Failed', 'Failed', 1, 'local cloud: failure injected into ssm:SendCommand\n'),
      );
      return;
    }
    inv.session = new ShellSession(cmd.script, inst.packages, cmd.dialect);
    this.runNext(inv);
  }

  private runNext(inv: Invocation) {
    const session = inv.session!;
    const next = session.next();
    if (!next) {
      this.complete(inv);
      return;
    }
    const run = (step: ShellStep) => {
      if (session.run(step)) this.complete(inv);
      else this.runNext(inv);
    };
    this.wait(inv, next.seconds, () => run(next.step));
  }

  /**
   * Waits `seconds` of simulated time, looking at the instance every WATCH_SECONDS on the way and once at
   * the end: if it has stopped or gone, the agent was shut down under the script and the invocation fails.
   */
  private wait(inv: Invocation, seconds: number, then: () => void) {
    const chunk = Math.min(seconds, WATCH_SECONDS);
    inv.timer = this.ctx.clock.after(chunk * 1000, () => {
      if (TERMINAL.has(inv.status)) return;
      const inst = this.instanceOf(inv);
      if (inst?.state !== 'running') {
        const note = `local cloud: instance ${inv.instanceId} is ${inst?.state ?? 'gone'}; the SSM agent stopped the script\n`;
        this.finish(inv, 'Failed', 'Failed', stoppedExitCode(inv.command.dialect), note);
      } else if (seconds > chunk) {
        this.wait(inv, seconds - chunk, then);
      } else {
        then();
      }
    });
  }

  private complete(inv: Invocation) {
    const code = inv.session!.exitCode;
    this.finish(inv, code === 0 ? 'Success' : 'Failed', code === 0 ? 'Success' : 'Failed', code);
  }

  private syncOutput(inv: Invocation) {
    if (!inv.session) return;
    inv.stdout = inv.session.stdout;
    inv.stderr = inv.session.stderr;
  }

  /** Ends an invocation; `note` is appended to stderr to say why the local cloud stopped it. */
  private finish(inv: Invocation, status: InvocationStatus, details: string, code: number, note = '') {
    if (TERMINAL.has(inv.status)) return;
    this.syncOutput(inv);
    inv.stderr += note;
    inv.timer?.cancel();
    inv.deadline?.cancel();
    inv.timer = undefined;
    inv.deadline = undefined;
    inv.responseCode = code;
    inv.endedAt = this.ctx.clock.nowMillis();
    this.setStatus(inv, status, details);
  }

  private setStatus(inv: Invocation, status: InvocationStatus, details: string) {
    inv.status = status;
    inv.statusDetails = details;
    const cmd = inv.command;
    this.ctx.events.emit({
      source: 'aws.ssm',
      detailType: 'EC2 Command Invocation Status-change Notification',
      detail: {
        'command-id': cmd.id,
        'document-name': cmd.documentName,
        'instance-id': inv.instanceId,
        'requested-date-time': new Date(cmd.requestedAt).toISOString(),
        status: details,
      },
      accountId: cmd.accountId,
      region: cmd.region,
      resources: [`arn:aws:ec2:${cmd.region}:${cmd.accountId}:instance/${inv.instanceId}`],
      time: this.ctx.clock.now().toISOString(),
    });
    this.updateCommandStatus(cmd);
  }

  private updateCommandStatus(cmd: Command) {
    const { status, details } = commandStatus(cmd);
    if (status === cmd.status && cmd.invocations.length > 0) return;
    cmd.status = status;
    this.ctx.events.emit({
      source: 'aws.ssm',
      detailType: 'EC2 Command Status-change Notification',
      detail: {
        'command-id': cmd.id,
        'document-name': cmd.documentName,
        'expire-after': new Date(expiresAfter(cmd)).toISOString(),
        parameters: cmd.parameters,
        'requested-date-time': new Date(cmd.requestedAt).toISOString(),
        status: details,
      },
      accountId: cmd.accountId,
      region: cmd.region,
      resources: cmd.invocations.map(
        (i) => `arn:aws:ec2:${cmd.region}:${cmd.accountId}:instance/${i.instanceId}`,
      ),
      time: this.ctx.clock.now().toISOString(),
    });
  }

  private renderInvocation(inv: Invocation, details: boolean) {
    const cmd = inv.command;
    const ended = inv.endedAt !== undefined;
    const output = ended
      ? `${inv.stdout}${inv.stderr ? `\n----------ERROR-------\n${inv.stderr}` : ''}`.slice(
          0,
          MAX_PLUGIN_OUTPUT,
        )
      : '';
    return {
      CommandId: cmd.id,
      InstanceId: inv.instanceId,
      InstanceName: '',
      Comment: cmd.comment,
      DocumentName: cmd.documentName,
      DocumentVersion: '$DEFAULT',
      RequestedDateTime: epochSeconds(cmd.requestedAt),
      Status: inv.status,
      StatusDetails: inv.statusDetails,
      StandardOutputUrl: '',
      StandardErrorUrl: '',
      CommandPlugins: details
        ? [
            {
              Name: cmd.plugin,
              Status: inv.status,
              StatusDetails: inv.statusDetails,
              ResponseCode: inv.responseCode,
              ...(inv.startedAt !== undefined ? { ResponseStartDateTime: epochSeconds(inv.startedAt) } : {}),
              ...(inv.endedAt !== undefined ? { ResponseFinishDateTime: epochSeconds(inv.endedAt) } : {}),
              Output: output,
              StandardOutputUrl: '',
              StandardErrorUrl: '',
              OutputS3Region: cmd.region,
              OutputS3BucketName: '',
              OutputS3KeyPrefix: '',
            },
          ]
        : [],
      ServiceRole: '',
      NotificationConfig: { NotificationArn: '', NotificationEvents: [], NotificationType: '' },
      CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
    };
  }

  private instanceOf(inv: Invocation): SimInstance | undefined {
    return this.instances.find(inv.command.accountId, inv.command.region, inv.instanceId);
  }

  private store(caller: Caller): Map<string, Command> {
    const key = `${caller.accountId}/${caller.region}`;
    let store = this.commands.get(key);
    if (!store) {
      store = new Map();
      this.commands.set(key, store);
    }
    return store;
  }

  /** Newest first, as AWS lists them. */
  private commandsOf(caller: Caller, commandId: string | undefined): Command[] {
    const store = this.store(caller);
    if (commandId !== undefined) {
      const one = store.get(commandId);
      return one ? [one] : [];
    }
    return [...store.values()].sort((a, b) => b.seq - a.seq);
  }
}

const isManaged = (inst: SimInstance) => inst.state === 'running' && Boolean(inst.iamInstanceProfile);

// Keys sort ascending in listing order: newest command first, then targets in the order they were given.
const commandKey = (c: Command) => sortableNumber(Number.MAX_SAFE_INTEGER - c.seq);
const invocationKey = (i: Invocation) => `${commandKey(i.command)}:${sortableNumber(i.index)}`;

const isCommandDone = (c: Command) => c.invocations.every((i) => TERMINAL.has(i.status));

const expiresAfter = (c: Command) =>
  c.requestedAt + (c.deliveryTimeoutSeconds + c.executionTimeoutSeconds) * 1000;

const elapsed = (from: number, to: number) => `PT${((to - from) / 1000).toFixed(3).replace(/\.?0+$/, '')}S`;

/** MaxErrors / MaxConcurrency: a count or a percentage of the targets. */
const allowance = (spec: string, targets: number): number =>
  spec.endsWith('%') ? Math.floor((Number(spec.slice(0, -1)) / 100) * targets) : Number(spec);

/**
 * The command's status from its invocations, per "Understanding command statuses": errors (Failed and
 * Execution Timed Out) beyond MaxErrors fail it, Undeliverable invocations don't count, anything else that
 * isn't a success makes it Incomplete (reported with Status Failed, as CommandStatus has no Incomplete).
 */
const commandStatus = (cmd: Command): { status: CommandStatus; details: string } => {
  const invs = cmd.invocations;
  if (invs.length === 0) return { status: 'Success', details: 'Success' };
  if (!invs.every((i) => TERMINAL.has(i.status))) {
    return invs.every((i) => i.status === 'Pending')
      ? { status: 'Pending', details: 'Pending' }
      : { status: 'InProgress', details: 'InProgress' };
  }
  const count = (details: string) => invs.filter((i) => i.statusDetails === details).length;
  const failed = count('Failed');
  const execTimedOut = count('ExecutionTimedOut');
  const deliveryTimedOut = count('DeliveryTimedOut');
  const maxErrors = allowance(cmd.maxErrors, invs.length);
  if (count('Cancelled') > 0) return { status: 'Cancelled', details: 'Cancelled' };
  if (failed + execTimedOut > maxErrors) {
    return failed > 0
      ? { status: 'Failed', details: 'Failed' }
      : { status: 'TimedOut', details: 'ExecutionTimedOut' };
  }
  if (deliveryTimedOut > maxErrors && deliveryTimedOut === invs.length - count('Undeliverable')) {
    return { status: 'TimedOut', details: 'DeliveryTimedOut' };
  }
  const settled = invs.every((i) => i.statusDetails === 'Success' || i.statusDetails === 'Undeliverable');
  if (settled && count('Success') > 0) return { status: 'Success', details: 'Success' };
  return { status: 'Failed', details: settled ? 'Undeliverable' : 'Incomplete' };
};

const renderCommand = (c: Command) => {
  const invs = c.invocations;
  return {
    CommandId: c.id,
    DocumentName: c.documentName,
    DocumentVersion: '$DEFAULT',
    Comment: c.comment,
    ExpiresAfter: epochSeconds(expiresAfter(c)),
    Parameters: c.parameters,
    InstanceIds: c.instanceIds,
    Targets: c.targets,
    RequestedDateTime: epochSeconds(c.requestedAt),
    Status: c.status,
    StatusDetails: commandStatus(c).details,
    OutputS3Region: c.region,
    OutputS3BucketName: '',
    OutputS3KeyPrefix: '',
    MaxConcurrency: c.maxConcurrency,
    MaxErrors: c.maxErrors,
    TargetCount: invs.length,
    CompletedCount: invs.filter((i) => TERMINAL.has(i.status)).length,
    ErrorCount: invs.filter((i) => i.statusDetails === 'Failed' || i.statusDetails === 'ExecutionTimedOut')
      .length,
    DeliveryTimedOutCount: invs.filter((i) => i.statusDetails === 'DeliveryTimedOut').length,
    ServiceRole: '',
    NotificationConfig: { NotificationArn: '', NotificationEvents: [], NotificationType: '' },
    CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
    TimeoutSeconds: c.deliveryTimeoutSeconds,
  };
};

const readConcurrency = (body: Body, key: string): string | undefined => {
  const v = readString(body, key, { min: 1, max: 7 });
  if (v !== undefined && !/^([1-9][0-9]*|0|[1-9][0-9]%|[0-9]%|100%)$/.test(v)) {
    throw constraintViolation(
      key,
      v,
      'Member must satisfy regular expression pattern: ^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$',
    );
  }
  return v;
};

const invalidParameters = (message: string) => new AwsError('InvalidParameters', message);

/** The parameters both documents declare: `commands` (required), `workingDirectory`, `executionTimeout`. */
const readDocumentParameters = (body: Body): Record<string, string[]> => {
  const raw = readObject(body, 'Parameters') ?? {};
  const out: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
      throw invalidParameters(`Parameter "${key}" must be a list of strings.`);
    }
    if (!['commands', 'workingDirectory', 'executionTimeout'].includes(key)) {
      throw invalidParameters(
        `Parameters provided do not match document definition: "${key}" is not a parameter of the document.`,
      );
    }
    out[key] = value as string[];
  }
  if (!out.commands?.length)
    throw invalidParameters('Parameter "commands" is required by the document and can\'t be empty.');
  const timeout = out.executionTimeout;
  if (timeout !== undefined) {
    const n = timeout.length === 1 && /^\d+$/.test(timeout[0]!) ? Number(timeout[0]) : Number.NaN;
    if (!(n >= 1 && n <= 172_800)) {
      throw invalidParameters(
        `Parameter "executionTimeout" must be one whole number of seconds from 1 to 172800, not ${JSON.stringify(timeout)}.`,
      );
    }
  }
  return out;
};

const readCommandId = (body: Body): string | undefined => {
  const id = readString(body, 'CommandId');
  if (id !== undefined && !COMMAND_ID.test(id)) throw new AwsError('InvalidCommandId', '');
  return id;
};

type CommandFilter = (cmd: Command, status: string, done: boolean) => boolean;

/** ListCommands / ListCommandInvocations filters: lowercase `key` / `value`, as the API spells them. */
const readCommandFilters = (body: Body, statuses: readonly string[]): CommandFilter[] =>
  (readObjectList(body, 'Filters', { max: 5 }) ?? []).map((f): CommandFilter => {
    const key = readString(f, 'key', { required: true });
    const value = readString(f, 'value', { required: true, min: 1, max: 128 });
    const invalid = () =>
      new AwsError('InvalidFilterValue', `The filter value ${value} is not valid for key ${key}.`);
    switch (key) {
      case 'InvokedAfter':
      case 'InvokedBefore': {
        const at = Date.parse(value);
        if (Number.isNaN(at)) throw invalid();
        return key === 'InvokedAfter' ? (c) => c.requestedAt >= at : (c) => c.requestedAt <= at;
      }
      case 'Status':
        if (!statuses.includes(value)) throw invalid();
        return (_c, status) => status === value;
      case 'ExecutionStage':
        if (value !== 'Executing' && value !== 'Complete') throw invalid();
        return (_c, _s, done) => done === (value === 'Complete');
      case 'DocumentName':
        return (c) => c.documentName === value;
      default:
        throw constraintViolation(
          'key',
          key,
          'Member must satisfy enum value set: [Status, InvokedBefore, InvokedAfter, DocumentName, ExecutionStage]',
        );
    }
  });
