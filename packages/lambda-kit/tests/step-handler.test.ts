import { z } from 'zod';
import { asStep, createHandler, StepInputRejectedError } from '../src';
import { lambdaContext, quietLogger, quietMetrics } from './support';

afterEach(() => jest.restoreAllMocks());

const step = (useCase: (input: { n: number }) => Promise<unknown>) => {
  const { metrics } = quietMetrics();
  return asStep(
    'Double',
    createHandler({
      name: 'double',
      event: z.object({ n: z.number() }),
      correlationIdPath: 'n',
      useCase,
      logger: quietLogger(),
      metrics,
    }),
  );
};

describe('asStep', () => {
  it('answers the use case result for a valid input', async () => {
    const handler = step(async ({ n }) => ({ doubled: n * 2 }));

    await expect(handler({ n: 2 }, lambdaContext())).resolves.toEqual({ doubled: 4 });
  });

  it('fails the task, naming the step and the bad field, when the kit drops the input', async () => {
    const useCase = jest.fn(async () => 'ran');
    const handler = step(useCase);

    const run = handler({ n: 'two' }, lambdaContext());

    await expect(run).rejects.toBeInstanceOf(StepInputRejectedError);
    await expect(run).rejects.toMatchObject({
      name: 'StepInputRejectedError',
      step: 'Double',
      message: expect.stringMatching(/^Double refused its input: .*n/),
    });
    expect(useCase).not.toHaveBeenCalled();
  });
});
