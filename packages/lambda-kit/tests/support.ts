import { readFixture } from '@ami-lifecycle/contracts';
import { Logger } from '@aws-lambda-powertools/logger';
import { search } from '@aws-lambda-powertools/logger/correlationId';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';

/** A Lambda context as the runtime hands it over; only what the stack reads matters. */
export const lambdaContext = (functionName = 'test-function'): Context => ({
  callbackWaitsForEmptyEventLoop: true,
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:eu-west-1:111122223333:function:${functionName}`,
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: '2025/01/15/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

/** A logger that prints nothing; tests assert on calls, never on log formatting. */
export const quietLogger = (): Logger =>
  new Logger({ serviceName: 'test', logLevel: 'SILENT', correlationIdSearchFn: search });

/** Metrics whose EMF output is swallowed; spies on the prototype also catch the cold-start single metric. */
export const quietMetrics = () => {
  const published = jest.spyOn(Metrics.prototype, 'publishStoredMetrics').mockImplementation(function (
    this: Metrics,
  ) {
    this.clearMetrics();
    return this;
  });
  const added = jest.spyOn(Metrics.prototype, 'addMetric');
  const metrics = new Metrics({ namespace: 'ami-lifecycle', serviceName: 'test' });
  const names = () => added.mock.calls.map(([name]) => name);
  return { metrics, published, names };
};

/** An EventBridge event of our bus carrying a detail fixture of the contracts package. */
export const envelopeOf = (detailType: string, detailFixture: string): Record<string, unknown> => ({
  ...(readFixture('tests/events/envelopes/image-published.json') as Record<string, unknown>),
  'detail-type': detailType,
  detail: readFixture(detailFixture),
});
