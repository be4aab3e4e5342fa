import {
  PutEventsCommand,
  type PutEventsRequestEntry,
  PutRuleCommand,
  PutTargetsCommand,
  type Target,
} from '@aws-sdk/client-eventbridge';
import { startLocalCloud } from '../src/cloud';
import { type FaultInjector, FaultUpdateSchema } from '../src/faults';
import { type EventBridgeHarness, lambdaArn, startEventBridge, stateMachineArn } from './events/harness';
import { control } from './helpers';

const DUPLICATES = { max: 3, windowSeconds: 60 };

/** EventBridge's at-least-once delivery as a fault: copies of a delivery, spread and reordered on the clock. */
describe('EventBridge duplicate deliveries', () => {
  let eb: EventBridgeHarness;
  let faults: FaultInjector;

  beforeEach(async () => {
    eb = await startEventBridge();
    faults = eb.faults;
  });
  afterEach(async () => {
    await eb.close();
  });

  const rule = async (name: string, targets: Target[]) => {
    await eb.client.send(
      new PutRuleCommand({ Name: name, EventPattern: JSON.stringify({ source: ['ami-lifecycle'] }) }),
    );
    const put = await eb.client.send(new PutTargetsCommand({ Rule: name, Targets: targets }));
    expect(put.FailedEntryCount).toBe(0);
  };
  const event = (n: number): PutEventsRequestEntry => ({
    Source: 'ami-lifecycle',
    DetailType: 'Image Built',
    Detail: JSON.stringify({ n }),
  });
  const put = async (...entries: PutEventsRequestEntry[]) => {
    const result = await eb.client.send(new PutEventsCommand({ Entries: entries }));
    expect(result.FailedEntryCount).toBe(0);
    return result.Entries!.map((e) => e.EventId!);
  };
  /** Puts `events` one a second, then runs the clock past the window. */
  const putSpread = async (events: number) => {
    const ids: string[] = [];
    for (let n = 0; n < events; n++) {
      ids.push(...(await put(event(n))));
      await eb.edge.clock.advance(1);
    }
    await eb.edge.clock.advance(DUPLICATES.windowSeconds + 1);
    return ids;
  };
  const nOf = (payload: unknown) => (payload as { detail: { n: number } }).detail.n;

  it('delivers once, at the next advance, while no rule asks for duplicates', async () => {
    await rule('once', [{ Id: 'fn', Arn: lambdaArn('f') }]);
    const start = eb.edge.clock.now().toISOString();

    await put(event(0), event(1));
    await eb.deliver();

    expect(eb.lambdaCalls.map((c) => [nOf(c.payload), c.at])).toEqual([
      [0, start],
      [1, start],
    ]);
    expect(faults.injectedCounts()).toEqual({});
  });

  it('makes each delivery one to max times, each within the window, and counts the copies beyond the first', async () => {
    faults.update({ service: 'events', duplicates: DUPLICATES, seed: 7 });
    await rule('dupes', [{ Id: 'fn', Arn: lambdaArn('f') }]);
    const start = eb.edge.clock.nowMillis();

    await putSpread(20);

    const perEvent = new Map<number, number[]>();
    for (const c of eb.lambdaCalls) {
      const n = nOf(c.payload);
      perEvent.set(n, [...(perEvent.get(n) ?? []), Date.parse(c.at) - (start + n * 1000)]);
    }
    const copies = [...perEvent.values()].map((offsets) => offsets.length);
    expect(perEvent.size).toBe(20);
    expect(Math.min(...copies)).toBe(1);
    expect(Math.max(...copies)).toBe(DUPLICATES.max);
    for (const offsets of perEvent.values()) {
      for (const offset of offsets) {
        expect(offset).toBeGreaterThanOrEqual(0);
        expect(offset).toBeLessThan(DUPLICATES.windowSeconds * 1000);
      }
    }
    expect(faults.injectedCounts()['events:Delivery']?.duplicates).toBe(eb.lambdaCalls.length - 20);
  });

  it('reorders deliveries to a target within the window, and counts each copy that overtakes', async () => {
    faults.update({ service: 'events', duplicates: DUPLICATES, seed: 7 });
    await rule('reorder', [{ Id: 'fn', Arn: lambdaArn('f') }]);

    await putSpread(20);

    const order = eb.lambdaCalls.map((c) => nOf(c.payload));
    const overtaking = order.filter((n, i) => order.slice(0, i).some((m) => m > n)).length;
    expect(overtaking).toBeGreaterThan(0);
    expect(faults.injectedCounts()['events:Delivery']?.reordered).toBeGreaterThan(0);
  });

  it('replays the same copies at the same times after the same seed', async () => {
    await rule('replay', [{ Id: 'fn', Arn: lambdaArn('f') }]);
    const run = async () => {
      faults.update({ service: 'events', duplicates: DUPLICATES, seed: 42 });
      const start = eb.edge.clock.nowMillis();
      eb.lambdaCalls.length = 0;
      await putSpread(10);
      return eb.lambdaCalls.map((c) => [nOf(c.payload), Date.parse(c.at) - start]);
    };

    const first = await run();
    const second = await run();

    expect(second).toEqual(first);
  });

  it('copies each target’s delivery apart: a Lambda function and a state machine of one rule', async () => {
    faults.update({ service: 'events', duplicates: { max: 3, windowSeconds: 0 }, seed: 3 });
    await rule('both', [
      { Id: 'fn', Arn: lambdaArn('f') },
      { Id: 'sfn', Arn: stateMachineArn('m'), RoleArn: 'arn:aws:iam::111111111111:role/events' },
    ]);

    await putSpread(10);

    const extra = faults.injectedCounts()['events:Delivery']?.duplicates ?? 0;
    expect(eb.lambdaCalls.length + eb.executions.length).toBe(20 + extra);
    expect(eb.lambdaCalls.length).toBeGreaterThanOrEqual(10);
    expect(eb.executions.length).toBeGreaterThanOrEqual(10);
  });

  it('retries and logs each copy as a delivery of its own', async () => {
    faults.update({ service: 'events', duplicates: { max: 3, windowSeconds: 0 }, seed: 11 });
    await rule('flaky', [{ Id: 'fn', Arn: lambdaArn('flaky') }]);
    eb.failLambda(lambdaArn('flaky'), 1);

    const ids = await putSpread(5);
    await eb.edge.clock.advance(10);

    const delivered = eb.service.deliveries().filter((d) => d.outcome === 'delivered');
    const copies = 5 + (faults.injectedCounts()['events:Delivery']?.duplicates ?? 0);
    expect(delivered).toHaveLength(copies);
    // The one failure is retried: one more call than copies, and every event arrives.
    expect(eb.lambdaCalls).toHaveLength(copies + 1);
    expect(new Set(delivered.map((d) => d.eventId))).toEqual(new Set(ids));
    expect(delivered.filter((d) => d.attempts === 2)).toHaveLength(1);
  });

  it('leaves the rules of other Regions alone', async () => {
    faults.update({
      service: 'events',
      region: 'us-east-1',
      duplicates: { max: 3, windowSeconds: 0 },
      seed: 5,
    });
    await rule('home', [{ Id: 'fn', Arn: lambdaArn('f') }]);

    await putSpread(10);

    expect(eb.lambdaCalls).toHaveLength(10);
    expect(faults.injectedCounts()).toEqual({});
  });

  it('applies a Region rule to the rules of its Region', async () => {
    faults.update({
      service: 'events',
      region: 'eu-west-1',
      duplicates: { max: 3, windowSeconds: 0 },
      seed: 5,
    });
    await rule('home', [{ Id: 'fn', Arn: lambdaArn('f') }]);

    await putSpread(10);

    const extra = faults.injectedCounts()['events:Delivery']?.duplicates;
    expect(extra).toBeGreaterThan(0);
    expect(eb.lambdaCalls).toHaveLength(10 + extra!);
  });

  it('stops duplicating once the rule is cleared', async () => {
    faults.update({ service: 'events', duplicates: { max: 3, windowSeconds: 0 }, seed: 1 });
    await rule('cleared', [{ Id: 'fn', Arn: lambdaArn('f') }]);
    faults.update({ clear: true });

    await putSpread(10);

    expect(eb.lambdaCalls).toHaveLength(10);
  });
});

