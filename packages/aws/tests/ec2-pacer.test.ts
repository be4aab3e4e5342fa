import { Readable } from 'node:stream';
import { ec2RequestBucket } from '@ami-lifecycle/local-cloud';
import {
  DeregisterImageCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  ModifyImageAttributeCommand,
} from '@aws-sdk/client-ec2';
import { EC2_REQUEST_BUCKETS, Ec2Pacer, type PacerClock, pace } from '../src';

/** Simulated time: sleeps are timers on a queue, run in deadline order (then call order) by `run`. */
const simulatedClock = () => {
  let now = 0;
  let seq = 0;
  const timers: { at: number; seq: number; resolve: () => void }[] = [];
  const clock: PacerClock = {
    now: () => now,
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        timers.push({ at: now + ms, seq: seq++, resolve });
      }),
  };
  const settle = async () => {
    for (let i = 0; i < 20; i += 1) await Promise.resolve();
  };
  /** Runs every timer until `done` settles. */
  const run = async (done: Promise<unknown>) => {
    let finished = false;
    void done.finally(() => {
      finished = true;
    });
    await settle();
    while (!finished) {
      timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = timers.shift();
      if (!next) throw new Error('nothing left to run but the work is not done');
      now = Math.max(now, next.at);
      next.resolve();
      await settle();
    }
    return done;
  };
  return { clock, run, now: () => now };
};

const XML = 'http://ec2.amazonaws.com/doc/2016-11-15/';

/** An EC2 client whose "network" answers canned XML, throttling the first `throttled` requests. */
const cannedClient = (options: { throttled?: number; maxAttempts?: number } = {}) => {
  let refusals = options.throttled ?? 0;
  const sent: string[] = [];
  const client = new EC2Client({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: {
      handle: async (request: { body?: unknown }) => {
        const action = /Action=(\w+)/.exec(String(request.body))?.[1] ?? 'Unknown';
        sent.push(action);
        const throttle = refusals > 0;
        if (throttle) refusals -= 1;
        const body = throttle
          ? '<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>r</RequestID></Response>'
          : action === 'DescribeInstances'
            ? `<DescribeInstancesResponse xmlns="${XML}"><reservationSet/></DescribeInstancesResponse>`
            : action === 'DescribeSnapshots'
              ? `<DescribeSnapshotsResponse xmlns="${XML}"><snapshotSet/></DescribeSnapshotsResponse>`
              : `<${action}Response xmlns="${XML}"><return>true</return></${action}Response>`;
        return {
          response: { statusCode: throttle ? 503 : 200, headers: {}, body: Readable.from([body]) },
        };
      },
    } as never,
  });
  return { client, sent };
};

describe('Ec2Pacer', () => {
  it('lets a burst through up to the bucket, then one token per refill interval, never early', async () => {
    const t = simulatedClock();
    // A mutating action: 50 tokens, 5 a second.
    const pacer = new Ec2Pacer({ clock: t.clock });
    const at: number[] = [];
    const all = Promise.all(
      Array.from({ length: 60 }, () => pacer.take('DisableImage').then(() => at.push(t.now()))),
    );
    await t.run(all);

    expect(at.slice(0, 50)).toEqual(Array(50).fill(0));
    expect(at.slice(50)).toEqual([200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800, 2000]);
  });

  it('paces DeregisterImage on its own bucket of 100 tokens, 5 a second', async () => {
    const t = simulatedClock();
    const pacer = new Ec2Pacer({ clock: t.clock });
    const at: number[] = [];
    await t.run(
      Promise.all(
        Array.from({ length: 103 }, () => pacer.take('DeregisterImage').then(() => at.push(t.now()))),
      ),
    );
    expect(at.filter((ms) => ms === 0)).toHaveLength(100);
    expect(at.slice(100)).toEqual([200, 400, 600]);
  });

  it('serves the callers of one action in the order they called', async () => {
    const t = simulatedClock();
    const pacer = new Ec2Pacer({
      clock: t.clock,
      buckets: { DeregisterImage: { capacity: 2, refillPerSecond: 5 } },
    });
    const order: number[] = [];
    await t.run(
      Promise.all(
        Array.from({ length: 12 }, (_, i) => pacer.take('DeregisterImage').then(() => order.push(i))),
      ),
    );
    expect(order).toEqual([...Array(12).keys()]);
  });

  it('refills while idle, never above the bucket, and keeps actions apart', async () => {
    const t = simulatedClock();
    const pacer = new Ec2Pacer({
      clock: t.clock,
      buckets: { DisableImage: { capacity: 2, refillPerSecond: 1 } },
    });
    const at: number[] = [];
    const take = () => pacer.take('DisableImage').then(() => at.push(t.now()));
    await t.run(Promise.all([take(), take(), take()]));
    expect(at).toEqual([0, 0, 1000]);
    // Idle for 10 s: the bucket holds 2 again, not 10.
    await t.run(t.clock.sleep(10_000));
    at.length = 0;
    await t.run(Promise.all([take(), take(), take(), pacer.take('DeleteSnapshot')]));
    expect(at).toEqual([11_000, 11_000, 12_000]);
  });

  it('waits the exact time to the next token, sleeping once per caller (no polling)', async () => {
    let now = 0;
    const sleeps: number[] = [];
    const pacer = new Ec2Pacer({
      clock: { now: () => now, sleep: async (ms) => void sleeps.push(ms) },
      buckets: { DisableImage: { capacity: 1, refillPerSecond: 5 } },
    });
    await pacer.take('DisableImage');
    await pacer.take('DisableImage');
    await pacer.take('DisableImage');
    now = 100;
    await pacer.take('DisableImage');
    expect(sleeps).toEqual([200, 400, 500]);
  });

  it('lets actions it does not know pass at once', async () => {
    const pacer = new Ec2Pacer({
      clock: { now: () => 0, sleep: () => Promise.reject(new Error('should not sleep')) },
    });
    for (let i = 0; i < 1000; i += 1) await pacer.take('CopyImage');
    expect(pacer.knows('CopyImage')).toBe(false);
  });

  it('uses the buckets the local cloud models from the same AWS page', () => {
    const filtered = new Map([['Filter.1.Name', 'image-id']]);
    for (const [action, spec] of Object.entries(EC2_REQUEST_BUCKETS)) {
      expect({ action, ...ec2RequestBucket(action, filtered).spec }).toEqual({ action, ...spec });
    }
    expect(ec2RequestBucket('DescribeSnapshots', new Map()).spec).toEqual({
      capacity: 50,
      refillPerSecond: 10,
    });
    expect(ec2RequestBucket('DescribeInstances', new Map()).spec).toEqual({
      capacity: 50,
      refillPerSecond: 10,
    });
    expect(Object.keys(EC2_REQUEST_BUCKETS).sort()).toEqual(
      [
        'DescribeImages',
        'DescribeImageReferences',
        'DescribeSnapshots',
        'DescribeInstances',
        'DescribeLaunchTemplates',
        'DescribeLaunchTemplateVersions',
        'EnableImageDeprecation',
        'DisableImage',
        'DeregisterImage',
        'DeleteSnapshot',
        'EnableImageDeregistrationProtection',
        'DisableImageDeregistrationProtection',
      ].sort(),
    );
  });
});

