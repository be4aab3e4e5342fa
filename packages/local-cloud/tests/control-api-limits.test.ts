import { type LocalCloud, startLocalCloud } from '../src/cloud';
import { control, rawSigned, START } from './helpers';

const LIMIT = 1024 * 1024;

/** A POST of `body` as it is (no JSON encoding), with or without a declared length. */
const post = async (
  cloud: LocalCloud,
  path: string,
  body: string,
  opts: { chunked?: boolean } = {},
): Promise<{ status: number; body: Record<string, unknown> }> => {
  const bytes = new TextEncoder().encode(body);
  const res = await fetch(`${cloud.endpoint}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    ...(opts.chunked
      ? {
          // A stream has no length to declare: the edge finds out while reading.
          body: new ReadableStream({
            start(controller) {
              for (let i = 0; i < bytes.length; i += 64 * 1024)
                controller.enqueue(bytes.slice(i, i + 64 * 1024));
              controller.close();
            },
          }),
          duplex: 'half',
        }
      : { body: bytes }),
  } as RequestInit);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

/** A fault rule body of exactly `bytes` bytes: `{"seed":7}` and spaces, which JSON allows. */
const paddedTo = (bytes: number): string => {
  const json = '{"seed":7}';
  return `${json}${' '.repeat(bytes - json.length)}`;
};

describe('the control API: how large a body and its fields may be', () => {
  let cloud: LocalCloud;

  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0, start: START });
  });
  afterAll(() => cloud.stop());
  afterEach(async () => {
    await control(cloud, 'POST', '/_local/faults', { clear: true, seed: 0 });
  });

  it('reads a body of exactly 1 MiB', async () => {
    const res = await post(cloud, '/_local/faults', paddedTo(LIMIT));

    expect(res).toMatchObject({ status: 200, body: { seed: 7 } });
  });

  it.each([
    ['with its length declared', false],
    ['sent without a length', true],
  ])(
    'refuses a body one byte over 1 MiB %s, with 413 naming the limit, and applies nothing',
    async (_label, chunked) => {
      const res = await post(cloud, '/_local/faults', paddedTo(LIMIT + 1), { chunked });

      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({
        limitBytes: LIMIT,
        error: expect.stringContaining(`at most ${LIMIT} bytes`),
      });
      expect((await control(cloud, 'GET', '/_local/faults')).body).toMatchObject({ seed: 0 });
    },
  );

  it('refuses a many-megabyte body with 413 and goes on answering', async () => {
    const res = await post(cloud, '/_local/inspector/cves', `"${'x'.repeat(8 * LIMIT)}"`);

    expect(res).toMatchObject({ status: 413, body: { limitBytes: LIMIT } });
    expect((await control(cloud, 'GET', '/_local/health')).status).toBe(200);
  });

  it('leaves the AWS endpoints to their own limits: a signed request over 1 MiB is answered by its service', async () => {
    const res = await rawSigned(
      cloud.endpoint,
      'sts',
      `Action=GetCallerIdentity&Version=2011-06-15&Padding=${'x'.repeat(2 * LIMIT)}`,
    );

    expect(res.status).toBe(200);
    expect(await res.text()).toContain('GetCallerIdentityResult');
  });

  const cve = {
    vulnerabilityId: 'CVE-2026-0100',
    packageName: 'openssl',
    family: 'rpm',
    fixedVersion: '1:3.2.2-1.amzn2023',
    severity: 'HIGH',
    cvssScore: 7.5,
    title: 'openssl: a crafted certificate exhausts memory',
  };

  it.each<[string, string, string, Record<string, unknown>, number]>([
    [
      'a fault rule',
      'operation',
      '/_local/faults',
      { service: 'ec2', operation: 'A'.repeat(129), errorRate: 1 },
      128,
    ],
    ['a fault rule', 'service', '/_local/faults', { service: 's'.repeat(65), errorRate: 1 }, 64],
    [
      'a fault rule',
      'errorCode',
      '/_local/faults',
      { service: 'ec2', errorCode: 'E'.repeat(129), errorRate: 1 },
      128,
    ],
    ['a CVE entry', 'fixedVersion', '/_local/inspector/cves', { ...cve, fixedVersion: '1'.repeat(129) }, 128],
    ['a CVE entry', 'cvssVector', '/_local/inspector/cves', { ...cve, cvssVector: 'C'.repeat(257) }, 256],
    ['a CVE entry', 'source', '/_local/inspector/cves', { ...cve, source: 'N'.repeat(65) }, 64],
    [
      'a CVE entry',
      'referenceUrls.1',
      '/_local/inspector/cves',
      { ...cve, referenceUrls: ['https://example.com/a', `https://example.com/${'p'.repeat(2048)}`] },
      2048,
    ],
    ['a CVE entry', 'title', '/_local/inspector/cves', { ...cve, title: 't'.repeat(1025) }, 1024],
  ])(
    'refuses %s whose %s is too long, naming the field and its limit',
    async (_what, field, path, body, limit) => {
      const before = await control(cloud, 'GET', '/_local/faults');

      const res = await control(cloud, 'POST', path, body);

      expect(res.status).toBe(400);
      expect(res.body.issues).toEqual([
        {
          path: field,
          limit,
          message: expect.stringMatching(new RegExp(`^must be at most ${limit} characters \\(got \\d+\\)$`)),
        },
      ]);
      expect(res.body.error).toEqual(
        expect.stringContaining(`${field}: must be at most ${limit} characters`),
      );
      expect((await control(cloud, 'GET', '/_local/faults')).body).toEqual(before.body);
    },
  );

  it('takes a field at its limit', async () => {
    const res = await control(cloud, 'POST', '/_local/faults', {
      service: 'ec2',
      operation: 'A'.repeat(128),
      errorRate: 0.5,
    });

    expect(res.status).toBe(200);
    expect(res.body.rules).toEqual([expect.objectContaining({ operation: 'A'.repeat(128) })]);
  });

  it('refuses a field name longer than 64 characters without echoing it whole', async () => {
    const name = `x${'y'.repeat(99)}`;

    const res = await control(cloud, 'POST', '/_local/faults', { service: 'ec2', [name]: true });

    expect(res.status).toBe(400);
    expect(res.body.issues).toEqual([
      {
        path: `${name.slice(0, 32)}...`,
        limit: 64,
        message: 'is a field name of 100 characters; field names have at most 64',
      },
    ]);
    expect(JSON.stringify(res.body)).not.toContain(name);
  });

  it('refuses a body nested deeper than any control body, naming where, before the schema walks it', async () => {
    const depth = 100_000;
    const body = `{"service":"ssm","bucket":${'['.repeat(depth)}1${']'.repeat(depth)}}`;

    const res = await post(cloud, '/_local/faults', body);

    expect(res.status).toBe(400);
    expect(res.body.issues).toEqual([
      { path: 'bucket.0.0.0.0.0.0.0', limit: 8, message: 'nests deeper than 8 levels' },
    ]);
  });
});
