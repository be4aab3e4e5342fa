import {
  CreateEventBusCommand,
  DisableRuleCommand,
  PutEventsCommand,
  type PutEventsRequestEntry,
  PutRuleCommand,
  PutTargetsCommand,
  type Target,
} from '@aws-sdk/client-eventbridge';
import {
  ACCOUNT,
  DLQ_ARN,
  type EventBridgeHarness,
  lambdaArn,
  REGION,
  ROLE_ARN,
  startEventBridge,
  stateMachineArn,
} from './events/harness';

/** Events reaching Lambda and Step Functions targets on the simulated clock, through the real SDK client. */
describe('EventBridge delivery', () => {
  let eb: EventBridgeHarness;

  beforeEach(async () => {
    eb = await startEventBridge();
  });
  afterEach(async () => {
    await eb.close();
  });

  const rule = async (name: string, pattern: object, targets: Target[], EventBusName?: string) => {
    await eb.client.send(
      new PutRuleCommand({ Name: name, EventPattern: JSON.stringify(pattern), EventBusName }),
    );
    const put = await eb.client.send(new PutTargetsCommand({ Rule: name, Targets: targets, EventBusName }));
    expect(put.FailedEntryCount).toBe(0);
  };
  const put = async (...entries: PutEventsRequestEntry[]) => {
    const result = await eb.client.send(new PutEventsCommand({ Entries: entries }));
    expect(result.FailedEntryCount).toBe(0);
    return result.Entries!.map((e) => e.EventId!);
  };
  const imageEvent = (
    detail: object,
    overrides: Partial<PutEventsRequestEntry> = {},
  ): PutEventsRequestEntry => ({
    Source: 'ami-lifecycle',
    DetailType: 'Image Built',
    Detail: JSON.stringify(detail),
    ...overrides,
  });

  describe('routing by pattern', () => {
    // One rule per operator, each with its own function; every case puts one event it should match and one
    // it should not, and only the first may reach the function.
    const operators: { operator: string; detail: object; hit: object; miss: object }[] = [
      {
        operator: 'exact',
        detail: { state: ['available'] },
        hit: { state: 'available' },
        miss: { state: 'failed' },
      },
      {
        operator: 'prefix',
        detail: { imageId: [{ prefix: 'ami-0' }] },
        hit: { imageId: 'ami-0abc' },
        miss: { imageId: 'ami-1abc' },
      },
      {
        operator: 'prefix-ignore-case',
        detail: { family: [{ prefix: { 'equals-ignore-case': 'BASE' } }] },
        hit: { family: 'base-al2023' },
        miss: { family: 'web' },
      },
      {
        operator: 'suffix',
        detail: { name: [{ suffix: '-x86_64' }] },
        hit: { name: 'al2023-x86_64' },
        miss: { name: 'al2023-arm64' },
      },
      {
        operator: 'suffix-ignore-case',
        detail: { name: [{ suffix: { 'equals-ignore-case': '-ARM64' } }] },
        hit: { name: 'al2023-arm64' },
        miss: { name: 'al2023-x86_64' },
      },
      {
        operator: 'equals-ignore-case',
        detail: { channel: [{ 'equals-ignore-case': 'STABLE' }] },
        hit: { channel: 'Stable' },
        miss: { channel: 'beta' },
      },
      {
        operator: 'wildcard',
        detail: { path: [{ wildcard: 'images/*/manifest.json' }] },
        hit: { path: 'images/base/manifest.json' },
        miss: { path: 'images/base/readme' },
      },
      {
        operator: 'anything-but',
        detail: { state: [{ 'anything-but': ['pending', 'failed'] }] },
        hit: { state: 'available' },
        miss: { state: 'pending' },
      },
      {
        operator: 'anything-but-prefix',
        detail: { region: [{ 'anything-but': { prefix: 'us-' } }] },
        hit: { region: 'eu-west-1' },
        miss: { region: 'us-east-1' },
      },
      {
        operator: 'numeric',
        detail: { critical: [{ numeric: ['>', 0, '<=', 10] }] },
        hit: { critical: 3 },
        miss: { critical: 0 },
      },
      {
        operator: 'exists',
        detail: { holdId: [{ exists: false }] },
        hit: { other: 1 },
        miss: { holdId: 'h-1' },
      },
      {
        operator: 'cidr',
        detail: { sourceIp: [{ cidr: '10.0.0.0/16' }] },
        hit: { sourceIp: '10.0.3.4' },
        miss: { sourceIp: '10.1.0.1' },
      },
      {
        operator: 'or',
        detail: { $or: [{ severity: ['CRITICAL'] }, { score: [{ numeric: ['>=', 9] }] }] },
        hit: { score: 9.8 },
        miss: { severity: 'LOW', score: 2 },
      },
      {
        operator: 'array-value',
        detail: { tags: ['golden'] },
        hit: { tags: ['base', 'golden'] },
        miss: { tags: ['base'] },
      },
      { operator: 'null', detail: { parent: [null] }, hit: { parent: null }, miss: { parent: 'ami-0' } },
    ];

    it.each(operators)(
      'sends a Lambda only the events its $operator rule matches',
      async ({ operator, detail, hit, miss }) => {
        const fn = lambdaArn(`on-${operator}`);
        await rule(operator, { source: ['ami-lifecycle'], detail }, [{ Id: 'fn', Arn: fn }]);

        const [hitId] = await put(imageEvent({ ...hit, case: 'hit' }), imageEvent({ ...miss, case: 'miss' }));
        await eb.deliver();

        expect(eb.lambdaCalls.map((c) => c.arn)).toEqual([fn]);
        expect(eb.lambdaCalls[0]?.payload).toMatchObject({ id: hitId, detail: { case: 'hit' } });
      },
    );

    it('starts a state machine with the event as its input', async () => {
      const machine = stateMachineArn('inspect');
      await rule('to-sfn', { 'detail-type': ['Image Built'] }, [
        { Id: 'sfn', Arn: machine, RoleArn: ROLE_ARN },
      ]);

      const [id] = await put(imageEvent({ imageId: 'ami-0abc' }));
      await eb.deliver();

      expect(eb.executions).toHaveLength(1);
      expect(eb.executions[0]).toMatchObject({
        arn: machine,
        payload: { id, source: 'ami-lifecycle', detail: { imageId: 'ami-0abc' } },
      });
      expect(JSON.parse(eb.executions[0]!.input!)).toEqual(eb.executions[0]!.payload);
    });

    it('delivers asynchronously, once the simulated clock moves', async () => {
      await rule('async', { source: ['ami-lifecycle'] }, [{ Id: 'fn', Arn: lambdaArn('f') }]);

      await put(imageEvent({}));
      const before = eb.lambdaCalls.length;
      await eb.deliver();

      expect([before, eb.lambdaCalls.length]).toEqual([0, 1]);
    });

    it('sends one event to every target of every matching rule', async () => {
      await rule('one', { source: ['ami-lifecycle'] }, [
        { Id: 'a', Arn: lambdaArn('a') },
        { Id: 'b', Arn: lambdaArn('b') },
      ]);
      await rule('two', { 'detail-type': ['Image Built'] }, [
        { Id: 'c', Arn: stateMachineArn('c'), RoleArn: ROLE_ARN },
      ]);

      await put(imageEvent({}));
      await eb.deliver();

      expect(eb.lambdaCalls.map((c) => c.arn).sort()).toEqual([lambdaArn('a'), lambdaArn('b')]);
      expect(eb.executions.map((c) => c.arn)).toEqual([stateMachineArn('c')]);
    });

    it('matches rules of the bus the event is put on only', async () => {
      await eb.client.send(new CreateEventBusCommand({ Name: 'ami-lifecycle-dev' }));
      await rule(
        'on-custom',
        { source: ['ami-lifecycle'] },
        [{ Id: 'custom', Arn: lambdaArn('custom') }],
        'ami-lifecycle-dev',
      );
      await rule('on-default', { source: ['ami-lifecycle'] }, [{ Id: 'default', Arn: lambdaArn('default') }]);

      await put(imageEvent({}, { EventBusName: 'ami-lifecycle-dev' }));
      await eb.deliver();

      expect(eb.lambdaCalls.map((c) => c.arn)).toEqual([lambdaArn('custom')]);
    });

    it('does not deliver for a disabled rule', async () => {
      await rule('off', { source: ['ami-lifecycle'] }, [{ Id: 'fn', Arn: lambdaArn('f') }]);
      await eb.client.send(new DisableRuleCommand({ Name: 'off' }));

      await put(imageEvent({}));
      await eb.deliver();

      expect(eb.lambdaCalls).toEqual([]);
    });

    it('keeps rules of other accounts apart', async () => {
      const other = { accountId: '222222222222', region: REGION };
      eb.service.putRule(other, { Name: 'theirs', EventPattern: '{"source":["ami-lifecycle"]}' });
      eb.service.putTargets(other, {
        Rule: 'theirs',
        Targets: [{ Id: 'fn', Arn: lambdaArn('theirs', other.accountId) }],
      });

      await put(imageEvent({}));
      eb.service.putEvents(other, [{ Source: 'ami-lifecycle', DetailType: 'Image Built', Detail: '{}' }]);
      await eb.deliver();

      expect(eb.lambdaCalls.map((c) => (c.payload as { account: string }).account)).toEqual([
        other.accountId,
      ]);
    });
  });

  describe('target input', () => {
    const detail = {
      family: 'base',
      version: '1.2.0',
      imageId: 'ami-0abc',
      findings: { critical: 2, high: 5 },
    };

    it('sends a constant Input instead of the event', async () => {
      await rule('constant', { source: ['ami-lifecycle'] }, [
        { Id: 'fn', Arn: lambdaArn('f'), Input: '{"sweep":"retention","dryRun":true}' },
      ]);

      await put(imageEvent(detail));
      await eb.deliver();

      expect(eb.lambdaCalls[0]?.payload).toEqual({ sweep: 'retention', dryRun: true });
    });

    it('sends the part of the event an InputPath selects', async () => {
      await rule('path', { source: ['ami-lifecycle'] }, [
        { Id: 'fn', Arn: lambdaArn('f'), InputPath: '$.detail.findings' },
        { Id: 'sfn', Arn: stateMachineArn('m'), RoleArn: ROLE_ARN, InputPath: '$.detail' },
      ]);

      await put(imageEvent(detail));
      await eb.deliver();

      expect(eb.lambdaCalls[0]?.payload).toEqual({ critical: 2, high: 5 });
      expect(eb.executions[0]?.input).toBe(JSON.stringify(detail));
    });

    it('fills a JSON InputTemplate from the event and the predefined variables', async () => {
      await rule('transform', { source: ['ami-lifecycle'] }, [
        {
          Id: 'fn',
          Arn: lambdaArn('f'),
          InputTransformer: {
            InputPathsMap: {
              image: '$.detail.imageId',
              critical: '$.detail.findings.critical',
              findings: '$.detail.findings',
              missing: '$.detail.nothing',
            },
            InputTemplate:
              '{"image": <image>, "critical": <critical>, "findings": <findings>, "missing": <missing>, "summary": "<image> has <critical> critical", "rule": <aws.events.rule-name>, "ruleArn": "<aws.events.rule-arn>"}',
          },
        },
      ]);

      await put(imageEvent(detail));
      await eb.deliver();

      expect(eb.lambdaCalls[0]?.payload).toEqual({
        image: 'ami-0abc',
        critical: 2,
        findings: { critical: 2, high: 5 },
        missing: null,
        summary: 'ami-0abc has 2 critical',
        rule: 'transform',
        ruleArn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/transform`,
      });
    });

    it('sends a text InputTemplate as a string', async () => {
      await rule('text', { source: ['ami-lifecycle'] }, [
        {
          Id: 'fn',
          Arn: lambdaArn('f'),
          InputTransformer: {
            InputPathsMap: { family: '$.detail.family', version: '$.detail.version' },
            InputTemplate: '"<family> <version> is built"',
          },
        },
      ]);

      await put(imageEvent(detail));
      await eb.deliver();

      expect(eb.lambdaCalls[0]?.payload).toBe('base 1.2.0 is built');
    });

    it('passes the whole original event through aws.events.event.json', async () => {
      await rule('whole', { source: ['ami-lifecycle'] }, [
        {
          Id: 'sfn',
          Arn: stateMachineArn('m'),
          RoleArn: ROLE_ARN,
          InputTransformer: {
            InputTemplate: '{"event": <aws.events.event.json>, "envelope": <aws.events.event>}',
          },
        },
      ]);

      const [id] = await put(imageEvent(detail));
      await eb.deliver();

      const input = eb.executions[0]?.payload as { event: { id: string; detail: object }; envelope: object };
      expect(input.event).toMatchObject({ id, detail });
      expect(input.envelope).toMatchObject({ id, source: 'ami-lifecycle' });
      expect(input.envelope).not.toHaveProperty('detail');
    });
  });

  describe('retries and dead letters', () => {
    it('retries a failing target with backoff, then dead-letters the event', async () => {
      const fn = lambdaArn('flaky');
      eb.failLambda(fn);
      await rule('retried', { source: ['ami-lifecycle'] }, [
        { Id: 'fn', Arn: fn, RetryPolicy: { MaximumRetryAttempts: 2 }, DeadLetterConfig: { Arn: DLQ_ARN } },
      ]);

      const [id] = await put(imageEvent({ imageId: 'ami-0abc' }));
      await eb.edge.clock.advance(60);

      expect(eb.lambdaCalls.map((c) => c.at)).toEqual([
        '2026-03-01T00:00:00.000Z',
        '2026-03-01T00:00:01.000Z',
        '2026-03-01T00:00:03.000Z',
      ]);
      expect(eb.service.deliveries()).toEqual([
        {
          eventId: id,
          rule: 'retried',
          ruleArn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/retried`,
          eventBusName: 'default',
          target: 'fn',
          targetArn: fn,
          outcome: 'dead-lettered',
          attempts: 3,
          error: 'Task timed out',
          at: '2026-03-01T00:00:03.000Z',
        },
      ]);
      expect(eb.service.deadLetters({ targetId: 'fn' })).toEqual([
        expect.objectContaining({
          deadLetterArn: DLQ_ARN,
          attempts: 3,
          errorCode: 'Error',
          errorMessage: 'Task timed out',
          exhaustedRetryCondition: 'MaximumRetryAttempts',
          event: expect.objectContaining({ id, detail: { imageId: 'ami-0abc' } }),
        }),
      ]);
    });

    it("sends the event to the target's dead-letter queue with EventBridge's attributes, or says why not", async () => {
      const fn = lambdaArn('gone');
      eb.failLambda(fn);
      const missingQueue = `arn:aws:sqs:${REGION}:${ACCOUNT}:no-such-queue`;
      await rule('kept', { source: ['ami-lifecycle'] }, [
        { Id: 'fn', Arn: fn, RetryPolicy: { MaximumRetryAttempts: 1 }, DeadLetterConfig: { Arn: DLQ_ARN } },
        {
          Id: 'lost',
          Arn: fn,
          RetryPolicy: { MaximumRetryAttempts: 0 },
          DeadLetterConfig: { Arn: missingQueue },
        },
      ]);

      const [id] = await put(imageEvent({ imageId: 'ami-0abc' }));
      await eb.edge.clock.advance(60);

      expect(eb.queued).toEqual([
        {
          queueArn: DLQ_ARN,
          body: expect.any(String),
          attributes: {
            RULE_ARN: `arn:aws:events:${REGION}:${ACCOUNT}:rule/kept`,
            TARGET_ARN: fn,
            ERROR_CODE: 'Error',
            ERROR_MESSAGE: 'Task timed out',
            EXHAUSTED_RETRY_CONDITION: 'MaximumRetryAttempts',
            RETRY_ATTEMPTS: '1',
          },
        },
      ]);
      expect(JSON.parse(eb.queued[0]!.body)).toMatchObject({ id, detail: { imageId: 'ami-0abc' } });
      expect(eb.service.deadLetters({ targetId: 'lost' })).toEqual([
        expect.objectContaining({
          deadLetterArn: missingQueue,
          deadLetterError: expect.stringContaining('does not exist'),
        }),
      ]);
      expect(eb.service.deliveries().find((d) => d.target === 'lost')?.outcome).toBe('failed');
    });

    it('delivers on a retry once the target recovers', async () => {
      const fn = lambdaArn('recovers');
      eb.failLambda(fn, 2);
      await rule('recovering', { source: ['ami-lifecycle'] }, [{ Id: 'fn', Arn: fn }]);

      await put(imageEvent({}));
      await eb.edge.clock.advance(10);

      expect(eb.service.deliveries()).toMatchObject([
        { outcome: 'delivered', attempts: 3, at: '2026-03-01T00:00:03.000Z' },
      ]);
      expect(eb.service.deadLetters()).toEqual([]);
    });

    it('stops retrying once the event is older than MaximumEventAgeInSeconds', async () => {
      const fn = lambdaArn('down');
      eb.failLambda(fn);
      await rule('aged', { source: ['ami-lifecycle'] }, [
        { Id: 'fn', Arn: fn, RetryPolicy: { MaximumEventAgeInSeconds: 60 } },
      ]);

      await put(imageEvent({}));
      await eb.edge.clock.advance(3600);

      // Attempts at 0, 1, 3, 7, 15 and 31 s; the next would start at 63 s, past the 60 s limit.
      expect(eb.lambdaCalls).toHaveLength(6);
      expect(eb.service.deliveries()).toMatchObject([
        { outcome: 'failed', attempts: 6, at: '2026-03-01T00:00:31.000Z' },
      ]);
      expect(eb.service.deadLetters()[0]).toMatchObject({
        exhaustedRetryCondition: 'MaximumEventAgeInSeconds',
      });
      expect(eb.service.deadLetters()[0]).not.toHaveProperty('deadLetterArn');
    });

    it('does not retry a target that does not exist', async () => {
      const fn = lambdaArn('deleted');
      eb.failLambda(fn, Number.POSITIVE_INFINITY, () =>
        Object.assign(new Error('Function not found'), { name: 'ResourceNotFoundException' }),
      );
      await rule('gone', { source: ['ami-lifecycle'] }, [
        { Id: 'fn', Arn: fn, DeadLetterConfig: { Arn: DLQ_ARN } },
      ]);

      await put(imageEvent({}));
      await eb.edge.clock.advance(600);

      expect(eb.lambdaCalls).toHaveLength(1);
      expect(eb.service.deadLetters()[0]).toMatchObject({
        errorCode: 'ResourceNotFoundException',
        exhaustedRetryCondition: 'None',
      });
    });

    it('dead-letters an event whose JSON template does not give JSON, without retrying', async () => {
      await rule('broken-template', { source: ['ami-lifecycle'] }, [
        {
          Id: 'fn',
          Arn: lambdaArn('f'),
          InputTransformer: { InputPathsMap: { name: '$.detail.name' }, InputTemplate: '{"name": "<name>"}' },
        },
      ]);

      // EventBridge does not escape values it puts inside quotes: a quote in the value breaks the JSON.
      await put(imageEvent({ name: 'say "hi"' }));
      await eb.edge.clock.advance(60);

      expect(eb.lambdaCalls).toEqual([]);
      expect(eb.service.deliveries()).toMatchObject([{ outcome: 'failed', attempts: 1 }]);
      expect(eb.service.deadLetters()[0]).toMatchObject({
        errorCode: 'InputTransformationError',
        exhaustedRetryCondition: 'None',
      });
    });
  });

  describe('AWS service events', () => {
    it('puts a published service event on the default bus of its account and region', async () => {
      await rule(
        'ami-state',
        { source: ['aws.ec2'], 'detail-type': ['EC2 AMI State Change'], detail: { State: ['available'] } },
        [{ Id: 'fn', Arn: lambdaArn('on-ami-available') }],
      );

      const id = eb.service.publish({
        source: 'aws.ec2',
        detailType: 'EC2 AMI State Change',
        detail: { ImageId: 'ami-0abc', State: 'available' },
        accountId: ACCOUNT,
        region: REGION,
        resources: [`arn:aws:ec2:${REGION}::image/ami-0abc`],
        time: '2026-03-01T00:05:00.123Z',
      });
      eb.service.publish({
        source: 'aws.ec2',
        detailType: 'EC2 AMI State Change',
        detail: { ImageId: 'ami-0abc', State: 'available' },
        accountId: ACCOUNT,
        region: 'us-east-1',
        resources: [],
        time: '2026-03-01T00:05:00.000Z',
      });
      await eb.deliver();

      expect(eb.lambdaCalls).toHaveLength(1);
      expect(eb.lambdaCalls[0]?.payload).toEqual({
        version: '0',
        id,
        'detail-type': 'EC2 AMI State Change',
        source: 'aws.ec2',
        account: ACCOUNT,
        time: '2026-03-01T00:05:00Z',
        region: REGION,
        resources: [`arn:aws:ec2:${REGION}::image/ami-0abc`],
        detail: { ImageId: 'ami-0abc', State: 'available' },
      });
    });
  });
});
