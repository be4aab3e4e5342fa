import { type AmiLifecycleEvent, imageBuilt, readFixture } from '@ami-lifecycle/contracts';
import { FamilyNotConfiguredError, IllegalTransitionError } from '@ami-lifecycle/core';
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import { z } from 'zod';
import {
  createHandler,
  MAX_RECORD_BYTES,
  MemoryDeadLetters,
  REJECTED_EVENT_KIND,
  type RejectedEvent,
  serialiseRejectedEvent,
} from '../src';
import { envelopeOf, lambdaContext, quietLogger, quietMetrics } from './support';

const validEnvelope = () => envelopeOf(imageBuilt.detailType, imageBuilt.fixtures.valid[0]!);

afterEach(() => jest.restoreAllMocks());

const setup = <T>(useCase: (event: AmiLifecycleEvent) => Promise<T>) => {
  const logger = quietLogger();
  const { metrics, published, names } = quietMetrics();
  const handler = createHandler({ name: 'on-image-built', event: 'eventbridge', useCase, logger, metrics });
  return { handler, logger, published, names };
};

describe('createHandler for events of our bus', () => {
  it('hands the use case the parsed event and returns its result', async () => {
    const useCase = jest.fn(async (event: AmiLifecycleEvent) => ({ saw: event['detail-type'] }));
    const { handler } = setup(useCase);

    const result = await handler(validEnvelope(), lambdaContext());

    expect(result).toEqual({ saw: 'Image Built' });
    expect(useCase).toHaveBeenCalledWith(
      expect.objectContaining({ detail: readFixture(imageBuilt.fixtures.valid[0]!) }),
      expect.anything(),
    );
  });

  it('tags the logs of the invocation with the correlation id of the detail', async () => {
    let correlationId: unknown;
    const { handler, logger } = setup(async () => {
      correlationId = logger.getCorrelationId();
    });

    await handler(validEnvelope(), lambdaContext());

    expect(correlationId).toBe(
      (readFixture(imageBuilt.fixtures.valid[0]!) as { correlationId: string }).correlationId,
    );
  });

  it.each(imageBuilt.fixtures.invalid)(
    'drops, without running the use case, the invalid fixture %s',
    async (file) => {
      const useCase = jest.fn(async () => 'ran');
      const { handler, logger } = setup(useCase);
      const logged = jest.spyOn(logger, 'error');

      const result = await handler(envelopeOf(imageBuilt.detailType, file), lambdaContext());

      expect(result).toEqual({
        status: 'dropped',
        reason: 'invalid',
        error: expect.objectContaining({ name: 'ContractViolationError' }),
      });
      expect(useCase).not.toHaveBeenCalled();
      expect(logged).toHaveBeenCalled();
    },
  );

  it('drops an envelope that is not from our bus, naming the bad field', async () => {
    const { handler } = setup(async () => 'ran');

    const result = await handler({ ...validEnvelope(), source: 'aws.ec2' }, lambdaContext());

    expect(result).toMatchObject({ status: 'dropped', reason: 'invalid', error: { message: /source/ } });
  });

  it('drops an event of an unknown detail-type', async () => {
    const { handler } = setup(async () => 'ran');

    const result = await handler({ ...validEnvelope(), 'detail-type': 'Image Teleported' }, lambdaContext());

    expect(result).toMatchObject({
      status: 'dropped',
      reason: 'invalid',
      error: { name: 'UnknownDetailTypeError' },
    });
  });

  it('drops, with a warning, an event whose transition the image has already made', async () => {
    const { handler, logger } = setup(async () => {
      throw new IllegalTransitionError('built', 'built', 'the image is already built');
    });
    const warned = jest.spyOn(logger, 'warn');

    const result = await handler(validEnvelope(), lambdaContext());

    expect(result).toMatchObject({
      status: 'dropped',
      reason: 'duplicate',
      error: { name: 'IllegalTransitionError' },
    });
    expect(warned).toHaveBeenCalled();
  });

  it('rethrows every other error so the event is retried', async () => {
    const failure = new Error('throttled');
    const { handler } = setup(async () => {
      throw failure;
    });

    await expect(handler(validEnvelope(), lambdaContext())).rejects.toBe(failure);
  });

  it('counts drops in metrics and flushes metrics on every path', async () => {
    const { handler, published, names } = setup(async () => {
      throw new Error('throttled');
    });

    await handler({}, lambdaContext());
    await expect(handler(validEnvelope(), lambdaContext())).rejects.toThrow('throttled');

    expect(names()).toContain('InvalidEventsDropped');
    expect(names()).toContain('EventsFailed');
    expect(published.mock.calls.length).toBeGreaterThanOrEqual(2);
  });

  it('counts every processed event, so no flush is ever empty', async () => {
    const { handler, names } = setup(async () => 'ok');

    await handler(validEnvelope(), lambdaContext());

    expect(names()).toContain('EventsProcessed');
  });

  it('records a cold start once per container, not per invocation', async () => {
    // Powertools counts a cold start only in an on-demand execution environment, as Lambda reports it.
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
    const { handler, names } = setup(async () => 'ok');
    delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;

    await handler(validEnvelope(), lambdaContext());
    await handler(validEnvelope(), lambdaContext());

    expect(names().filter((name) => name === 'ColdStart')).toHaveLength(1);
  });
});

