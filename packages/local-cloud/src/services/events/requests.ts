import type {
  InputTransformer,
  PutEventsEntry,
  PutRuleInput,
  PutTargetsInput,
  RuleState,
  Tag,
  Target,
} from './model';
import {
  type Body,
  constraintViolation,
  readInt,
  readObject,
  readObjectList,
  readString,
  readStringList,
  readStringMap,
  readTimestamp,
} from './wire';

/**
 * Wire bodies to the typed inputs the registry and router take. Only shapes and types are checked here;
 * the rules AWS applies to values (lengths, patterns, limits) live with the operations, so in-process
 * callers meet them too.
 */

const defined = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** Tags as CreateEventBus, PutRule and TagResource (where they are required) take them. */
export const readTags = (body: Body, opts: { required?: boolean } = {}): Tag[] | undefined => {
  if (opts.required && (body.Tags === undefined || body.Tags === null)) {
    throw constraintViolation('Tags', undefined, 'Member must not be null');
  }
  return readObjectList(body, 'Tags')?.map((t, i) => ({
    Key: readString(t, 'Key', { required: true }, `Tags.${i + 1}.member.Key`),
    Value: readString(t, 'Value', { required: true }, `Tags.${i + 1}.member.Value`),
  }));
};

/** A required list of strings (UntagResource's `TagKeys`). */
export const readRequiredStringList = (body: Body, key: string): string[] => {
  const list = readStringList(body, key);
  if (list === undefined) throw constraintViolation(key, undefined, 'Member must not be null');
  return list;
};

export const readPutRule = (body: Body): PutRuleInput =>
  defined({
    Name: readString(body, 'Name', { required: true }),
    EventBusName: readString(body, 'EventBusName'),
    EventPattern: readString(body, 'EventPattern'),
    ScheduleExpression: readString(body, 'ScheduleExpression'),
    State: readString(body, 'State') as RuleState | undefined,
    Description: readString(body, 'Description'),
    RoleArn: readString(body, 'RoleArn'),
    Tags: readTags(body),
  });

const readTarget = (t: Body, n: number): Target => {
  const at = `Targets.${n}.member`;
  const transformer = readObject(t, 'InputTransformer', `${at}.InputTransformer`);
  const retry = readObject(t, 'RetryPolicy', `${at}.RetryPolicy`);
  const dlq = readObject(t, 'DeadLetterConfig', `${at}.DeadLetterConfig`);
  return defined({
    Id: readString(t, 'Id', { required: true }, `${at}.Id`),
    Arn: readString(t, 'Arn', { required: true }, `${at}.Arn`),
    RoleArn: readString(t, 'RoleArn', {}, `${at}.RoleArn`),
    Input: readString(t, 'Input', {}, `${at}.Input`),
    InputPath: readString(t, 'InputPath', {}, `${at}.InputPath`),
    InputTransformer: transformer
      ? defined<InputTransformer>({
          InputTemplate: readString(
            transformer,
            'InputTemplate',
            { required: true },
            `${at}.InputTransformer.InputTemplate`,
          ),
          InputPathsMap: readStringMap(transformer, 'InputPathsMap', `${at}.InputTransformer.InputPathsMap`),
        })
      : undefined,
    RetryPolicy: retry
      ? defined({
          MaximumRetryAttempts: readInt(
            retry,
            'MaximumRetryAttempts',
            `${at}.RetryPolicy.MaximumRetryAttempts`,
          ),
          MaximumEventAgeInSeconds: readInt(
            retry,
            'MaximumEventAgeInSeconds',
            `${at}.RetryPolicy.MaximumEventAgeInSeconds`,
          ),
        })
      : undefined,
    DeadLetterConfig: dlq
      ? defined({ Arn: readString(dlq, 'Arn', {}, `${at}.DeadLetterConfig.Arn`) })
      : undefined,
  });
};

export const readPutTargets = (body: Body): PutTargetsInput =>
  defined({
    Rule: readString(body, 'Rule', { required: true }),
    EventBusName: readString(body, 'EventBusName'),
    Targets: (readObjectList(body, 'Targets') ?? []).map((t, i) => readTarget(t, i + 1)),
  });

export const readPutEvents = (body: Body): PutEventsEntry[] =>
  (readObjectList(body, 'Entries') ?? []).map((e, i) => {
    const at = `Entries.${i + 1}.member`;
    return defined({
      Source: readString(e, 'Source', {}, `${at}.Source`),
      DetailType: readString(e, 'DetailType', {}, `${at}.DetailType`),
      Detail: readString(e, 'Detail', {}, `${at}.Detail`),
      Resources: readStringList(e, 'Resources', `${at}.Resources`),
      EventBusName: readString(e, 'EventBusName', {}, `${at}.EventBusName`),
      Time: readTimestamp(e, 'Time', `${at}.Time`),
      TraceHeader: readString(e, 'TraceHeader', {}, `${at}.TraceHeader`),
    });
  });

/** `{Name, EventBusName}`: the rule operations' common members. */
export const readRuleRef = (body: Body) =>
  defined({
    Name: readString(body, 'Name', { required: true }),
    EventBusName: readString(body, 'EventBusName'),
  });

export const readListing = (body: Body) =>
  defined({
    NamePrefix: readString(body, 'NamePrefix'),
    EventBusName: readString(body, 'EventBusName'),
    Limit: readInt(body, 'Limit'),
    NextToken: readString(body, 'NextToken'),
  });
