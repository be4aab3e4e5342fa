import { type AmiLifecycleEvent, imageBuilt, readFixture } from '@ami-lifecycle/contracts';
import { IllegalTransitionError } from '@ami-lifecycle/core';
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import { z } from 'zod';
import { createHandler } from '../src';
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
