import { AwsError } from '../../errors';
import type { SimClock } from '../../sim-clock';
import { parseScheduleExpression, ScheduleExpressionError } from './cron';
import { templatePlaceholders } from './input';
import type { EventBus, PutRuleInput, PutTargetsInput, Rule, RuleState, Tag, Target } from './model';
import { compilePattern } from './pattern';
import { parseBusPolicy } from './policy';
import {
  arnService,
  busArn,
  checkLength,
  checkString,
  constraintViolation,
  DEFAULT_BUS,
  paginate,
  resolveBusRef,
  resourceNotFound,
  ruleArn,
  type Scope,
  validationException,
} from './wire';

/** Told when a rule's schedule may have to start, stop or move (the scheduler listens). */
export interface RuleListener {
  ruleChanged(rule: Rule): void;
  ruleRemoved(rule: Rule): void;
}

const RULE_NAME = { min: 1, max: 64, pattern: { re: /^[.\-_A-Za-z0-9]+$/, text: '[\\.\\-_A-Za-z0-9]+' } };
const BUS_NAME = { min: 1, max: 256, pattern: { re: /^[/.\-_A-Za-z0-9]+$/, text: '[/\\.\\-_A-Za-z0-9]+' } };
const TARGET_ID = { min: 1, max: 64, pattern: { re: /^[.\-_A-Za-z0-9]+$/, text: '[\\.\\-_A-Za-z0-9]+' } };
const RULE_STATES: readonly RuleState[] = [
  'ENABLED',
  'DISABLED',
  'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
];
/** AWS's quota of targets per rule. */
const MAX_TARGETS_PER_RULE = 5;
const INPUT_PATHS_KEY = /^[A-Za-z0-9_-]+$/;
/** Placeholders EventBridge fills itself; they need no entry in InputPathsMap. */
export const PREDEFINED_PLACEHOLDERS: ReadonlySet<string> = new Set([
  'aws.events.rule-arn',
  'aws.events.rule-name',
  'aws.events.event',
  'aws.events.event.json',
  'aws.events.event.ingestion-time',
]);