describe('createHandler with a zod schema', () => {
  const amiStateChange = EventBridgeSchema.extend({
    source: z.literal('aws.ec2'),
    'detail-type': z.literal('EC2 AMI State Change'),
    detail: z.object({ ImageId: z.string().startsWith('ami-'), State: z.enum(['available', 'failed']) }),
  });
  const awsEvent = {
    ...validEnvelope(),
    source: 'aws.ec2',
    'detail-type': 'EC2 AMI State Change',
    detail: { ImageId: 'ami-0a1b2c3d4e5f60718', State: 'available' },
  };

  const setupSchema = () => {
    const useCase = jest.fn(async (event: z.output<typeof amiStateChange>) => event.detail.State);
    const handler = createHandler({
      name: 'on-ami-state-change',
      event: amiStateChange,
      useCase,
      logger: quietLogger(),
      metrics: quietMetrics().metrics,
    });
    return { handler, useCase };
  };

  it('parses AWS-owned events with a Powertools parser schema (zod 4)', async () => {
    const { handler } = setupSchema();

    await expect(handler(awsEvent, lambdaContext())).resolves.toBe('available');
  });

  it('drops an event failing the schema, naming the path of the bad field', async () => {
    const { handler, useCase } = setupSchema();

    const result = await handler(
      { ...awsEvent, detail: { ImageId: 'i-123', State: 'available' } },
      lambdaContext(),
    );

    expect(result).toMatchObject({
      status: 'dropped',
      reason: 'invalid',
      error: { name: 'InvalidEventError', message: /detail\.ImageId/ },
    });
    expect(useCase).not.toHaveBeenCalled();
  });
});

describe('createHandler with a dead-letter sink (a function EventBridge invokes)', () => {
  const request = z.object({
    'detail-type': z.literal('Build Requested'),
    detail: z.object({ family: z.string().min(1), idempotencyKey: z.string() }),
  });
  const event = { 'detail-type': 'Build Requested', detail: { family: 'golden', idempotencyKey: 'k-1' } };

  const setupSink = (useCase: (e: z.output<typeof request>) => Promise<unknown>) => {
    const sink = new MemoryDeadLetters();
    const { metrics, names } = quietMetrics();
    const logger = quietLogger();
    const handler = createHandler({
      name: 'request-build',
      event: request,
      useCase: jest.fn(useCase),
      refusedEventsTo: sink,
      logger,
      metrics,
    });
    return { handler, sink, names, logger };
  };

  it('keeps a malformed event in the dead-letter queue at once, as received, with the field named', async () => {
    const { handler, sink, names } = setupSink(async () => 'ran');
    const bad = { ...event, detail: { family: '', idempotencyKey: 'k-1', extra: '__proto__' } };

    const result = await handler(bad, lambdaContext('ami-lifecycle-dev-requestBuild'));

    expect(result).toEqual({
      status: 'rejected',
      reason: 'invalid',
      error: { name: 'InvalidEventError', message: expect.stringContaining('detail.family') },
      deadLetter: { messageId: 'memory-1' },
    });
    expect(sink.records).toEqual([
      expect.objectContaining({
        kind: REJECTED_EVENT_KIND,
        reason: 'invalid',
        functionName: 'ami-lifecycle-dev-requestBuild',
        requestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
        error: expect.objectContaining({ issues: [expect.objectContaining({ path: 'detail.family' })] }),
        event: bad,
      }),
    ]);
    expect(names()).toContain('EventsRejected');
    expect(names()).not.toContain('InvalidEventsDropped');
  });

  it('refuses an event with thousands of bad fields at once, its record bounded', async () => {
    const { handler, sink } = setupSink(async () => 'ran');
    const bad = {
      ...event,
      detail: { family: Array.from({ length: 3000 }, (_, i) => i), idempotencyKey: 1 },
    };

    const result = await handler(bad, lambdaContext());

    expect(result).toMatchObject({ status: 'rejected', reason: 'invalid' });
    expect(sink.records[0]?.error.issues?.length).toBeLessThanOrEqual(100);
  });

  it('keeps a well-formed event refused for good (a PermanentError) without retrying it', async () => {
    const { handler, sink } = setupSink(async () => {
      throw new FamilyNotConfiguredError('golden');
    });

    const result = await handler(event, lambdaContext());

    expect(result).toMatchObject({
      status: 'rejected',
      reason: 'refused',
      error: { name: 'FamilyNotConfiguredError' },
    });
    expect(sink.records).toEqual([
      expect.objectContaining({
        reason: 'refused',
        event,
        error: expect.objectContaining({ name: 'FamilyNotConfiguredError' }),
      }),
    ]);
  });

  it('fails the invocation when the queue does not take the record, so the event is retried, not lost', async () => {
    const { handler, sink } = setupSink(async () => 'ran');
    sink.failNext = 1;

    await expect(handler({ ...event, detail: {} }, lambdaContext())).rejects.toThrow(
      /could not keep a refused event in the dead-letter queue.*detail\.family/s,
    );
    expect(sink.records).toEqual([]);
  });

  it('still rethrows errors a retry may cure, and still drops duplicates', async () => {
    const failing = setupSink(async () => {
      throw new Error('socket hang up');
    });
    await expect(failing.handler(event, lambdaContext())).rejects.toThrow('socket hang up');
    const duplicate = setupSink(async () => {
      throw new IllegalTransitionError('published', 'published', 'already');
    });
    await expect(duplicate.handler(event, lambdaContext())).resolves.toMatchObject({ status: 'dropped' });
    expect([...failing.sink.records, ...duplicate.sink.records]).toEqual([]);
  });

  it('without a sink, rethrows a permanent refusal for the state machine to catch', async () => {
    const handler = createHandler({
      name: 'start-build',
      event: request,
      useCase: async () => {
        throw new FamilyNotConfiguredError('golden');
      },
      logger: quietLogger(),
      metrics: quietMetrics().metrics,
    });

    await expect(handler(event, lambdaContext())).rejects.toThrow(FamilyNotConfiguredError);
  });
});