describe('pace', () => {
  const recordingPacer = () => {
    const taken: string[] = [];
    const pacer = new Ec2Pacer({ clock: { now: () => 0, sleep: async () => {} } });
    const take = pacer.take.bind(pacer);
    pacer.take = async (action, options) => {
      taken.push(options?.unfiltered ? `${action}:unfiltered` : action);
      return take(action, options);
    };
    return { pacer, taken };
  };

  it('takes a token before the request leaves', async () => {
    const { client, sent } = cannedClient();
    const { pacer, taken } = recordingPacer();
    pace(client, pacer);

    const out = await client.send(new DeregisterImageCommand({ ImageId: 'ami-0123456789abcdef0' }));

    expect(out.Return).toBe(true);
    expect(taken).toEqual(['DeregisterImage']);
    expect(sent).toEqual(['DeregisterImage']);
  });

  it('takes a token for every attempt, retries of throttled requests included', async () => {
    const { client, sent } = cannedClient({ throttled: 2, maxAttempts: 3 });
    // No real waiting between attempts.
    client.config.retryStrategy = async () =>
      ({
        mode: 'standard',
        acquireInitialRetryToken: async () => ({ getRetryCount: () => 0, getRetryDelay: () => 0 }),
        refreshRetryTokenForRetry: async (token: { getRetryCount: () => number }) => ({
          getRetryCount: () => token.getRetryCount() + 1,
          getRetryDelay: () => 0,
        }),
        recordSuccess: () => {},
      }) as never;
    const { pacer, taken } = recordingPacer();
    pace(client, pacer);

    await client.send(new DeregisterImageCommand({ ImageId: 'ami-0123456789abcdef0' }));

    expect(sent).toEqual(['DeregisterImage', 'DeregisterImage', 'DeregisterImage']);
    expect(taken).toEqual(['DeregisterImage', 'DeregisterImage', 'DeregisterImage']);
  });

  it('counts an unfiltered, unpaginated describe against the smaller bucket', async () => {
    const { client } = cannedClient();
    const { pacer, taken } = recordingPacer();
    pace(client, pacer);

    await client.send(new DescribeInstancesCommand({}));
    await client.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], MaxResults: 1000 }));

    expect(taken).toEqual(['DescribeInstances:unfiltered', 'DescribeSnapshots']);
  });

  it('passes actions it does not know, and is added once however often it is applied', async () => {
    const { client, sent } = cannedClient();
    const { pacer, taken } = recordingPacer();
    pace(client, pacer);
    pace(client, pacer);

    await client.send(new ModifyImageAttributeCommand({ ImageId: 'ami-0123456789abcdef0' }));
    await client.send(new DeregisterImageCommand({ ImageId: 'ami-0123456789abcdef0' }));

    expect(sent).toEqual(['ModifyImageAttribute', 'DeregisterImage']);
    expect(taken).toEqual(['DeregisterImage']);
  });

  it('holds the request until the token exists, on the pacer clock', async () => {
    let now = 0;
    const { client, sent } = cannedClient();
    const pacer = new Ec2Pacer({
      clock: {
        now: () => now,
        sleep: async (ms) => {
          expect(sent).toHaveLength(1);
          now += ms;
        },
      },
      buckets: { DeregisterImage: { capacity: 1, refillPerSecond: 5 } },
    });
    pace(client, pacer);
    await client.send(new DeregisterImageCommand({ ImageId: 'ami-0123456789abcdef0' }));
    await client.send(new DeregisterImageCommand({ ImageId: 'ami-0123456789abcdef0' }));
    expect(now).toBe(200);
    expect(sent).toHaveLength(2);
  });
});