describe('the duplicates fault rule', () => {
  it.each([
    ['another service', { service: 'ec2', duplicates: DUPLICATES }],
    ['one operation', { service: 'events', operation: 'PutEvents', duplicates: DUPLICATES }],
    ['no copies', { service: 'events', duplicates: { max: 0, windowSeconds: 60 } }],
    ['too many copies', { service: 'events', duplicates: { max: 11, windowSeconds: 60 } }],
    ['a negative window', { service: 'events', duplicates: { max: 2, windowSeconds: -1 } }],
    ['a window over a day', { service: 'events', duplicates: { max: 2, windowSeconds: 86_401 } }],
    ['an unknown field', { service: 'events', duplicates: { max: 2, windowSeconds: 1, jitter: true } }],
  ])('refuses %s', (_what, update) => {
    expect(FaultUpdateSchema.safeParse(update).success).toBe(false);
  });

  it('accepts every operation of events, in one Region or all, and null to remove it', () => {
    for (const update of [
      { service: 'events', duplicates: DUPLICATES },
      { service: 'events', operation: '*', region: 'eu-west-1', duplicates: DUPLICATES },
      { service: 'events', duplicates: null },
    ]) {
      expect(FaultUpdateSchema.safeParse(update).success).toBe(true);
    }
  });

  it('duplicates the deliveries of the whole cloud, set through the control API', async () => {
    const cloud = await startLocalCloud({ port: 0, start: '2026-03-01T00:00:00.000Z' });
    try {
      const set = await control(cloud, 'POST', '/_local/faults', {
        service: 'events',
        duplicates: { max: 3, windowSeconds: 30 },
        seed: 9,
      });
      const scope = { accountId: cloud.accounts.defaultAccountId, region: cloud.region };
      cloud.services.events.putRule(scope, { Name: 'all', EventPattern: '{"source":["ami-lifecycle"]}' });
      // No function is deployed: each copy fails at once (not retried), and the log shows it.
      cloud.services.events.putTargets(scope, {
        Rule: 'all',
        Targets: [{ Id: 'fn', Arn: lambdaArn('gone') }],
      });
      const ids = Array.from({ length: 10 }, (_, n) =>
        cloud.services.events.putEvents(scope, [
          { Source: 'ami-lifecycle', DetailType: 'X', Detail: `{"n":${n}}` },
        ]),
      ).flatMap((r) => r.Entries.flatMap((e) => ('EventId' in e ? [e.EventId] : [])));
      await cloud.clock.advance(31);

      const shown = await control(cloud, 'GET', '/_local/faults');
      const copies = cloud.services.events.deliveries().filter((d) => ids.includes(d.eventId));
      expect(set.status).toBe(200);
      expect(shown.body.rules).toEqual([
        { service: 'events', operation: '*', duplicates: { max: 3, windowSeconds: 30 } },
      ]);
      const extra = cloud.faults.injectedCounts()['events:Delivery']?.duplicates;
      expect(extra).toBeGreaterThan(0);
      expect(copies).toHaveLength(10 + extra!);
    } finally {
      await cloud.stop();
    }
  });
});
