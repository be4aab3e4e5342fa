import { type LocalCloud, startLocalCloud } from '../src/cloud';
import { control, START } from './helpers';

describe('the control API', () => {
  let cloud: LocalCloud;

  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0, start: START });
  });
  afterAll(() => cloud.stop());
  afterEach(() => cloud.clock.setSpeed(0));

  it('reports health: the endpoint, the services, the clock, and that DynamoDB Local is not part of it', async () => {
    const health = await control(cloud, 'GET', '/_local/health');

    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      status: 'ready',
      endpoint: cloud.endpoint,
      services: expect.arrayContaining(['sts']),
      clock: { time: cloud.clock.now().toISOString(), speed: 0 },
      dynamodb: { enabled: false },
    });
  });

  it('advances the clock, running everything due on the way before it answers', async () => {
    const before = cloud.clock.nowMillis();
    const ran: string[] = [];
    cloud.clock.after(30_000, () => void ran.push('image available'));
    cloud.clock.after(90_000, () => void ran.push('too late'));

    const res = await control(cloud, 'POST', '/_local/clock', { advanceSeconds: 60 });

    expect(res).toMatchObject({ status: 200, body: { time: new Date(before + 60_000).toISOString() } });
    expect(ran).toEqual(['image available']);
    await control(cloud, 'POST', '/_local/clock', { advanceSeconds: 30 });
    expect(ran).toEqual(['image available', 'too late']);
  });

  it('sets the speed of the clock and reads it back', async () => {
    const set = await control(cloud, 'POST', '/_local/clock', { speed: 120 });
    const read = await control(cloud, 'GET', '/_local/clock');

    expect(set).toMatchObject({ status: 200, body: { speed: 120 } });
    expect(read.body).toMatchObject({ speed: 120 });
    expect(cloud.clock.getSpeed()).toBe(120);
  });

  it('answers 500 when a scheduled task fails, with the clock moved all the same', async () => {
    const before = cloud.clock.nowMillis();
    cloud.clock.after(1_000, () => {
      throw new Error('snapshot lost');
    });

    const res = await control(cloud, 'POST', '/_local/clock', { advanceSeconds: 5 });

    expect(res).toMatchObject({
      status: 500,
      body: { failures: ['snapshot lost'], time: new Date(before + 5_000).toISOString() },
    });
  });

  it.each([
    ['a negative advance', { advanceSeconds: -1 }, 'advanceSeconds'],
    ['a speed that is not a number', { speed: 'fast' }, 'speed'],
    ['an unknown field', { advanceSecs: 5 }, 'advanceSecs'],
    ['neither field', {}, 'give advanceSeconds or speed'],
    ['a body that is not an object', [1, 2], '(body)'],
  ])('refuses a clock request with %s, naming what is wrong', async (_label, body, named) => {
    const res = await control(cloud, 'POST', '/_local/clock', body);

    expect(res.status).toBe(400);
    expect(res.body.error).toEqual(expect.stringContaining(named));
  });

  it('refuses a body that is not JSON', async () => {
    const res = await control(cloud, 'POST', '/_local/clock', '{advanceSeconds: 5');

    expect(res).toMatchObject({ status: 400, body: { error: expect.stringContaining('JSON') } });
  });

  it.each([
    ['an error rate above 1', { service: 'ec2', errorRate: 1.5 }, 'errorRate'],
    ['a crash point that does not exist', { service: 'ec2', crash: 'during' }, 'crash'],
    ['an unknown field', { service: 'ec2', throttle: true }, 'throttle'],
    ['a rule without a service', { throttling: true }, 'service'],
    ['real latency above the cap', { service: 'sts', latencyMs: 60_000, realLatency: true }, 'latencyMs'],
    ['a bucket without a capacity', { service: 'ssm', bucket: { refillPerSecond: 1 } }, 'bucket.capacity'],
  ])('refuses a fault rule with %s, naming the field', async (_label, body, field) => {
    const res = await control(cloud, 'POST', '/_local/faults', body);

    expect(res.status).toBe(400);
    expect(res.body.error).toEqual(expect.stringContaining(field));
    expect(res.body.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: field })]));
  });

  it('sets, shows and clears fault rules', async () => {
    const set = await control(cloud, 'POST', '/_local/faults', {
      service: 'ec2',
      operation: 'CreateImage',
      asyncFailureRate: 0.25,
      seed: 7,
    });
    const shown = await control(cloud, 'GET', '/_local/faults');
    const cleared = await control(cloud, 'POST', '/_local/faults', { clear: true });

    expect(set.status).toBe(200);
    expect(shown.body).toMatchObject({
      seed: 7,
      rules: [{ service: 'ec2', operation: 'CreateImage', asyncFailureRate: 0.25 }],
    });
    expect(cleared.body).toMatchObject({ rules: [] });
  });

  it('lists the events services emitted, and hands them to subscribers as they happen', async () => {
    const seen: string[] = [];
    const unsubscribe = cloud.events.subscribe((e) => seen.push(e.detailType));
    cloud.events.emit({
      source: 'aws.ec2',
      detailType: 'EC2 AMI State Change',
      detail: { State: 'available' },
      accountId: '111111111111',
      region: 'eu-west-1',
      resources: [],
      time: cloud.clock.now().toISOString(),
    });
    unsubscribe();

    const res = await control(cloud, 'GET', '/_local/events');

    expect(seen).toEqual(['EC2 AMI State Change']);
    expect(res.body.events).toEqual([expect.objectContaining({ detail: { State: 'available' } })]);
  });

  it('answers 404 for an unknown control path and 405 for a method it does not take', async () => {
    await expect(control(cloud, 'GET', '/_local/nope')).resolves.toMatchObject({ status: 404 });
    await expect(control(cloud, 'PUT', '/_local/clock', { speed: 1 })).resolves.toMatchObject({
      status: 405,
      body: { allow: ['GET', 'POST'] },
    });
  });
});
