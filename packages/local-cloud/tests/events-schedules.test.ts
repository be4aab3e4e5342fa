import {
  DeleteRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { nextFireTime, parseScheduleExpression } from '../src/services/events';
import {
  ACCOUNT,
  type EventBridgeHarness,
  lambdaArn,
  REGION,
  ROLE_ARN,
  startEventBridge,
  stateMachineArn,
} from './events/harness';

/** Scheduled rules firing on the simulated clock, and AWS's schedule expressions. */
describe('EventBridge schedules', () => {
  let eb: EventBridgeHarness;

  beforeEach(async () => {
    eb = await startEventBridge();
  });
  afterEach(async () => {
    await eb.close();
  });

  const scheduled = async (name: string, ScheduleExpression: string, fn = lambdaArn(name)) => {
    await eb.client.send(new PutRuleCommand({ Name: name, ScheduleExpression }));
    await eb.client.send(new PutTargetsCommand({ Rule: name, Targets: [{ Id: 'fn', Arn: fn }] }));
  };
  const firedAt = () => eb.lambdaCalls.map((c) => c.at);

  it('fires a rate schedule every period after the rule is created', async () => {
    await scheduled('every-5-minutes', 'rate(5 minutes)');

    await eb.edge.clock.advance(16 * 60);

    expect(firedAt()).toEqual([
      '2026-03-01T00:05:00.000Z',
      '2026-03-01T00:10:00.000Z',
      '2026-03-01T00:15:00.000Z',
    ]);
  });

  it('sends the Scheduled Event AWS sends', async () => {
    await scheduled('hourly', 'rate(1 hour)');

    await eb.edge.clock.advance(3600);

    expect(eb.lambdaCalls[0]?.payload).toEqual({
      version: '0',
      id: expect.any(String),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: ACCOUNT,
      time: '2026-03-01T01:00:00Z',
      region: REGION,
      resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/hourly`],
      detail: {},
    });
  });

  it('fires a cron schedule at its times, in UTC', async () => {
    await scheduled('noon', 'cron(0 12 * * ? *)');

    await eb.edge.clock.advance(3 * 86_400);

    expect(firedAt()).toEqual([
      '2026-03-01T12:00:00.000Z',
      '2026-03-02T12:00:00.000Z',
      '2026-03-03T12:00:00.000Z',
    ]);
  });

  it('fires a one-day schedule when the clock is advanced a day, in well under a second', async () => {
    await scheduled('retention-sweep', 'rate(1 day)');
    const started = performance.now();

    await eb.edge.clock.advance(24 * 3600);
    const elapsedMs = performance.now() - started;

    expect(firedAt()).toEqual(['2026-03-02T00:00:00.000Z']);
    expect(elapsedMs).toBeLessThan(1000);
  });

  it('starts a state machine on a schedule', async () => {
    await eb.client.send(
      new PutRuleCommand({ Name: 'reconcile', ScheduleExpression: 'cron(30 2 ? * MON-FRI *)' }),
    );
    await eb.client.send(
      new PutTargetsCommand({
        Rule: 'reconcile',
        Targets: [
          { Id: 'sfn', Arn: stateMachineArn('reconcile'), RoleArn: ROLE_ARN, Input: '{"mode":"full"}' },
        ],
      }),
    );

    // 2026-03-01 is a Sunday: the first weekday run is Monday the 2nd.
    await eb.edge.clock.advance(7 * 86_400);

    expect(eb.executions.map((e) => e.at)).toEqual([
      '2026-03-02T02:30:00.000Z',
      '2026-03-03T02:30:00.000Z',
      '2026-03-04T02:30:00.000Z',
      '2026-03-05T02:30:00.000Z',
      '2026-03-06T02:30:00.000Z',
    ]);
    expect(eb.executions[0]?.payload).toEqual({ mode: 'full' });
  });

  it('stops firing while disabled and counts periods afresh when enabled again', async () => {
    await scheduled('pausable', 'rate(10 minutes)');
    await eb.edge.clock.advance(10 * 60);
    await eb.client.send(new DisableRuleCommand({ Name: 'pausable' }));
    await eb.edge.clock.advance(25 * 60);
    await eb.client.send(new EnableRuleCommand({ Name: 'pausable' }));

    await eb.edge.clock.advance(10 * 60);

    expect(firedAt()).toEqual(['2026-03-01T00:10:00.000Z', '2026-03-01T00:45:00.000Z']);
  });

  it('stops firing once the rule is deleted', async () => {
    await scheduled('deleted', 'rate(1 minute)');
    await eb.client.send(new RemoveTargetsCommand({ Rule: 'deleted', Ids: ['fn'] }));
    await eb.client.send(new DeleteRuleCommand({ Name: 'deleted' }));

    await eb.edge.clock.advance(3600);

    expect(firedAt()).toEqual([]);
    expect(eb.service.scheduledRules()).toEqual([]);
  });

  it('moves the schedule when PutRule replaces it', async () => {
    await scheduled('moved', 'rate(1 hour)');
    await eb.client.send(new PutRuleCommand({ Name: 'moved', ScheduleExpression: 'rate(2 minutes)' }));

    await eb.edge.clock.advance(5 * 60);

    expect(firedAt()).toEqual(['2026-03-01T00:02:00.000Z', '2026-03-01T00:04:00.000Z']);
  });
});

describe('schedule expressions', () => {
  const next = (expression: string, after: string, count = 1) => {
    const schedule = parseScheduleExpression(expression);
    const times: string[] = [];
    let t = Date.parse(after);
    for (let i = 0; i < count; i++) {
      const at = nextFireTime(schedule, t);
      if (at === undefined) break;
      times.push(new Date(at).toISOString().slice(0, 16));
      t = at;
    }
    return times;
  };

  // 2026-03-01 is a Sunday.
  it.each([
    ['cron(0 12 * * ? *)', '2026-03-01T12:00:00Z', ['2026-03-02T12:00']],
    ['cron(15 10 ? * 6L 2026-2027)', '2026-03-01T00:00:00Z', ['2026-03-27T10:15', '2026-04-24T10:15']],
    ['cron(0 18 ? * MON-FRI *)', '2026-03-06T19:00:00Z', ['2026-03-09T18:00']],
    ['cron(0 8 1 * ? *)', '2026-03-01T09:00:00Z', ['2026-04-01T08:00']],
    ['cron(0/15 * * * ? *)', '2026-03-01T00:07:00Z', ['2026-03-01T00:15', '2026-03-01T00:30']],
    ['cron(5,35 14 * * ? *)', '2026-03-01T14:10:00Z', ['2026-03-01T14:35', '2026-03-02T14:05']],
    ['cron(0 0 L * ? *)', '2026-02-01T00:00:00Z', ['2026-02-28T00:00', '2026-03-31T00:00']],
    ['cron(0 0 LW * ? *)', '2026-05-01T00:00:00Z', ['2026-05-29T00:00']],
    ['cron(0 0 15W * ? *)', '2026-03-01T00:00:00Z', ['2026-03-16T00:00', '2026-04-15T00:00']],
    ['cron(0 0 1W * ? *)', '2026-08-01T00:00:00Z', ['2026-08-03T00:00']],
    ['cron(0 10 ? * 2#1 *)', '2026-03-01T00:00:00Z', ['2026-03-02T10:00', '2026-04-06T10:00']],
    ['cron(0 10 ? * SUN#5 *)', '2026-03-01T00:00:00Z', ['2026-03-29T10:00', '2026-05-31T10:00']],
    ['cron(0 0 29 FEB ? *)', '2026-03-01T00:00:00Z', ['2028-02-29T00:00']],
    [
      'cron(0 22 ? * FRI-MON *)',
      '2026-03-03T00:00:00Z',
      ['2026-03-06T22:00', '2026-03-07T22:00', '2026-03-08T22:00', '2026-03-09T22:00'],
    ],
    ['cron(0 0 1 1 ? 2025)', '2026-03-01T00:00:00Z', []],
    ['rate(1 day)', '2026-03-01T09:30:00Z', ['2026-03-02T09:30', '2026-03-03T09:30']],
    ['rate(90 minutes)', '2026-03-01T00:00:00Z', ['2026-03-01T01:30', '2026-03-01T03:00']],
  ])('%s after %s fires at %j', (expression, after, expected) => {
    expect(next(expression, after, expected.length || 1)).toEqual(expected);
  });

  it.each([
    'rate(0 minutes)',
    'rate(1 minutes)',
    'rate(5 minute)',
    'rate(5 seconds)',
    'cron(0 12 * * *)',
    'cron(0 12 * * * *)',
    'cron(0 12 ? * ? *)',
    'cron(60 12 * * ? *)',
    'cron(0 24 * * ? *)',
    'cron(0 12 32 * ? *)',
    'cron(0 12 ? * 8 *)',
    'cron(0 12 ? * MON/2 *)',
    'cron(0 12 ? * 2#6 *)',
    'cron(0 12 * FOO ? *)',
    'cron(0 12 * * ? 1969)',
    'at(2026-03-01T00:00:00)',
  ])('refuses %s', (expression) => {
    expect(() => parseScheduleExpression(expression)).toThrow(/^Parameter ScheduleExpression is not valid\./);
  });
});