const LAMBDA_ARN = /^arn:aws[\w-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$/;
const STATE_MACHINE_ARN = /^arn:aws[\w-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]+$/;
/** A standard SNS topic (FIFO topics, `.fifo`, are not modelled). */
const SNS_TOPIC_ARN = /^arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
const SQS_ARN = /^arn:aws[\w-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+(\.fifo)?$/;
const ANY_ARN = /^arn:aws[\w-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:.+$/;

/** AWS's limits on resource tags: 50 a resource, keys of 1-128 characters, values of 0-256. */
const MAX_TAGS = 50;
const TAG_KEY = { min: 1, max: 128 };
const TAG_VALUE = { min: 0, max: 256 };
const RULE_ARN = /^arn:aws[\w-]*:events:([a-z0-9-]+):(\d{12}):rule\/(.+)$/;
const TAGGED_BUS_ARN = /^arn:aws[\w-]*:events:([a-z0-9-]+):(\d{12}):event-bus\/(.+)$/;

/** Checks tags as TagResource, CreateEventBus and PutRule take them (`Tags.1.member.Key` paths). */
const checkTags = (tags: readonly Tag[]): void => {
  tags.forEach((t, i) => {
    checkString(t.Key, TAG_KEY, `Tags.${i + 1}.member.Key`);
    checkString(t.Value, TAG_VALUE, `Tags.${i + 1}.member.Value`);
  });
};

/** `tags` with `added` merged in: a key already present takes the new value, in its old place. */
const mergeTags = (tags: readonly Tag[], added: readonly Tag[]): Tag[] => {
  const merged = new Map(tags.map((t) => [t.Key, t.Value]));
  for (const t of added) merged.set(t.Key, t.Value);
  return [...merged].map(([Key, Value]) => ({ Key, Value }));
};

const tooManyTags = (): AwsError => validationException(`A resource can have at most ${MAX_TAGS} tags.`);

const scopeKey = (s: Scope): string => `${s.accountId}/${s.region}`;
const epochSeconds = (ms: number): number => ms / 1000;
/** Rules in any state but DISABLED match events and fire schedules. */
export const isEnabled = (state: RuleState): boolean => state !== 'DISABLED';

/** A bus as a state file holds it (see `Registry.exportState`). */
export interface SavedBus {
  name: string;
  arn: string;
  scope: Scope;
  description?: string;
  createdAt: number;
  lastModifiedAt: number;
  tags: Tag[];
  /** The policy document, as DescribeEventBus answers it. */
  policy?: string;
  rules: {
    name: string;
    arn: string;
    state: RuleState;
    eventPattern?: string;
    scheduleExpression?: string;
    description?: string;
    roleArn?: string;
    tags: Tag[];
    targets: Target[];
    scheduleAnchorMs: number;
  }[];
}

/** Runs `parse`, prefixing what it throws with `where`. */
const withContext = <T>(where: string, parse: () => T): T => {
  try {
    return parse();
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
};

export interface FailedTargetEntry {
  TargetId: string;
  ErrorCode: string;
  ErrorMessage: string;
}

/**
 * Event buses, rules and targets per account and region. Every account-region has its `default` bus from
 * the start, as in AWS. The same methods serve the wire operations and in-process callers, so both meet
 * the same validation.
 */
export class Registry {
  private readonly scopes = new Map<string, Map<string, EventBus>>();

  constructor(
    private readonly clock: SimClock,
    private readonly listener: RuleListener,
  ) {}

  /** The buses of an account-region, its default bus created on first use. */
  private busesOf(scope: Scope): Map<string, EventBus> {
    const key = scopeKey(scope);
    let buses = this.scopes.get(key);
    if (!buses) {
      buses = new Map();
      this.scopes.set(key, buses);
      buses.set(DEFAULT_BUS, this.newBus(scope, DEFAULT_BUS));
    }
    return buses;
  }

  private newBus(scope: Scope, name: string, description?: string, tags: Tag[] = []): EventBus {
    const now = this.clock.nowMillis();
    return {
      name,
      arn: busArn(scope, name),
      scope: { accountId: scope.accountId, region: scope.region },
      ...(description === undefined ? {} : { description }),
      createdAt: now,
      lastModifiedAt: now,
      tags: [...tags],
      rules: new Map(),
    };
  }

  /**
   * Every bus with its policy, rules and targets, as data for a state file: a rule's pattern as its text
   * and its schedule as its expression (both compiled again on import), a policy as its document.
   */
  exportState(): SavedBus[] {
    return [...this.scopes.values()].flatMap((buses) =>
      [...buses.values()].map((bus) => ({
        name: bus.name,
        arn: bus.arn,
        scope: { accountId: bus.scope.accountId, region: bus.scope.region },
        ...(bus.description === undefined ? {} : { description: bus.description }),
        createdAt: bus.createdAt,
        lastModifiedAt: bus.lastModifiedAt,
        tags: bus.tags,
        ...(bus.policy === undefined ? {} : { policy: JSON.stringify(bus.policy) }),
        rules: [...bus.rules.values()].map((rule) => ({
          name: rule.name,
          arn: rule.arn,
          state: rule.state,
          ...(rule.eventPattern ? { eventPattern: rule.eventPattern.source } : {}),
          ...(rule.schedule ? { scheduleExpression: rule.schedule.expression } : {}),
          ...(rule.description === undefined ? {} : { description: rule.description }),
          ...(rule.roleArn === undefined ? {} : { roleArn: rule.roleArn }),
          tags: rule.tags,
          targets: [...rule.targets.values()],
          scheduleAnchorMs: rule.scheduleAnchorMs,
        })),
      })),
    );
  }

  /**
   * Replaces every bus with those of `exportState`, compiling patterns, schedules and policies again;
   * scheduled rules are armed from their saved anchors, so a `rate(1 day)` keeps its time of day. Throws
   * (naming the bus or rule) on a pattern, schedule or policy it cannot read.
   */
  importState(saved: readonly SavedBus[]): void {
    const scopes = new Map<string, Map<string, EventBus>>();
    const rules: Rule[] = [];
    for (const b of saved) {
      const where = `bus ${b.arn}`;
      const bus: EventBus = {
        name: b.name,
        arn: b.arn,
        scope: { accountId: b.scope.accountId, region: b.scope.region },
        ...(b.description === undefined ? {} : { description: b.description }),
        createdAt: b.createdAt,
        lastModifiedAt: b.lastModifiedAt,
        tags: [...b.tags],
        rules: new Map(),
      };
      if (b.policy !== undefined) bus.policy = withContext(where, () => parseBusPolicy(b.policy!));
      for (const r of b.rules) {
        const rule: Rule = {
          name: r.name,
          arn: r.arn,
          bus,
          state: r.state,
          ...(r.eventPattern === undefined
            ? {}
            : { eventPattern: withContext(`rule ${r.arn}`, () => compilePattern(r.eventPattern!)) }),
          ...(r.scheduleExpression === undefined
            ? {}
            : {
                schedule: withContext(`rule ${r.arn}`, () => parseScheduleExpression(r.scheduleExpression!)),
              }),
          ...(r.description === undefined ? {} : { description: r.description }),
          ...(r.roleArn === undefined ? {} : { roleArn: r.roleArn }),
          tags: [...r.tags],
          targets: new Map(r.targets.map((t) => [t.Id, t])),
          scheduleAnchorMs: r.scheduleAnchorMs,
        };
        bus.rules.set(rule.name, rule);
        rules.push(rule);
      }
      const key = scopeKey(bus.scope);
      const buses = scopes.get(key) ?? new Map<string, EventBus>();
      buses.set(bus.name, bus);
      scopes.set(key, buses);
    }
    for (const rule of this.allRules()) this.listener.ruleRemoved(rule);
    this.scopes.clear();
    for (const [k, v] of scopes) this.scopes.set(k, v);
    for (const rule of rules) this.listener.ruleChanged(rule);
  }

  /** The bus a name or ARN denotes, if it exists. An ARN may name another account's or region's bus. */
  findBus(caller: Scope, nameOrArn: string | undefined): EventBus | undefined {
    const ref = resolveBusRef(caller, nameOrArn);
    return this.busesOf(ref.scope).get(ref.name);
  }

  /** A bus of the caller's own account and region, for managing it and its rules. */
  private ownBus(caller: Scope, nameOrArn: string | undefined): EventBus {
    const ref = resolveBusRef(caller, nameOrArn);
    const bus = scopeKey(ref.scope) === scopeKey(caller) ? this.busesOf(ref.scope).get(ref.name) : undefined;
    if (!bus) throw resourceNotFound(`Event bus ${ref.name} does not exist.`);
    return bus;
  }

  private rule(bus: EventBus, name: string): Rule {
    const rule = bus.rules.get(name);
    if (!rule) throw resourceNotFound(`Rule ${name} does not exist on EventBus ${bus.name}.`);
    return rule;
  }

  /** Every rule in every account and region (the scheduler re-arms from this). */
  *allRules(): Iterable<Rule> {
    for (const buses of this.scopes.values()) for (const bus of buses.values()) yield* bus.rules.values();
  }

  createEventBus(scope: Scope, input: { Name: string; Description?: string; Tags?: Tag[] }) {
    checkString(input.Name, BUS_NAME, 'Name');
    if (input.Description !== undefined) checkString(input.Description, { max: 512 }, 'Description');
    // Only partner buses (named after their event source) may contain a slash.
    if (input.Name.includes('/')) throw validationException("Event bus name must not contain '/'.");
    if (input.Tags) {
      checkTags(input.Tags);
      if (mergeTags([], input.Tags).length > MAX_TAGS) throw tooManyTags();
    }
    const buses = this.busesOf(scope);
    if (buses.has(input.Name)) {
      throw new AwsError('ResourceAlreadyExistsException', `Event bus ${input.Name} already exists.`);
    }
    const bus = this.newBus(scope, input.Name, input.Description, mergeTags([], input.Tags ?? []));
    buses.set(bus.name, bus);
    return {
      EventBusArn: bus.arn,
      ...(bus.description === undefined ? {} : { Description: bus.description }),
    };
  }

  describeEventBus(scope: Scope, input: { Name?: string }) {
    const bus = this.ownBus(scope, input.Name);
    return {
      ...this.busView(bus),
      ...(bus.policy === undefined ? {} : { Policy: JSON.stringify(bus.policy) }),
    };
  }

  /**
   * PutPermission: `Policy` replaces the bus's whole policy; otherwise one Allow statement for
   * `events:PutEvents` by `Principal` (an account id or `*`, which needs a `Condition` on the
   * organization), under `StatementId`, replacing a statement of that id.
   */
  putPermission(
    scope: Scope,
    input: {
      EventBusName?: string;
      Policy?: string;
      Action?: string;
      Principal?: string;
      StatementId?: string;
      Condition?: { Type: string; Key: string; Value: string };
    },
  ): Record<string, never> {
    const bus = this.ownBus(scope, input.EventBusName);
    if (input.Policy !== undefined) {
      if (input.Action ?? input.Principal ?? input.StatementId ?? input.Condition) {
        throw validationException(
          'Policy cannot be combined with Action, Principal, StatementId or Condition.',
        );
      }
      bus.policy = parseBusPolicy(input.Policy);
    } else {
      if (input.Action !== 'events:PutEvents') throw validationException('Action must be events:PutEvents.');
      if (input.StatementId === undefined) throw validationException('StatementId is required.');
      if (input.Principal === undefined || !/^(\d{12}|\*)$/.test(input.Principal)) {
        throw validationException('Principal must be an account id or *.');
      }
      if (input.Principal === '*' && input.Condition === undefined) {
        throw validationException('A Principal of * needs a Condition on aws:PrincipalOrgID.');
      }
      if (input.Condition !== undefined) {
        throw validationException(
          'The local cloud does not evaluate PutPermission conditions; give a Policy.',
        );
      }
      this.putStatement(bus, {
        Sid: input.StatementId,
        Effect: 'Allow',
        Principal: { AWS: input.Principal === '*' ? '*' : `arn:aws:iam::${input.Principal}:root` },
        Action: 'events:PutEvents',
        Resource: bus.arn,
      });
    }
    bus.lastModifiedAt = this.clock.nowMillis();
    return {};
  }

  /** Adds one statement to a bus's policy, replacing the statement of the same Sid (CloudFormation's EventBusPolicy). */
  putStatement(bus: EventBus, statement: Record<string, unknown>): void {
    const kept = (bus.policy?.Statement ?? []).filter((s) => s.Sid !== statement.Sid);
    bus.policy = parseBusPolicy(JSON.stringify({ Version: '2012-10-17', Statement: [...kept, statement] }));
  }

  /** The bus a caller names in its own account and region (for the deployer). */
  busOf(scope: Scope, name: string | undefined): EventBus {
    return this.ownBus(scope, name);
  }

  removePermission(
    scope: Scope,
    input: { EventBusName?: string; StatementId?: string; RemoveAllPermissions?: boolean },
  ): Record<string, never> {
    const bus = this.ownBus(scope, input.EventBusName);
    if (input.RemoveAllPermissions) {
      delete bus.policy;
      return {};
    }
    const statements = bus.policy?.Statement ?? [];
    if (input.StatementId === undefined || !statements.some((s) => s.Sid === input.StatementId)) {
      throw resourceNotFound(`Statement with the provided id does not exist.`);
    }
    const kept = statements.filter((s) => s.Sid !== input.StatementId);
    if (kept.length === 0) delete bus.policy;
    else bus.policy = { Version: '2012-10-17', Statement: kept };
    bus.lastModifiedAt = this.clock.nowMillis();
    return {};
  }

  private busView(bus: EventBus) {
    return {
      Name: bus.name,
      Arn: bus.arn,
      ...(bus.description === undefined ? {} : { Description: bus.description }),
      CreationTime: epochSeconds(bus.createdAt),
      LastModifiedTime: epochSeconds(bus.lastModifiedAt),
    };
  }

  listEventBuses(scope: Scope, input: { NamePrefix?: string; Limit?: number; NextToken?: string }) {
    const buses = [...this.busesOf(scope).values()]
      .filter((b) => input.NamePrefix === undefined || b.name.startsWith(input.NamePrefix))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const { page, nextToken } = paginate(buses, (b) => b.name, {
      listing: `buses:${input.NamePrefix ?? ''}`,
      limit: input.Limit,
      nextToken: input.NextToken,
    });
    return { EventBuses: page.map((b) => this.busView(b)), ...(nextToken ? { NextToken: nextToken } : {}) };
  }

  /** Deletes a custom bus and, as AWS does, the rules on it. Deleting a bus that is not there succeeds. */
  deleteEventBus(scope: Scope, input: { Name: string }) {
    checkString(input.Name, BUS_NAME, 'Name');
    if (input.Name === DEFAULT_BUS) throw validationException('Cannot delete event bus default.');
    const buses = this.busesOf(scope);
    const bus = buses.get(input.Name);
    if (!bus) return {};
    for (const rule of bus.rules.values()) this.listener.ruleRemoved(rule);
    buses.delete(input.Name);
    return {};
  }

  /** Creates or replaces a rule; like AWS, a replaced rule keeps its targets but not omitted settings. */
  putRule(scope: Scope, input: PutRuleInput) {
    checkString(input.Name, RULE_NAME, 'Name');
    if (input.EventPattern !== undefined) checkString(input.EventPattern, { max: 4096 }, 'EventPattern');
    if (input.ScheduleExpression !== undefined) {
      checkString(input.ScheduleExpression, { max: 256 }, 'ScheduleExpression');
    }
    if (input.Description !== undefined) checkString(input.Description, { max: 512 }, 'Description');
    if (input.Tags) {
      checkTags(input.Tags);
      if (mergeTags([], input.Tags).length > MAX_TAGS) throw tooManyTags();
    }
    if (input.State !== undefined && !RULE_STATES.includes(input.State)) {
      throw constraintViolation(
        'State',
        input.State,
        `Member must satisfy enum value set: [${RULE_STATES.join(', ')}]`,
      );
    }
    const bus = this.ownBus(scope, input.EventBusName);
    if (!input.EventPattern && !input.ScheduleExpression) {
      throw validationException('Parameter(s) EventPattern or ScheduleExpression must be specified.');
    }
    let schedule: Rule['schedule'];
    if (input.ScheduleExpression) {
      if (bus.name !== DEFAULT_BUS) {
        throw validationException('ScheduleExpression is supported only on the default event bus.');
      }
      try {
        schedule = parseScheduleExpression(input.ScheduleExpression);
      } catch (e) {
        if (e instanceof ScheduleExpressionError) {
          throw validationException('Parameter ScheduleExpression is not valid.');
        }
        throw e;
      }
    }
    const eventPattern = input.EventPattern ? compilePattern(input.EventPattern) : undefined;
    const existing = bus.rules.get(input.Name);
    const rule: Rule = {
      name: input.Name,
      arn: ruleArn(scope, bus.name, input.Name),
      bus,
      state: input.State ?? 'ENABLED',
      ...(eventPattern ? { eventPattern } : {}),
      ...(schedule ? { schedule } : {}),
      ...(input.Description === undefined ? {} : { description: input.Description }),
      ...(input.RoleArn === undefined ? {} : { roleArn: input.RoleArn }),
      // As on AWS, PutRule on an existing rule ignores Tags: TagResource and UntagResource change them.
      tags: existing?.tags ?? mergeTags([], input.Tags ?? []),
      targets: existing?.targets ?? new Map(),
      // The same schedule put again on a rule that stays enabled (a redeploy) keeps its count: only a new
      // schedule, or a rule coming back from DISABLED, starts a new one.
      scheduleAnchorMs:
        existing &&
        schedule &&
        existing.schedule?.expression === schedule.expression &&
        isEnabled(existing.state) &&
        isEnabled(input.State ?? 'ENABLED')
          ? existing.scheduleAnchorMs
          : this.clock.nowMillis(),
    };
    bus.rules.set(rule.name, rule);
    this.listener.ruleChanged(rule);
    return { RuleArn: rule.arn };
  }

  describeRule(scope: Scope, input: { Name: string; EventBusName?: string }) {
    const rule = this.rule(this.ownBus(scope, input.EventBusName), input.Name);
    return { ...this.ruleView(rule), CreatedBy: rule.bus.scope.accountId };
  }

  private ruleView(rule: Rule) {
    return {
      Name: rule.name,
      Arn: rule.arn,
      ...(rule.eventPattern ? { EventPattern: rule.eventPattern.source } : {}),
      ...(rule.schedule ? { ScheduleExpression: rule.schedule.expression } : {}),
      State: rule.state,
      ...(rule.description === undefined ? {} : { Description: rule.description }),
      ...(rule.roleArn === undefined ? {} : { RoleArn: rule.roleArn }),
      EventBusName: rule.bus.name,
    };
  }

  listRules(
    scope: Scope,
    input: { NamePrefix?: string; EventBusName?: string; Limit?: number; NextToken?: string },
  ) {
    const bus = this.ownBus(scope, input.EventBusName);
    const rules = [...bus.rules.values()]
      .filter((r) => input.NamePrefix === undefined || r.name.startsWith(input.NamePrefix))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const { page, nextToken } = paginate(rules, (r) => r.name, {
      listing: `rules:${bus.arn}:${input.NamePrefix ?? ''}`,
      limit: input.Limit,
      nextToken: input.NextToken,
    });
    return { Rules: page.map((r) => this.ruleView(r)), ...(nextToken ? { NextToken: nextToken } : {}) };
  }

  /** Refused while the rule has targets (unless forced), as AWS does; a rule that is not there is fine. */
  deleteRule(scope: Scope, input: { Name: string; EventBusName?: string; Force?: boolean }) {
    const bus = this.ownBus(scope, input.EventBusName);
    const rule = bus.rules.get(input.Name);
    if (!rule) return {};
    if (rule.targets.size > 0 && !input.Force) {
      throw validationException("Rule can't be deleted since it has targets.");
    }
    bus.rules.delete(rule.name);
    this.listener.ruleRemoved(rule);
    return {};
  }

  setRuleState(scope: Scope, input: { Name: string; EventBusName?: string }, state: 'ENABLED' | 'DISABLED') {
    const rule = this.rule(this.ownBus(scope, input.EventBusName), input.Name);
    const wasEnabled = isEnabled(rule.state);
    rule.state = state;
    // A rate schedule restarts its count when the rule comes back, rather than firing for the time it was off.
    if (!wasEnabled && isEnabled(state)) rule.scheduleAnchorMs = this.clock.nowMillis();
    this.listener.ruleChanged(rule);
    return {};
  }

  putTargets(scope: Scope, input: PutTargetsInput) {
    checkLength('Targets', input.Targets, 1, 10);
    const rule = this.rule(this.ownBus(scope, input.EventBusName), input.Rule);
    const failed: FailedTargetEntry[] = [];
    const accepted: Target[] = [];
    input.Targets.forEach((target, i) => {
      const problem = this.checkTarget(target, i + 1);
      if (problem)
        failed.push({ TargetId: target.Id, ErrorCode: 'ValidationException', ErrorMessage: problem });
      else accepted.push(target);
    });
    const added = new Set(accepted.map((t) => t.Id).filter((id) => !rule.targets.has(id)));
    if (rule.targets.size + added.size > MAX_TARGETS_PER_RULE) {
      throw new AwsError(
        'LimitExceededException',
        'The requested resource exceeds the maximum number allowed.',
      );
    }
    // Stored as a copy: a caller mutating its object later must not change what the rule delivers to.
    for (const target of accepted) rule.targets.set(target.Id, structuredClone(target));
    return { FailedEntryCount: failed.length, FailedEntries: failed };
  }

  /**
   * Checks one target; answers a per-entry problem (reported in FailedEntries, as AWS does for a malformed
   * ARN) or throws for problems AWS refuses the whole call for.
   */
  private checkTarget(t: Target, n: number): string | undefined {
    const at = `Targets.${n}.member`;
    checkString(t.Id, TARGET_ID, `${at}.Id`);
    checkString(t.Arn, { min: 1, max: 1600 }, `${at}.Arn`);
    if (!ANY_ARN.test(t.Arn))
      return `Parameter ${t.Arn} is not valid. Reason: Provided Arn is not in correct format.`;
    const service = arnService(t.Arn);
    const standardTopic = service === 'sns' && !t.Arn.endsWith('.fifo');
    if (
      service === 'lambda'
        ? !LAMBDA_ARN.test(t.Arn)
        : service === 'states'
          ? !STATE_MACHINE_ARN.test(t.Arn)
          : standardTopic
            ? !SNS_TOPIC_ARN.test(t.Arn)
            : false
    ) {
      return `Parameter ${t.Arn} is not valid. Reason: Provided Arn is not in correct format.`;
    }
    if (service !== 'lambda' && service !== 'states' && !standardTopic) {
      throw validationException(
        `The local cloud's EventBridge delivers only to Lambda functions, Step Functions state machines and standard SNS topics; target ${t.Id} is ${t.Arn}.`,
      );
    }
    if (service === 'states' && !t.RoleArn) {
      throw validationException(`Parameter(s) RoleArn must be specified for target: ${t.Id}.`);
    }
    const inputs = [t.Input, t.InputPath, t.InputTransformer].filter((v) => v !== undefined).length;
    if (inputs > 1) {
      throw validationException(
        `Only one of Input, InputPath, or InputTransformer must be provided for target ${t.Id}.`,
      );
    }
    if (t.Input !== undefined) {
      checkString(t.Input, { max: 8192 }, `${at}.Input`);
      try {
        JSON.parse(t.Input);
      } catch {
        throw validationException(`Input for target ${t.Id} is not valid JSON.`);
      }
    }
    if (t.InputPath !== undefined) {
      checkString(t.InputPath, { max: 256 }, `${at}.InputPath`);
      if (!t.InputPath.startsWith('$'))
        throw validationException(`InputPath for target ${t.Id} is not a valid JSON path.`);
    }
    if (t.InputTransformer !== undefined) this.checkTransformer(t, at);
    const retry = t.RetryPolicy;
    if (
      retry?.MaximumRetryAttempts !== undefined &&
      (retry.MaximumRetryAttempts < 0 || retry.MaximumRetryAttempts > 185)
    ) {
      throw constraintViolation(
        `${at}.RetryPolicy.MaximumRetryAttempts`,
        retry.MaximumRetryAttempts,
        'Member must have value between 0 and 185',
      );
    }
    if (
      retry?.MaximumEventAgeInSeconds !== undefined &&
      (retry.MaximumEventAgeInSeconds < 60 || retry.MaximumEventAgeInSeconds > 86_400)
    ) {
      throw constraintViolation(
        `${at}.RetryPolicy.MaximumEventAgeInSeconds`,
        retry.MaximumEventAgeInSeconds,
        'Member must have value between 60 and 86400',
      );
    }
    const dlq = t.DeadLetterConfig?.Arn;
    if (dlq !== undefined && !SQS_ARN.test(dlq)) {
      throw validationException(
        `Parameter DeadLetterConfig.Arn is not valid for target ${t.Id}: it must be an SQS queue ARN.`,
      );
    }
    return undefined;
  }

  private checkTransformer(t: Target, at: string): void {
    const { InputTemplate: template, InputPathsMap: paths = {} } = t.InputTransformer!;
    checkString(template, { min: 1, max: 8192 }, `${at}.InputTransformer.InputTemplate`);
    const keys = Object.keys(paths);
    if (keys.length > 100) {
      throw constraintViolation(
        `${at}.InputTransformer.InputPathsMap`,
        `${keys.length} entries`,
        'Map must have at most 100 entries',
      );
    }
    for (const key of keys) {
      if (!INPUT_PATHS_KEY.test(key) || key.toUpperCase().startsWith('AWS.')) {
        throw validationException(`InputPathsMap key ${key} for target ${t.Id} is not valid.`);
      }
      if (!paths[key]!.startsWith('$')) {
        throw validationException(
          `InputPathsMap value ${paths[key]} for target ${t.Id} is not a valid JSON path.`,
        );
      }
    }
    for (const name of templatePlaceholders(template)) {
      if (!Object.hasOwn(paths, name) && !PREDEFINED_PLACEHOLDERS.has(name)) {
        throw validationException(`InputTemplate for target ${t.Id} contains invalid placeholder ${name}.`);
      }
    }
  }

  listTargetsByRule(
    scope: Scope,
    input: { Rule: string; EventBusName?: string; Limit?: number; NextToken?: string },
  ) {
    const rule = this.rule(this.ownBus(scope, input.EventBusName), input.Rule);
    const targets = [...rule.targets.values()].sort((a, b) => (a.Id < b.Id ? -1 : 1));
    const { page, nextToken } = paginate(targets, (t) => t.Id, {
      listing: `targets:${rule.arn}`,
      limit: input.Limit,
      nextToken: input.NextToken,
    });
    return { Targets: page.map((t) => structuredClone(t)), ...(nextToken ? { NextToken: nextToken } : {}) };
  }

  removeTargets(scope: Scope, input: { Rule: string; EventBusName?: string; Ids: string[] }) {
    checkLength('Ids', input.Ids, 1, 100);
    const rule = this.rule(this.ownBus(scope, input.EventBusName), input.Rule);
    const failed: FailedTargetEntry[] = [];
    for (const id of input.Ids) {
      if (!rule.targets.delete(id)) {
        failed.push({
          TargetId: id,
          ErrorCode: 'ResourceNotFoundException',
          ErrorMessage: `Rule '${rule.name}' does not have a target with the Id '${id}'.`,
        });
      }
    }
    return { FailedEntryCount: failed.length, FailedEntries: failed };
  }

  /**
   * The rule or bus an ARN names, for the tag operations. Only the caller's own account and region are
   * searched; anything else, like a rule or bus that does not exist, is a ResourceNotFoundException.
   */
  private taggable(caller: Scope, arn: string): { tags: Tag[] } {
    checkString(arn, { min: 1, max: 1600 }, 'ResourceARN');
    const rule = RULE_ARN.exec(arn);
    const bus = rule ? undefined : TAGGED_BUS_ARN.exec(arn);
    const m = rule ?? bus;
    if (!m)
      throw validationException(
        `Parameter ResourceARN is not valid: ${arn} is not an EventBridge rule or event bus ARN.`,
      );
    const scope = { region: m[1]!, accountId: m[2]! };
    const own = scopeKey(scope) === scopeKey(caller);
    if (bus) {
      const found = own ? this.busesOf(scope).get(m[3]!) : undefined;
      if (!found) throw resourceNotFound(`Event bus ${m[3]} does not exist.`);
      return found;
    }
    // rule/<name> on the default bus, rule/<bus>/<name> on a custom one (names have no slashes).
    const path = m[3]!;
    const cut = path.lastIndexOf('/');
    const busName = cut < 0 ? DEFAULT_BUS : path.slice(0, cut);
    const name = path.slice(cut + 1);
    const found = own ? this.busesOf(scope).get(busName)?.rules.get(name) : undefined;
    if (!found) throw resourceNotFound(`Rule ${name} does not exist on EventBus ${busName}.`);
    return found;
  }

  /** Adds tags to a rule or bus, replacing the values of keys it already has; at most 50 in all. */
  tagResource(scope: Scope, input: { ResourceARN: string; Tags: Tag[] }) {
    checkTags(input.Tags);
    const resource = this.taggable(scope, input.ResourceARN);
    const merged = mergeTags(resource.tags, input.Tags);
    if (merged.length > MAX_TAGS) throw tooManyTags();
    resource.tags = merged;
    return {};
  }

  /** Removes tags by key; keys the resource does not have are ignored, as on AWS. */
  untagResource(scope: Scope, input: { ResourceARN: string; TagKeys: string[] }) {
    for (const [i, key] of input.TagKeys.entries()) checkString(key, TAG_KEY, `TagKeys.${i + 1}.member`);
    const resource = this.taggable(scope, input.ResourceARN);
    const removed = new Set(input.TagKeys);
    resource.tags = resource.tags.filter((t) => !removed.has(t.Key));
    return {};
  }

  listTagsForResource(scope: Scope, input: { ResourceARN: string }) {
    const resource = this.taggable(scope, input.ResourceARN);
    return { Tags: resource.tags.map((t) => ({ ...t })) };
  }
}
