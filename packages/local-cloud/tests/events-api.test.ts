import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  DescribeEventBusCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  ListEventBusesCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  type PutEventsRequestEntry,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';
import {
  ACCOUNT,
  type EventBridgeHarness,
  lambdaArn,
  REGION,
  ROLE_ARN,
  startEventBridge,
  stateMachineArn,
} from './events/harness';

/** Buses, rules, targets, PutEvents' validation and TestEventPattern, through the real SDK client. */
describe('EventBridge API', () => {
  let eb: EventBridgeHarness;

  beforeEach(async () => {
    eb = await startEventBridge();
  });
  afterEach(async () => {
    await eb.close();
  });

  const errorOf = async (promise: Promise<unknown>) => {
    try {
      await promise;
    } catch (e) {
      return e as Error & { $metadata?: { httpStatusCode?: number } };
    }
    throw new Error('expected the call to fail');
  };

  describe('event buses', () => {
    it('gives every account and region a default bus', async () => {
      const bus = await eb.client.send(new DescribeEventBusCommand({}));

      expect(bus).toMatchObject({
        Name: 'default',
        Arn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`,
      });
    });

    it('creates, describes, lists and deletes a custom bus', async () => {
      const created = await eb.client.send(
        new CreateEventBusCommand({ Name: 'ami-lifecycle-dev', Description: 'controller events' }),
      );
      const described = await eb.client.send(new DescribeEventBusCommand({ Name: created.EventBusArn }));
      const listed = await eb.client.send(new ListEventBusesCommand({ NamePrefix: 'ami-' }));
      await eb.client.send(new DeleteEventBusCommand({ Name: 'ami-lifecycle-dev' }));
      const afterDelete = await eb.client.send(new ListEventBusesCommand({}));

      expect(created.EventBusArn).toBe(`arn:aws:events:${REGION}:${ACCOUNT}:event-bus/ami-lifecycle-dev`);
      expect(described).toMatchObject({ Name: 'ami-lifecycle-dev', Description: 'controller events' });
      expect(described.CreationTime?.toISOString()).toBe('2026-03-01T00:00:00.000Z');
      expect(listed.EventBuses?.map((b) => b.Name)).toEqual(['ami-lifecycle-dev']);
      expect(afterDelete.EventBuses?.map((b) => b.Name)).toEqual(['default']);
    });

    it('refuses a second bus of the same name', async () => {
      await eb.client.send(new CreateEventBusCommand({ Name: 'twice' }));

      const error = await errorOf(eb.client.send(new CreateEventBusCommand({ Name: 'twice' })));

      expect(error.name).toBe('ResourceAlreadyExistsException');
      expect(error.message).toBe('Event bus twice already exists.');
    });

    it('refuses to delete the default bus', async () => {
      const error = await errorOf(eb.client.send(new DeleteEventBusCommand({ Name: 'default' })));

      expect(error.name).toBe('ValidationException');
    });

    it('deletes the rules of a bus it deletes', async () => {
      await eb.client.send(new CreateEventBusCommand({ Name: 'short-lived' }));
      await eb.client.send(
        new PutRuleCommand({ Name: 'r', EventBusName: 'short-lived', EventPattern: '{"source":["a"]}' }),
      );
      await eb.client.send(new DeleteEventBusCommand({ Name: 'short-lived' }));
      await eb.client.send(new CreateEventBusCommand({ Name: 'short-lived' }));

      const rules = await eb.client.send(new ListRulesCommand({ EventBusName: 'short-lived' }));

      expect(rules.Rules).toEqual([]);
    });

    it('answers ResourceNotFoundException for a bus that does not exist', async () => {
      const error = await errorOf(eb.client.send(new DescribeEventBusCommand({ Name: 'nope' })));

      expect(error.name).toBe('ResourceNotFoundException');
      expect(error.message).toBe('Event bus nope does not exist.');
    });
  });

  describe('rules', () => {
    it('stores a rule and describes it as given', async () => {
      const pattern = '{ "source": ["ami-lifecycle"], "detail-type": ["Image Built"] }';
      await eb.client.send(new CreateEventBusCommand({ Name: 'ami-lifecycle-dev' }));

      const put = await eb.client.send(
        new PutRuleCommand({
          Name: 'on-image-built',
          EventBusName: 'ami-lifecycle-dev',
          EventPattern: pattern,
          Description: 'starts inspection',
        }),
      );
      const rule = await eb.client.send(
        new DescribeRuleCommand({ Name: 'on-image-built', EventBusName: 'ami-lifecycle-dev' }),
      );

      expect(put.RuleArn).toBe(`arn:aws:events:${REGION}:${ACCOUNT}:rule/ami-lifecycle-dev/on-image-built`);
      expect(rule).toMatchObject({
        Name: 'on-image-built',
        Arn: put.RuleArn,
        EventPattern: pattern,
        State: 'ENABLED',
        Description: 'starts inspection',
        EventBusName: 'ami-lifecycle-dev',
        CreatedBy: ACCOUNT,
      });
    });

    it('names rules of the default bus without the bus in their ARN', async () => {
      const put = await eb.client.send(
        new PutRuleCommand({ Name: 'nightly', ScheduleExpression: 'rate(1 day)' }),
      );

      expect(put.RuleArn).toBe(`arn:aws:events:${REGION}:${ACCOUNT}:rule/nightly`);
    });

    it('lists rules by prefix, a page at a time', async () => {
      for (const name of ['b-rule', 'a-rule', 'a-other', 'c-rule']) {
        await eb.client.send(new PutRuleCommand({ Name: name, EventPattern: '{"source":["x"]}' }));
      }

      const first = await eb.client.send(new ListRulesCommand({ NamePrefix: 'a-', Limit: 1 }));
      const second = await eb.client.send(
        new ListRulesCommand({ NamePrefix: 'a-', Limit: 1, NextToken: first.NextToken }),
      );
      const all = await eb.client.send(new ListRulesCommand({}));

      expect(first.Rules?.map((r) => r.Name)).toEqual(['a-other']);
      expect(second.Rules?.map((r) => r.Name)).toEqual(['a-rule']);
      expect(second.NextToken).toBeUndefined();
      expect(all.Rules?.map((r) => r.Name)).toEqual(['a-other', 'a-rule', 'b-rule', 'c-rule']);
    });

    it('disables and enables a rule', async () => {
      await eb.client.send(new PutRuleCommand({ Name: 'r', EventPattern: '{"source":["x"]}' }));

      await eb.client.send(new DisableRuleCommand({ Name: 'r' }));
      const disabled = await eb.client.send(new DescribeRuleCommand({ Name: 'r' }));
      await eb.client.send(new EnableRuleCommand({ Name: 'r' }));
      const enabled = await eb.client.send(new DescribeRuleCommand({ Name: 'r' }));

      expect([disabled.State, enabled.State]).toEqual(['DISABLED', 'ENABLED']);
    });

    it('refuses to delete a rule that still has targets, as AWS does', async () => {
      await eb.client.send(new PutRuleCommand({ Name: 'r', EventPattern: '{"source":["x"]}' }));
      await eb.client.send(new PutTargetsCommand({ Rule: 'r', Targets: [{ Id: 't', Arn: lambdaArn('f') }] }));

      const error = await errorOf(eb.client.send(new DeleteRuleCommand({ Name: 'r' })));
      await eb.client.send(new RemoveTargetsCommand({ Rule: 'r', Ids: ['t'] }));
      await eb.client.send(new DeleteRuleCommand({ Name: 'r' }));

      expect(error.name).toBe('ValidationException');
      expect(error.message).toBe("Rule can't be deleted since it has targets.");
      await expect(eb.client.send(new DescribeRuleCommand({ Name: 'r' }))).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
        message: 'Rule r does not exist on EventBus default.',
      });
    });

    it('keeps the targets of a rule that PutRule replaces', async () => {
      await eb.client.send(new PutRuleCommand({ Name: 'r', EventPattern: '{"source":["x"]}' }));
      await eb.client.send(new PutTargetsCommand({ Rule: 'r', Targets: [{ Id: 't', Arn: lambdaArn('f') }] }));

      await eb.client.send(new PutRuleCommand({ Name: 'r', EventPattern: '{"source":["y"]}' }));
      const targets = await eb.client.send(new ListTargetsByRuleCommand({ Rule: 'r' }));

      expect(targets.Targets?.map((t) => t.Id)).toEqual(['t']);
    });

    it('refuses a pattern EventBridge would refuse, naming the problem', async () => {
      const error = await errorOf(
        eb.client.send(new PutRuleCommand({ Name: 'r', EventPattern: '{"detail":{"state":[]}}' })),
      );

      expect(error.name).toBe('InvalidEventPatternException');
      expect(error.message).toMatch(/^Event pattern is not valid\. Reason: Empty arrays are not allowed/);
    });

    it.each([
      [{}, 'Parameter(s) EventPattern or ScheduleExpression must be specified.'],
      [{ ScheduleExpression: 'rate(1 minutes)' }, 'Parameter ScheduleExpression is not valid.'],
      [{ ScheduleExpression: 'cron(0 12 * * * *)' }, 'Parameter ScheduleExpression is not valid.'],
      [{ ScheduleExpression: 'every day' }, 'Parameter ScheduleExpression is not valid.'],
    ])('refuses a rule with %j', async (input, message) => {
      const error = await errorOf(eb.client.send(new PutRuleCommand({ Name: 'r', ...input })));

      expect(error.name).toBe('ValidationException');
      expect(error.message).toBe(message);
    });

    it('refuses a schedule on a custom bus', async () => {
      await eb.client.send(new CreateEventBusCommand({ Name: 'custom' }));

      const error = await errorOf(
        eb.client.send(
          new PutRuleCommand({ Name: 'r', EventBusName: 'custom', ScheduleExpression: 'rate(1 hour)' }),
        ),
      );

      expect(error.message).toBe('ScheduleExpression is supported only on the default event bus.');
    });
  });

  describe('targets', () => {
    beforeEach(async () => {
      await eb.client.send(new PutRuleCommand({ Name: 'r', EventPattern: '{"source":["x"]}' }));
    });

    it('stores Lambda and Step Functions targets with their settings', async () => {
      const lambda = {
        Id: 'handler',
        Arn: lambdaArn('on-image-built'),
        InputTransformer: { InputPathsMap: { id: '$.detail.imageId' }, InputTemplate: '{"imageId": <id>}' },
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 600 },
        DeadLetterConfig: { Arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:dlq` },
      };
      const machine = {
        Id: 'inspect',
        Arn: stateMachineArn('inspect'),
        RoleArn: ROLE_ARN,
        InputPath: '$.detail',
      };

      const put = await eb.client.send(new PutTargetsCommand({ Rule: 'r', Targets: [lambda, machine] }));
      const listed = await eb.client.send(new ListTargetsByRuleCommand({ Rule: 'r' }));

      expect(put).toMatchObject({ FailedEntryCount: 0, FailedEntries: [] });
      expect(listed.Targets).toEqual([lambda, machine]);
    });

    it('reports a malformed target ARN in FailedEntries and keeps the good targets', async () => {
      const put = await eb.client.send(
        new PutTargetsCommand({
          Rule: 'r',
          Targets: [
            { Id: 'bad', Arn: 'not-an-arn' },
            { Id: 'good', Arn: lambdaArn('f') },
          ],
        }),
      );
      const listed = await eb.client.send(new ListTargetsByRuleCommand({ Rule: 'r' }));

      expect(put.FailedEntryCount).toBe(1);
      expect(put.FailedEntries).toEqual([
        {
          TargetId: 'bad',
          ErrorCode: 'ValidationException',
          ErrorMessage: 'Parameter not-an-arn is not valid. Reason: Provided Arn is not in correct format.',
        },
      ]);
      expect(listed.Targets?.map((t) => t.Id)).toEqual(['good']);
    });

    it.each([
      [
        'a state machine without a role',
        { Id: 'm', Arn: stateMachineArn('inspect') },
        'Parameter(s) RoleArn must be specified for target: m.',
      ],
      [
        'two kinds of input',
        { Id: 't', Arn: lambdaArn('f'), Input: '{}', InputPath: '$.detail' },
        'Only one of Input, InputPath, or InputTransformer must be provided for target t.',
      ],
      [
        'an undefined placeholder',
        { Id: 't', Arn: lambdaArn('f'), InputTransformer: { InputTemplate: '{"a": <missing>}' } },
        'InputTemplate for target t contains invalid placeholder missing.',
      ],
      [
        'a constant input that is not JSON',
        { Id: 't', Arn: lambdaArn('f'), Input: 'hello' },
        'Input for target t is not valid JSON.',
      ],
      [
        'a target the local cloud cannot reach',
        { Id: 'q', Arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:queue` },
        `The local cloud's EventBridge delivers only to Lambda functions, Step Functions state machines and standard SNS topics; target q is arn:aws:sqs:${REGION}:${ACCOUNT}:queue.`,
      ],
    ])('refuses %s', async (_what, target, message) => {
      const error = await errorOf(eb.client.send(new PutTargetsCommand({ Rule: 'r', Targets: [target] })));

      expect(error.name).toBe('ValidationException');
      expect(error.message).toBe(message);
    });

    it('refuses a retry policy outside AWS limits', async () => {
      const error = await errorOf(
        eb.client.send(
          new PutTargetsCommand({
            Rule: 'r',
            Targets: [{ Id: 't', Arn: lambdaArn('f'), RetryPolicy: { MaximumEventAgeInSeconds: 30 } }],
          }),
        ),
      );

      expect(error.message).toBe(
        "1 validation error detected: Value '30' at 'targets.1.member.retryPolicy.maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value between 60 and 86400",
      );
    });

    it('allows five targets per rule and no more', async () => {
      const targets = (n: number) =>
        Array.from({ length: n }, (_, i) => ({ Id: `t${i}`, Arn: lambdaArn(`f${i}`) }));
      await eb.client.send(new PutTargetsCommand({ Rule: 'r', Targets: targets(5) }));

      const error = await errorOf(
        eb.client.send(new PutTargetsCommand({ Rule: 'r', Targets: [{ Id: 'sixth', Arn: lambdaArn('g') }] })),
      );

      expect(error.name).toBe('LimitExceededException');
    });

    it('reports removing a target the rule does not have', async () => {
      const removed = await eb.client.send(new RemoveTargetsCommand({ Rule: 'r', Ids: ['ghost'] }));

      expect(removed.FailedEntries).toEqual([
        {
          TargetId: 'ghost',
          ErrorCode: 'ResourceNotFoundException',
          ErrorMessage: "Rule 'r' does not have a target with the Id 'ghost'.",
        },
      ]);
    });
  });

  describe('PutEvents', () => {
    const entry = (overrides: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
      Source: 'ami-lifecycle',
      DetailType: 'Image Built',
      Detail: JSON.stringify({ family: 'base', version: '1.0.0' }),
      ...overrides,
    });

    it('answers each entry in its place, failing only the bad ones', async () => {
      const result = await eb.client.send(
        new PutEventsCommand({
          Entries: [
            entry(),
            entry({ Source: undefined }),
            entry({ DetailType: undefined }),
            entry({ Detail: undefined }),
            entry({ Detail: 'not json' }),
            entry({ Detail: '[1, 2]' }),
            entry({ Source: 'aws.ec2' }),
            entry(),
          ],
        }),
      );

      expect(result.FailedEntryCount).toBe(6);
      expect(result.Entries?.[0]?.EventId).toEqual(expect.any(String));
      expect(result.Entries?.slice(1, 7)).toEqual([
        {
          ErrorCode: 'InvalidArgument',
          ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.',
        },
        {
          ErrorCode: 'InvalidArgument',
          ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
        },
        {
          ErrorCode: 'InvalidArgument',
          ErrorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.',
        },
        { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
        { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
        { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' },
      ]);
      expect(result.Entries?.[7]?.EventId).toEqual(expect.any(String));
      expect(eb.service.ingested()).toHaveLength(2);
    });

    it('refuses more than ten entries as a whole', async () => {
      const error = await errorOf(
        eb.client.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry()) })),
      );

      expect(error.name).toBe('ValidationException');
      expect(error.message).toMatch(
        /at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10$/,
      );
    });

    it('refuses entries over 256 KB together', async () => {
      const big = JSON.stringify({ blob: 'x'.repeat(100 * 1024) });

      const error = await errorOf(
        eb.client.send(
          new PutEventsCommand({
            Entries: [entry({ Detail: big }), entry({ Detail: big }), entry({ Detail: big })],
          }),
        ),
      );

      expect(error.name).toBe('ValidationException');
      expect(error.message).toBe('Total size of the entries in the request is over the limit.');
    });

    it('builds the event envelope from the entry and the simulated clock', async () => {
      await eb.edge.clock.advance(90);

      const result = await eb.client.send(
        new PutEventsCommand({ Entries: [entry({ Resources: ['arn:aws:ec2:eu-west-1::image/ami-1'] })] }),
      );
      const [ingested] = eb.service.ingested();

      expect(ingested?.event).toEqual({
        version: '0',
        id: result.Entries?.[0]?.EventId,
        'detail-type': 'Image Built',
        source: 'ami-lifecycle',
        account: ACCOUNT,
        time: '2026-03-01T00:01:30Z',
        region: REGION,
        resources: ['arn:aws:ec2:eu-west-1::image/ami-1'],
        detail: { family: 'base', version: '1.0.0' },
      });
    });

    it('takes the event time from the entry when given', async () => {
      await eb.client.send(
        new PutEventsCommand({ Entries: [entry({ Time: new Date('2025-12-24T18:00:00Z') })] }),
      );

      expect(eb.service.ingested()[0]?.event.time).toBe('2025-12-24T18:00:00Z');
    });

    it('puts an event on a bus named by ARN', async () => {
      const { EventBusArn } = await eb.client.send(new CreateEventBusCommand({ Name: 'ami-lifecycle-dev' }));

      await eb.client.send(new PutEventsCommand({ Entries: [entry({ EventBusName: EventBusArn })] }));

      expect(eb.service.ingested()[0]?.eventBusArn).toBe(EventBusArn);
    });

    it('accepts an event for a bus that does not exist and drops it, as AWS does', async () => {
      const result = await eb.client.send(
        new PutEventsCommand({ Entries: [entry({ EventBusName: 'typo' })] }),
      );

      expect(result.FailedEntryCount).toBe(0);
      expect(eb.service.ingested()[0]).toMatchObject({ droppedNoSuchBus: true, matchedRules: [] });
    });
  });

  describe('TestEventPattern', () => {
    const event = {
      id: 'e1',
      account: ACCOUNT,
      source: 'aws.ec2',
      time: '2026-03-01T00:00:00Z',
      region: REGION,
      resources: [],
      'detail-type': 'EC2 AMI State Change',
      detail: { State: 'available', ImageId: 'ami-0123' },
    };

    it.each([
      ['{"source":["aws.ec2"],"detail":{"State":["available"]}}', true],
      ['{"source":["aws.ec2"],"detail":{"State":["failed"]}}', false],
      ['{"detail":{"ImageId":[{"prefix":"ami-"}],"State":[{"anything-but":"failed"}]}}', true],
    ])('answers %s with %s', async (EventPattern, expected) => {
      const result = await eb.client.send(
        new TestEventPatternCommand({ EventPattern, Event: JSON.stringify(event) }),
      );

      expect(result.Result).toBe(expected);
    });

    it('refuses an invalid pattern with InvalidEventPatternException', async () => {
      const error = await errorOf(
        eb.client.send(
          new TestEventPatternCommand({ EventPattern: '{"source":"aws.ec2"}', Event: JSON.stringify(event) }),
        ),
      );

      expect(error.name).toBe('InvalidEventPatternException');
      expect(error.message).toMatch(/Reason: "source" must be an object or an array/);
    });

    it.each(['id', 'account', 'source', 'time', 'region', 'detail-type'])(
      'refuses an event without its %s field',
      async (field) => {
        const { [field as keyof typeof event]: _dropped, ...rest } = event;

        const error = await errorOf(
          eb.client.send(
            new TestEventPatternCommand({
              EventPattern: '{"source":["aws.ec2"]}',
              Event: JSON.stringify(rest),
            }),
          ),
        );

        expect(error.name).toBe('ValidationException');
        expect(error.message).toBe('Parameter Event is not valid.');
      },
    );
  });

  it('answers an operation it does not implement with UnknownOperationException', async () => {
    const res = await fetch(eb.edge.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSEvents.CreateArchive',
        authorization: `AWS4-HMAC-SHA256 Credential=test/20260301/${REGION}/events/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: '{}',
    });

    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });
});