describe('serialiseRejectedEvent', () => {
  const record = (event: unknown): RejectedEvent => ({
    kind: REJECTED_EVENT_KIND,
    version: 1,
    reason: 'invalid',
    functionName: 'f',
    requestId: 'r',
    rejectedAt: '2026-03-01T00:00:00.000Z',
    error: { name: 'InvalidEventError', message: 'detail.family: too long' },
    event,
  });

  it('bounds the error: at most 100 issues (the rest counted) and a cut message, whatever the event', () => {
    const issues = Array.from({ length: 5000 }, (_, i) => ({
      path: `resources.${i}`,
      message: 'Expected string',
    }));
    const big: RejectedEvent = {
      ...record({ resources: Array.from({ length: 5000 }, (_, i) => i) }),
      error: {
        name: 'InvalidEventError',
        message: issues.map((i) => `${i.path}: ${i.message}`).join('; '),
        issues,
      },
    };

    const text = serialiseRejectedEvent(big);

    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_RECORD_BYTES);
    const parsed = JSON.parse(text) as RejectedEvent;
    expect(parsed.error.issues).toHaveLength(100);
    expect(parsed.error.issuesOmitted).toBe(4900);
    expect(parsed.error.message.length).toBeLessThanOrEqual(4096);
    expect(parsed.event).toEqual({ resources: Array.from({ length: 5000 }, (_, i) => i) });
  });

  it('ends with no event at all rather than loop when even the bounded fields leave no room', () => {
    const huge: RejectedEvent = { ...record({ a: 'x'.repeat(300_000) }), functionName: 'f'.repeat(300_000) };

    const text = serialiseRejectedEvent(huge);

    expect(JSON.parse(text)).toMatchObject({ event: '', eventTruncated: true });
  });

  it('keeps a whole event that fits', () => {
    const text = serialiseRejectedEvent(record({ detail: { family: 'x'.repeat(1000) } }));
    expect(JSON.parse(text)).toEqual(record({ detail: { family: 'x'.repeat(1000) } }));
  });

  it.each([
    ['ASCII', 'x'],
    ['characters that escape to six bytes', '\u0001'],
    ['four-byte characters', '😀'],
  ])('cuts an event too large for one message to a prefix that fits, and says so (%s)', (_, unit) => {
    const event = { detail: { family: unit.repeat(300_000) } };

    const text = serialiseRejectedEvent(record(event));

    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_RECORD_BYTES);
    const parsed = JSON.parse(text) as RejectedEvent;
    expect(parsed.eventTruncated).toBe(true);
    expect(JSON.stringify(event).startsWith(parsed.event as string)).toBe(true);
    expect((parsed.event as string).length).toBeGreaterThan(1000);
  });
});
