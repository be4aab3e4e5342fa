import { readFileSync } from 'node:fs';
import type { ChannelView, HoldView, ImageDetailView, ImageView } from '../src';
import {
  addImage,
  amiId,
  createWorld,
  EXAMPLE,
  HOME,
  isProtected,
  seedAmis,
  type World,
} from './support/world';

const OTHER = 'eu-central-1';

/**
 * golden-al2023: 1.0.0 and 1.1.0 published (latest and stable moved to each in turn), 1.2.0 inspecting
 * with a passing verdict, 1.3.0 building; golden-ubuntu: 24.04.1 inspecting with a failing verdict;
 * payments-api: 2.0.0 built on golden-al2023@1.1.0.
 */
const seeded = async (): Promise<World> => {
  const world = await createWorld(['golden-al2023', 'golden-ubuntu', 'payments-api']);
  const al = { family: 'golden-al2023', regions: [HOME, OTHER], verdict: 'pass' as const };
  await addImage(world, {
    ...al,
    version: '1.0.0',
    n: 1,
    state: 'published',
    createdAt: '2026-02-01T08:00:00.000Z',
    buildReason: 'manual',
    channels: ['latest', 'stable'],
  });
  await addImage(world, {
    ...al,
    version: '1.1.0',
    n: 2,
    state: 'published',
    createdAt: '2026-02-10T08:00:00.000Z',
    buildReason: 'schedule',
    channels: ['latest', 'stable'],
  });
  await addImage(world, {
    ...al,
    version: '1.2.0',
    n: 3,
    state: 'inspecting',
    createdAt: '2026-02-20T08:00:00.000Z',
    buildReason: 'vulnerable',
  });
  await addImage(world, {
    family: 'golden-al2023',
    version: '1.3.0',
    n: 4,
    state: 'building',
    createdAt: '2026-02-25T08:00:00.000Z',
  });
  await addImage(world, {
    family: 'golden-ubuntu',
    version: '24.04.1',
    n: 5,
    state: 'inspecting',
    verdict: 'fail',
    vulnerable: true,
    createdAt: '2026-02-15T08:00:00.000Z',
  });
  await addImage(world, {
    family: 'payments-api',
    version: '2.0.0',
    n: 6,
    state: 'built',
    createdAt: '2026-02-12T08:00:00.000Z',
    buildReason: 'parent-published',
    parent: { family: 'golden-al2023', version: '1.1.0', amiId: amiId(2) },
  });
  return world;
};

const parsed = <T>(world: World): T => {
  expect(world.out).toHaveLength(1);
  return JSON.parse(world.out[0]!) as T;
};

/** Nothing was written to the catalog and nothing was put on the bus. */
const expectNothingChanged = (world: World) => {
  expect(world.writes).toEqual([]);
  expect(world.events.published()).toEqual([]);
  for (const parameters of world.parameters.values()) expect(parameters.values.size).toBe(0);
};

describe('amictl help', () => {
  it('prints the command list and the exit codes, exit 0', async () => {
    const world = await createWorld();
    expect(await world.run('--help')).toBe(0);
    const help = world.out.join('\n');
    for (const command of [
      'config validate',
      'config apply',
      'build',
      'images list',
      'image show',
      'approve',
      'reject',
      'channel show',
      'channel rollback',
      'refresh plan',
      'refresh history',
      'hold add',
      'hold list',
      'hold remove',
      'retention plan',
      'retention apply',
      'retention show',
    ])
      expect(help).toMatch(new RegExp(`\\n {2}${command} `));
    expect(help).toContain('Exit codes:');
    expect(help).toMatch(/ {2}3 {2}could not reach AWS or the local cloud/);
    expect(world.err).toEqual([]);
  });

  it.each([
    ['config', 'validate'],
    ['config', 'apply'],
    ['build'],
    ['images', 'list'],
    ['image', 'show'],
    ['approve'],
    ['reject'],
    ['channel', 'show'],
    ['channel', 'rollback'],
    ['refresh', 'plan'],
    ['refresh', 'history'],
    ['hold', 'add'],
    ['hold', 'list'],
    ['hold', 'remove'],
    ['retention', 'plan'],
    ['retention', 'apply'],
    ['retention', 'show'],
  ])('gives %s %s its own help, exit 0, touching nothing', async (...words) => {
    const world = await createWorld();
    expect(await world.run(...words, '--help')).toBe(0);
    expect(world.out.join('\n')).toContain(`Usage: amictl ${words.join(' ')} [options]`);
    expect(world.err).toEqual([]);
    expectNothingChanged(world);
  });
});

describe('amictl bad usage', () => {
  it.each([
    [
      ['deploy'],
      'amictl: unknown command "deploy": use config, build, images, image, approve, reject, channel, refresh, hold, retention, families, events, lineage, report or notify',
      '(see amictl --help)',
    ],
    [
      ['images', 'list', '--state', 'shiny'],
      'amictl: --state must be one of building, built, inspecting, approved, rejected, published, deprecated, disabled, retired, failed, got "shiny"',
      '(see amictl images list --help)',
    ],
    [['images', 'list', '--colour'], "amictl: unknown option '--colour'", '(see amictl images list --help)'],
    [
      ['image', 'show', 'golden-al2023'],
      'amictl: image show needs a version',
      '(see amictl image show --help)',
    ],
    [
      ['approve', 'golden-al2023', '1.2.0'],
      "amictl: required option '--reason <text>' not specified",
      '(see amictl approve --help)',
    ],
    [
      ['reject', 'golden-al2023', '1.2.0'],
      "amictl: required option '--reason <text>' not specified",
      '(see amictl reject --help)',
    ],
    [
      ['approve', 'golden-al2023', '1.2.0', '--reason', 'ok', '--by', ''],
      'amictl: --by must not be empty',
      '(see amictl approve --help)',
    ],
    [
      ['channel', 'rollback', 'golden-al2023', 'stable'],
      "amictl: required option '--reason <text>' not specified",
      '(see amictl channel rollback --help)',
    ],
    [['channel', 'show'], 'amictl: channel show needs a family name', '(see amictl channel show --help)'],
    [
      ['build', 'golden-al2023', '--reason', 'because'],
      'amictl: --reason must be one of manual, schedule, parent-published, vulnerable, stale-base, got "because"',
      '(see amictl build --help)',
    ],
  ])('%j: exit 2, the problem named, nothing written', async (argv, problem, hint) => {
    const world = await seeded();
    world.writes.length = 0;
    expect(await world.run(...argv)).toBe(2);
    expect(world.err).toEqual([problem, hint]);
    expect(world.out).toEqual([]);
    expectNothingChanged(world);
  });
});

describe('amictl images list', () => {
  it('lists every family by state, sorted by family then creation, with the documented fields', async () => {
    const world = await seeded();
    expect(await world.run('images', 'list', '--json')).toBe(0);
    const images = parsed<ImageView[]>(world);
    expect(images.map((i) => `${i.family}@${i.version}`)).toEqual([
      'golden-al2023@1.0.0',
      'golden-al2023@1.1.0',
      'golden-al2023@1.2.0',
      'golden-al2023@1.3.0',
      'golden-ubuntu@24.04.1',
      'payments-api@2.0.0',
    ]);
    expect(images[1]).toEqual({
      family: 'golden-al2023',
      version: '1.1.0',
      state: 'published',
      amiIds: { [HOME]: amiId(2), [OTHER]: amiId(2, OTHER) },
      parent: null,
      verdict: 'pass',
      vulnerable: false,
      buildReason: 'schedule',
      channels: ['latest', 'stable'],
      createdAt: '2026-02-10T08:00:00.000Z',
      stateChangedAt: '2026-02-10T08:04:00.000Z',
    });
    expect(images[0]).toMatchObject({ version: '1.0.0', channels: [] });
    expect(images[3]).toMatchObject({
      version: '1.3.0',
      state: 'building',
      verdict: null,
      buildReason: null,
    });
    expect(images[4]).toMatchObject({ verdict: 'fail', vulnerable: true });
    expect(images[5]).toMatchObject({
      parent: { family: 'golden-al2023', version: '1.1.0', amiId: amiId(2) },
      buildReason: 'parent-published',
    });
    expect(world.writes).toEqual([]);
  });

  it('filters by family, by state, and by both', async () => {
    const world = await seeded();
    const versions = async (...argv: string[]) => {
      world.out.length = 0;
      expect(await world.run('images', 'list', '--json', ...argv)).toBe(0);
      return parsed<ImageView[]>(world).map((i) => `${i.family}@${i.version}`);
    };
    expect(await versions('--family', 'golden-ubuntu')).toEqual(['golden-ubuntu@24.04.1']);
    expect(await versions('--state', 'inspecting')).toEqual(['golden-al2023@1.2.0', 'golden-ubuntu@24.04.1']);
    expect(await versions('--family', 'golden-al2023', '--state', 'published')).toEqual([
      'golden-al2023@1.0.0',
      'golden-al2023@1.1.0',
    ]);
    expect(await versions('--family', 'golden-al2023', '--state', 'retired')).toEqual([]);
  });

  it('prints a table by default', async () => {
    const world = await seeded();
    expect(await world.run('images', 'list', '--family', 'golden-al2023', '--state', 'published')).toBe(0);
    expect(world.out).toEqual([
      'FAMILY         VERSION  STATE      VERDICT  VULNERABLE  CHANNELS       CREATED            AMIS',
      `golden-al2023  1.0.0    published  pass     no          -              2026-02-01T08:00Z  ${OTHER}=${amiId(1, OTHER)},${HOME}=${amiId(1)}`,
      `golden-al2023  1.1.0    published  pass     no          latest,stable  2026-02-10T08:00Z  ${OTHER}=${amiId(2, OTHER)},${HOME}=${amiId(2)}`,
    ]);
    world.out.length = 0;
    expect(await world.run('images', 'list', '--state', 'retired')).toBe(0);
    expect(world.out).toEqual(['no images in state retired']);
  });

  it('refuses a family it knows nothing of, exit 1', async () => {
    const world = await seeded();
    expect(await world.run('images', 'list', '--family', 'nosuch-family')).toBe(1);
    expect(world.err).toEqual([
      'amictl: family nosuch-family is unknown: it has no stored config and no images',
    ]);
    expect(world.out).toEqual([]);
  });

  it('reads every page of a long listing', async () => {
    const world = await createWorld(['golden-al2023']);
    for (let n = 0; n < 230; n++) {
      await world.catalog.createImage(
        {
          family: 'golden-al2023',
          version: `0.0.${n}`,
          state: 'building',
          stateVersion: 0,
          amiIds: { [HOME]: amiId(100 + n) },
          snapshotIds: [],
          vulnerable: false,
          managed: true,
          createdAt: new Date(Date.parse('2026-01-01T00:00:00Z') + n * 60_000).toISOString(),
          stateChangedAt: '2026-01-01T00:00:00.000Z',
        },
        { actor: 'test', reason: 'seed', correlationId: `c-${n}` },
      );
    }
    expect(await world.run('images', 'list', '--json')).toBe(0);
    expect(parsed<ImageView[]>(world)).toHaveLength(230);
    world.out.length = 0;
    expect(await world.run('images', 'list', '--json', '--family', 'golden-al2023')).toBe(0);
    expect(parsed<ImageView[]>(world).map((i) => i.version)).toEqual(
      Array.from({ length: 230 }, (_, n) => `0.0.${n}`),
    );
  });
});

describe('amictl image show', () => {
  it('shows the image with its audit trail oldest first, as JSON', async () => {
    const world = await seeded();
    expect(await world.run('image', 'show', 'golden-al2023', '1.1.0', '--json')).toBe(0);
    const image = parsed<ImageDetailView>(world);
    expect(image).toMatchObject({
      family: 'golden-al2023',
      version: '1.1.0',
      state: 'published',
      amiIds: { [HOME]: amiId(2), [OTHER]: amiId(2, OTHER) },
      parent: null,
      verdict: 'pass',
      vulnerable: false,
      buildReason: 'schedule',
      channels: ['latest', 'stable'],
      createdAt: '2026-02-10T08:00:00.000Z',
      stateChangedAt: '2026-02-10T08:04:00.000Z',
      publishedAt: '2026-02-10T08:04:00.000Z',
    });
    expect(image.timeline.map((t) => [t.action, t.from, t.to])).toEqual([
      ['create', null, 'building'],
      ['transition', 'building', 'built'],
      ['transition', 'built', 'inspecting'],
      ['transition', 'inspecting', 'approved'],
      ['transition', 'approved', 'published'],
      ['set-channel:latest', null, null],
      ['set-channel:stable', null, null],
    ]);
    expect(image.timeline[0]).toEqual({
      at: '2026-02-10T08:00:00.000Z',
      action: 'create',
      from: null,
      to: 'building',
      actor: 'build-service',
      reason: 'build requested (schedule)',
    });
    const times = image.timeline.map((t) => t.at);
    expect([...times].sort()).toEqual(times);
    expect(world.writes).toEqual([]);
  });

  it('prints lines by default', async () => {
    const world = await seeded();
    expect(await world.run('image', 'show', 'payments-api', '2.0.0')).toBe(0);
    expect(world.out).toEqual([
      'payments-api@2.0.0: built since 2026-02-12T08:01:00.000Z',
      '  created      2026-02-12T08:00:00.000Z (build reason: parent-published)',
      `  amis         ${HOME}=${amiId(6)}`,
      `  parent       golden-al2023@1.1.0 (${amiId(2)})`,
      '  verdict      -',
      '  findings     -',
      '  vulnerable   no',
      '  channels     -',
      'timeline (2):',
      '  2026-02-12T08:00:00.000Z  create - -> building  by build-service: build requested (parent-published)',
      '  2026-02-12T08:01:00.000Z  transition building -> built  by built-step: to built',
    ]);
  });

  it.each([
    [
      'golden-al2023',
      '9.9.9',
      'image golden-al2023@9.9.9 does not exist; golden-al2023 has 1.0.0, 1.1.0, 1.2.0, 1.3.0',
    ],
    [
      'orders-worker',
      '1.0.0',
      'image orders-worker@1.0.0 does not exist: family orders-worker is unknown (no stored config)',
    ],
  ])('refuses %s@%s, exit 1, naming what exists', async (family, version, message) => {
    const world = await seeded();
    world.writes.length = 0;
    expect(await world.run('image', 'show', family, version, '--json')).toBe(1);
    expect(world.err).toEqual([`amictl: ${message}`]);
    expect(world.out).toEqual([]);
    expectNothingChanged(world);
  });

  it('says where to look when the family has many versions', async () => {
    const world = await createWorld(['golden-al2023']);
    for (let n = 0; n < 12; n++)
      await addImage(world, {
        family: 'golden-al2023',
        version: `1.${n}.0`,
        n,
        state: 'building',
        createdAt: '2026-02-01T00:00:00.000Z',
      });
    expect(await world.run('image', 'show', 'golden-al2023', '9.9.9')).toBe(1);
    expect(world.err).toEqual([
      'amictl: image golden-al2023@9.9.9 does not exist; golden-al2023 has more than 10 versions (amictl images list --family golden-al2023)',
    ]);
  });
});

describe('amictl channel show', () => {
  it("shows each channel's version, AMIs and history newest first, as JSON", async () => {
    const world = await seeded();
    expect(await world.run('channel', 'show', 'golden-al2023', '--json')).toBe(0);
    const channels = parsed<ChannelView[]>(world);
    expect(channels.map((c) => c.name)).toEqual(['latest', 'stable']);
    expect(channels[1]).toEqual({
      name: 'stable',
      version: '1.1.0',
      amiIds: { [HOME]: amiId(2), [OTHER]: amiId(2, OTHER) },
      updatedAt: '2026-02-10T08:04:00.000Z',
      updatedBy: 'published-step',
      revision: 2,
      history: [
        { revision: 2, version: '1.1.0', updatedAt: '2026-02-10T08:04:00.000Z', updatedBy: 'published-step' },
        { revision: 1, version: '1.0.0', updatedAt: '2026-02-01T08:04:00.000Z', updatedBy: 'published-step' },
      ],
    });
    expect(world.writes).toEqual([]);
  });

  it('prints lines by default, and says when a family has no channels', async () => {
    const world = await seeded();
    expect(await world.run('channel', 'show', 'golden-al2023')).toBe(0);
    expect(world.out).toEqual([
      `latest -> golden-al2023@1.1.0 (revision 2, 2026-02-10T08:04Z by published-step) ${OTHER}=${amiId(2, OTHER)},${HOME}=${amiId(2)}`,
      '  revision 1: 1.0.0 (2026-02-01T08:04Z by published-step)',
      `stable -> golden-al2023@1.1.0 (revision 2, 2026-02-10T08:04Z by published-step) ${OTHER}=${amiId(2, OTHER)},${HOME}=${amiId(2)}`,
      '  revision 1: 1.0.0 (2026-02-01T08:04Z by published-step)',
    ]);
    world.out.length = 0;
    expect(await world.run('channel', 'show', 'golden-ubuntu')).toBe(0);
    expect(world.out).toEqual(['golden-ubuntu has no channels yet']);
  });

  it('keeps the last 10 revisions', async () => {
    const world = await createWorld(['golden-al2023']);
    for (let n = 1; n <= 12; n++)
      await addImage(world, {
        family: 'golden-al2023',
        version: `1.${n}.0`,
        n,
        state: 'published',
        createdAt: new Date(Date.parse('2026-02-01T00:00:00Z') + n * 3_600_000).toISOString(),
        channels: ['latest'],
      });
    expect(await world.run('channel', 'show', 'golden-al2023', '--json')).toBe(0);
    const [latest] = parsed<ChannelView[]>(world);
    expect(latest!.revision).toBe(12);
    expect(latest!.history.map((h) => h.revision)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3]);
  });

  it('refuses a family without a stored config, exit 1', async () => {
    const world = await seeded();
    world.writes.length = 0;
    expect(await world.run('channel', 'show', 'orders-worker')).toBe(1);
    expect(world.err).toEqual([
      'amictl: family orders-worker has no stored config; run amictl config apply first',
    ]);
    expectNothingChanged(world);
  });
});

describe('amictl approve and reject', () => {
  it('approves an image whose inspection passed: Image Approved, audited with who and why', async () => {
    const world = await seeded();
    world.writes.length = 0;
    expect(await world.run('approve', 'golden-al2023', '1.2.0', '--reason', 'CVE fix verified')).toBe(0);
    expect(world.out).toEqual(['golden-al2023@1.2.0: approved (Image Approved sent)']);
    expect(world.err).toEqual([]);
    const image = await world.catalog.getImage('golden-al2023', '1.2.0');
    expect(image).toMatchObject({ state: 'approved', approver: 'alice' });
    const [event] = world.events.published('Image Approved');
    expect(event?.detail).toMatchObject({
      family: 'golden-al2023',
      version: '1.2.0',
      imageId: amiId(3),
      approver: { kind: 'person', principal: 'alice' },
    });
    const audit = (await world.catalog.listAudit('golden-al2023', '1.2.0', { limit: 100 })).items;
    expect(audit.at(-1)).toMatchObject({ actor: 'alice', to: 'approved' });
    expect(audit.at(-1)?.reason).toContain('CVE fix verified');
  });

  it('rejects with --by naming who', async () => {
    const world = await seeded();
    expect(
      await world.run('reject', 'golden-ubuntu', '24.04.1', '--reason', 'critical findings', '--by', 'bob'),
    ).toBe(0);
    expect(world.out).toEqual(['golden-ubuntu@24.04.1: rejected (Image Rejected sent)']);
    expect(await world.catalog.getImage('golden-ubuntu', '24.04.1')).toMatchObject({
      state: 'rejected',
      approver: 'bob',
    });
    expect(world.events.published('Image Rejected')).toHaveLength(1);
  });

  it.each([
    [['approve', 'golden-ubuntu', '24.04.1'], /^amictl: golden-ubuntu@24\.04\.1 failed its inspection/],
    [['approve', 'golden-al2023', '1.3.0'], /^amictl: golden-al2023@1\.3\.0 cannot be approved/],
    [['reject', 'golden-al2023', '1.0.0'], /^amictl: golden-al2023@1\.0\.0 cannot be rejected/],
    [['approve', 'golden-al2023', '9.9.9'], /^amictl: image golden-al2023@9\.9\.9 does not exist$/],
    [['reject', 'orders-worker', '1.0.0'], /^amictl: family orders-worker is not configured$/],
  ])('%j: refused, exit 1, nothing changed', async (argv, message) => {
    const world = await seeded();
    world.writes.length = 0;
    expect(await world.run(...argv, '--reason', 'because')).toBe(1);
    expect(world.err).toHaveLength(1);
    expect(world.err[0]).toMatch(message);
    expect(world.out).toEqual([]);
    expectNothingChanged(world);
  });
});

describe('amictl channel rollback', () => {
  it("moves the channel back to the previous version, rewriting each region's parameter first", async () => {
    const world = await seeded();
    world.writes.length = 0;
    expect(
      await world.run('channel', 'rollback', 'golden-al2023', 'stable', '--reason', 'regression in 1.1.0'),
    ).toBe(0);
    expect(world.out).toEqual(['golden-al2023 channel stable: 1.1.0 -> 1.0.0 (revision 3)']);
    expect(world.writes).toEqual(['setChannel']);
    expect(await world.catalog.getChannel('golden-al2023', 'stable')).toMatchObject({
      version: '1.0.0',
      revision: 3,
      updatedBy: 'alice',
    });
    expect([...world.parameters.keys()].sort()).toEqual([OTHER, HOME].sort());
    expect([...world.parameters.get(HOME)!.values.values()].map((p) => p.value)).toEqual([amiId(1)]);
    expect([...world.parameters.get(OTHER)!.values.values()].map((p) => p.value)).toEqual([amiId(1, OTHER)]);
    expect(world.events.published('Image Published')[0]?.detail).toMatchObject({
      version: '1.0.0',
      channels: ['stable'],
    });
  });

  it('goes to the version --to names', async () => {
    const world = await seeded();
    await world.run('channel', 'rollback', 'golden-al2023', 'stable', '--reason', 'r', '--by', 'bob');
    world.out.length = 0;
    expect(
      await world.run(
        'channel',
        'rollback',
        'golden-al2023',
        'stable',
        '--to',
        '1.1.0',
        '--reason',
        'fixed after all',
      ),
    ).toBe(0);
    expect(world.out).toEqual(['golden-al2023 channel stable: 1.0.0 -> 1.1.0 (revision 4)']);
  });

  it.each([
    [
      ['golden-al2023', 'stable', '--to', '1.2.0'],
      /^amictl: golden-al2023@1\.2\.0 is inspecting; a channel only points at a published image$/,
    ],
    [['golden-al2023', 'stable', '--to', '1.1.0'], /^amictl: channel stable already points at 1\.1\.0$/],
    [['golden-al2023', 'nightly'], /^amictl: golden-al2023 has no channel nightly/],
    [['orders-worker', 'latest'], /^amictl: family orders-worker is not configured$/],
  ])('%j: refused, exit 1, nothing changed', async (argv, message) => {
    const world = await seeded();
    world.writes.length = 0;
    expect(await world.run('channel', 'rollback', ...argv, '--reason', 'because')).toBe(1);
    expect(world.err).toHaveLength(1);
    expect(world.err[0]).toMatch(message);
    expectNothingChanged(world);
  });
});

describe('amictl when AWS cannot be reached', () => {
  const failing = (error: Error) => async (world: World) => {
    world.deps.catalog = new Proxy(world.deps.catalog, {
      get: (target, property, receiver) => {
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? () => Promise.reject(error) : value;
      },
    });
  };

  it.each([
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' }),
      'amictl: could not reach AWS in eu-west-1 (no AWS_ENDPOINT_URL set): connect ECONNREFUSED 127.0.0.1:4566',
      /AWS_ENDPOINT_URL/,
    ],
    [
      'a connection refused on every address',
      Object.assign(
        new AggregateError(
          [Object.assign(new Error('connect ECONNREFUSED ::1:4566'), { code: 'ECONNREFUSED' })],
          '',
        ),
        { code: 'ECONNREFUSED' },
      ),
      'amictl: could not reach AWS in eu-west-1 (no AWS_ENDPOINT_URL set): connect ECONNREFUSED ::1:4566',
      /AWS_ENDPOINT_URL/,
    ],
    [
      'an unknown host, as the cause of an error',
      new Error('request failed', {
        cause: Object.assign(new Error('getaddrinfo ENOTFOUND dynamodb.nowhere'), { code: 'ENOTFOUND' }),
      }),
      'amictl: could not reach AWS in eu-west-1 (no AWS_ENDPOINT_URL set): getaddrinfo ENOTFOUND dynamodb.nowhere',
      /AWS_ENDPOINT_URL/,
    ],
    [
      'no credentials',
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
      'amictl: AWS in eu-west-1 (no AWS_ENDPOINT_URL set) did not take the credentials: CredentialsProviderError: Could not load credentials from any providers',
      /credentials \(AWS_PROFILE/,
    ],
    [
      'a missing table',
      Object.assign(new Error('Requested resource not found'), {
        name: 'ResourceNotFoundException',
        $metadata: { httpStatusCode: 400 },
      }),
      'amictl: AWS in eu-west-1 (no AWS_ENDPOINT_URL set) has no such resource: Requested resource not found',
      /CATALOG_TABLE/,
    ],
  ])('%s: exit 3 with a hint', async (_what, error, problem, hint) => {
    const world = await seeded();
    await failing(error)(world);
    expect(await world.run('images', 'list', '--family', 'golden-al2023')).toBe(3);
    expect(world.err[0]).toBe(problem);
    expect(world.err[1]).toMatch(hint);
    expect(world.out).toEqual([]);
  });

  it('names the endpoint and the region it used, and what to check there', async () => {
    const world = await seeded();
    world.deps.endpoint = 'http://127.0.0.1:4566';
    world.deps.region = 'eu-central-1';
    await failing(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' }))(
      world,
    );
    expect(await world.run('images', 'list')).toBe(3);
    expect(world.err).toEqual([
      'amictl: could not reach http://127.0.0.1:4566 (AWS_ENDPOINT_URL) in eu-central-1: connect ECONNREFUSED 127.0.0.1:4566',
      'amictl: check that the local cloud is up at http://127.0.0.1:4566 (npm run local-cloud prints its endpoint) and AWS_REGION (eu-central-1); unset AWS_ENDPOINT_URL for AWS',
    ]);
  });

  it('throws what it cannot name', async () => {
    const world = await seeded();
    await failing(new TypeError('a bug'))(world);
    await expect(world.run('image', 'show', 'golden-al2023', '1.0.0')).rejects.toThrow('a bug');
  });
});

describe('amictl config and build', () => {
  it('warns about a waiver that has already expired, and still validates', async () => {
    const world = await createWorld([]);
    world.clock.set('2026-07-01T00:00:00Z');

    expect(await world.run('config', 'validate', EXAMPLE)).toBe(0);

    expect(world.err).toEqual([
      expect.stringMatching(
        /^warning: .*: the waiver CVE-2025-21587 of payments-api expired at 2026-06-30T00:00:00Z and excuses nothing$/,
      ),
    ]);
  });

  it('refuses a waiver that runs longer than the policy allows, storing nothing', async () => {
    const world = await createWorld([]);
    world.deps.readFile = () =>
      readFileSync(EXAMPLE, 'utf8').replace(
        'expiresAt: "2026-12-31T23:59:59Z"',
        'expiresAt: "2999-01-01T00:00:00Z"',
      );

    expect(await world.run('config', 'apply', EXAMPLE)).toBe(1);

    expect(world.err.join('\n')).toContain('families.golden-al2023.inspect.gate.waivers.0.expiresAt');
    expect(world.err.join('\n')).toContain('expires more than 365 days from now');
    expect(world.writes).toEqual([]);
  });

  it('validates and applies the example policy, then a second apply changes nothing', async () => {
    const world = await createWorld([]);
    expect(await world.run('config', 'validate', EXAMPLE)).toBe(0);
    expect(world.out[0]).toMatch(
      /: valid, 4 families \(golden-al2023, golden-ubuntu, payments-api, orders-worker\)$/,
    );
    world.out.length = 0;
    expect(await world.run('config', 'apply', EXAMPLE, '--by', 'carol')).toBe(0);
    expect(world.out).toContain('golden-al2023: stored as version 1');
    expect((await world.catalog.getFamilyConfig('golden-al2023'))?.storedBy).toBe('carol');
    world.out.length = 0;
    world.writes.length = 0;
    expect(await world.run('config', 'apply', EXAMPLE)).toBe(0);
    expect(world.out).toContain('golden-al2023: unchanged (version 1)');
    expect(world.writes).toEqual([]);
  });

  it('refuses a bad policy with its problems named, exit 1, storing nothing', async () => {
    const world = await createWorld([]);
    const broken = readFileSync(EXAMPLE, 'utf8').replace('instanceType: t3.medium', 'instanceType: 42');
    world.deps.readFile = () => broken;
    expect(await world.run('config', 'apply', 'broken.yaml')).toBe(1);
    expect(world.err.join('\n')).toMatch(/broken\.yaml.*families\.golden-al2023\.build\.instanceType/s);
    expectNothingChanged(world);
  });

  it.each([
    [
      'an event name it does not know',
      (y: string) =>
        y.replace(
          'events: [inspection-completed, image-rejected, build-failed, image-vulnerable, image-published]',
          'events: [inspection-completed, image-rejeted]',
        ),
      /families\.golden-al2023\.notify\.recipients\.0\.events\.1: must be one of inspection-completed, image-rejected, build-failed, image-vulnerable, image-published/,
    ],
    [
      'an address that is none',
      (y: string) =>
        y.replace('- address: golden-owners@example.com', '- address: golden-owners at example.com'),
      /families\.golden-al2023\.notify\.recipients\.0\.address: must be a plain email address/,
    ],
    [
      'an organisation-wide event under a family',
      (y: string) =>
        y.replace(
          'events: [inspection-completed, image-rejected, build-failed, image-vulnerable, image-published]',
          'events: [inspection-completed, sweep-completed]',
        ),
      /families\.golden-al2023\.notify\.recipients\.0\.events\.1: is organisation-wide: list it under notify at the top of the file/,
    ],
  ])('refuses a notify section with %s, naming the field, storing nothing', async (_, spoil, named) => {
    const world = await createWorld([]);
    const example = readFileSync(EXAMPLE, 'utf8');
    const broken = spoil(example);
    expect(broken).not.toBe(example);
    world.deps.readFile = () => broken;

    expect(await world.run('config', 'apply', 'broken.yaml')).toBe(1);

    expect(world.err.join('\n')).toMatch(named);
    expectNothingChanged(world);
  });

  it('puts Build Requested on the bus for a configured family, and refuses an unknown one', async () => {
    const world = await createWorld(['golden-al2023']);
    expect(await world.run('build', 'golden-al2023', '--key', 'k-1', '--reason', 'stale-base')).toBe(0);
    expect(world.out[0]).toMatch(
      /^Build Requested for golden-al2023 \(event .+, idempotency key k-1, build id build-/,
    );
    expect(world.events.published('Build Requested')[0]?.detail).toMatchObject({
      family: 'golden-al2023',
      idempotencyKey: 'k-1',
      reason: 'stale-base',
      requestedBy: 'alice',
      force: false,
    });
    expect(await world.run('build', 'golden-ubuntu')).toBe(1);
    expect(world.err).toEqual([
      'amictl: family golden-ubuntu has no stored config; run amictl config apply first',
    ]);
    expect(world.events.published('Build Requested')).toHaveLength(1);
  });
});

describe('amictl config apply: the organisation config', () => {
  it('stores the organisation sections with the families in one apply, then again only when they changed', async () => {
    const world = await createWorld([]);
    expect(await world.run('config', 'apply', EXAMPLE, '--by', 'carol')).toBe(0);
    expect(world.out[0]).toBe('organization config: stored as version 1');
    expect(world.writes).toEqual(['applyPolicyConfigs']);
    const stored = await world.catalog.getOrganizationConfig();
    expect(stored).toMatchObject({ version: 1, storedBy: 'carol', storedAt: '2026-03-01T10:00:00.000Z' });
    expect(stored?.config).toEqual({
      organization: { id: 'o-testorg123', managementAccountId: '111111111111' },
      accounts: {
        tooling: { id: '111111111111', regions: [HOME] },
        workloads: {
          id: '222222222222',
          roleArn: 'arn:aws:iam::222222222222:role/ami-lifecycle-inventory',
          regions: [HOME, OTHER],
        },
      },
      regions: { home: HOME, enabled: [HOME, OTHER] },
      sweep: {
        maxRetirementsPerRun: 40,
        maxInventoryAgeMinutes: 30,
        afterPolicyChange: 'dry-run',
        snapshotPricePerGiBMonth: { [HOME]: 0.05, [OTHER]: 0.054 },
      },
      notify: {
        recipients: [
          { address: 'security@example.com', events: ['image-vulnerable', 'image-rejected'] },
          {
            address: 'platform-ops@example.com',
            events: ['sweep-completed', 'dead-letters', 'build-failed'],
          },
        ],
        originators: { domains: ['example.com'], events: ['inspection-completed', 'build-failed'] },
      },
    });

    world.out.length = 0;
    world.writes.length = 0;
    world.deps.readFile = () =>
      readFileSync(EXAMPLE, 'utf8').replace('maxRetirementsPerRun: 40', 'maxRetirementsPerRun: 5');
    expect(await world.run('config', 'apply', 'changed.yaml')).toBe(0);
    expect(world.out[0]).toBe('organization config: stored as version 2');
    expect(world.out).toContain('golden-al2023: unchanged (version 1)');
    expect(world.writes).toEqual(['applyPolicyConfigs']);
    expect((await world.catalog.getOrganizationConfig())?.config).toMatchObject({
      sweep: { maxRetirementsPerRun: 5 },
    });

    world.out.length = 0;
    world.writes.length = 0;
    expect(await world.run('config', 'apply', 'changed.yaml')).toBe(0);
    expect(world.out[0]).toBe('organization config: unchanged (version 2)');
    expect(world.writes).toEqual([]);
  });

  it('validates without storing anything', async () => {
    const world = await createWorld([]);
    expect(await world.run('config', 'validate', EXAMPLE)).toBe(0);
    expect(await world.catalog.getOrganizationConfig()).toBeUndefined();
    expect(world.writes).toEqual([]);
  });
});

describe('amictl hold', () => {
  /** The seeded world, every AMI of golden-al2023 existing in EC2, unprotected. */
  const held = async (): Promise<World> => {
    const world = await seeded();
    for (const version of ['1.0.0', '1.1.0', '1.2.0', '1.3.0']) {
      seedAmis(world, (await world.catalog.getImage('golden-al2023', version))!);
    }
    seedAmis(world, (await world.catalog.getImage('payments-api', '2.0.0'))!);
    world.writes.length = 0;
    return world;
  };
  const idOf = (line: string | undefined): string => {
    const id = /^(hold-[0-9a-f]{16}) /.exec(line ?? '')?.[1];
    if (id === undefined) throw new Error(`no hold id in "${line}"`);
    return id;
  };
  const add = async (world: World, ...argv: string[]): Promise<string> => {
    world.out.length = 0;
    expect(await world.run('hold', 'add', '--reason', 'litigation LIT-42', '--owner', 'legal', ...argv)).toBe(
      0,
    );
    return idOf(world.out[0]);
  };

  it('add --image holds the image, protects its AMIs in every region, and prints the hold id', async () => {
    const world = await held();
    expect(
      await world.run(
        'hold',
        'add',
        '--image',
        'golden-al2023@1.1.0',
        '--reason',
        'litigation LIT-42',
        '--owner',
        'legal@example.com',
        '--ticket',
        'LEGAL-7',
        '--expires',
        '2026-06-01T00:00:00Z',
      ),
    ).toBe(0);
    expect(world.out).toHaveLength(1);
    expect(world.out[0]).toMatch(
      /^hold-[0-9a-f]{16} placed on image golden-al2023@1\.1\.0 until 2026-06-01T00:00:00Z \(deregistration protection on for 2 AMIs\)$/,
    );
    expect(world.err).toEqual([]);
    expect(await world.catalog.getHold(idOf(world.out[0]))).toEqual({
      id: idOf(world.out[0]),
      target: { kind: 'image', family: 'golden-al2023', version: '1.1.0' },
      reason: 'litigation LIT-42',
      owner: 'legal@example.com',
      ticket: 'LEGAL-7',
      createdAt: '2026-03-01T10:00:00.000Z',
      expiresAt: '2026-06-01T00:00:00Z',
    });
    expect(world.writes).toEqual(['putHold']);
    expect(isProtected(world, HOME, amiId(2))).toBe(true);
    expect(isProtected(world, OTHER, amiId(2, OTHER))).toBe(true);
    expect(isProtected(world, HOME, amiId(1))).toBe(false);
  });

  it('add --family protects every AMI of the family, and nothing of the others', async () => {
    const world = await held();
    await add(world, '--family', 'golden-al2023');
    expect(world.out[0]).toMatch(
      /placed on family golden-al2023 \(deregistration protection on for 6 AMIs\)$/,
    );
    for (const n of [1, 2]) {
      expect(isProtected(world, HOME, amiId(n))).toBe(true);
      expect(isProtected(world, OTHER, amiId(n, OTHER))).toBe(true);
    }
    for (const n of [3, 4]) expect(isProtected(world, HOME, amiId(n))).toBe(true);
    expect(isProtected(world, HOME, amiId(6))).toBe(false);
  });

  it('list shows the holds in force, oldest first, marking the expired ones', async () => {
    const world = await held();
    const first = await add(world, '--image', 'golden-al2023@1.0.0', '--expires', '2026-03-02T10:00:00Z');
    world.clock.advance(60_000);
    const second = await add(world, '--family', 'payments-api', '--ticket', 'LEGAL-9');
    world.clock.set('2026-03-05T00:00:00Z');

    world.out.length = 0;
    expect(await world.run('hold', 'list')).toBe(0);
    expect(world.out).toEqual([
      'ID                     TARGET                     OWNER  TICKET   CREATED            EXPIRES                      REASON',
      `${first}  image golden-al2023@1.0.0  legal  -        2026-03-01T10:00Z  2026-03-02T10:00Z (expired)  litigation LIT-42`,
      `${second}  family payments-api        legal  LEGAL-9  2026-03-01T10:01Z  -                            litigation LIT-42`,
    ]);

    world.out.length = 0;
    expect(await world.run('hold', 'list', '--json')).toBe(0);
    expect(parsed<HoldView[]>(world)).toEqual([
      {
        id: first,
        target: { kind: 'image', family: 'golden-al2023', version: '1.0.0' },
        reason: 'litigation LIT-42',
        owner: 'legal',
        ticket: null,
        createdAt: '2026-03-01T10:00:00.000Z',
        expiresAt: '2026-03-02T10:00:00Z',
        expired: true,
      },
      {
        id: second,
        target: { kind: 'family', family: 'payments-api' },
        reason: 'litigation LIT-42',
        owner: 'legal',
        ticket: 'LEGAL-9',
        createdAt: '2026-03-01T10:01:00.000Z',
        expiresAt: null,
        expired: false,
      },
    ]);
  });

  it('list says so when no hold is in force', async () => {
    const world = await held();
    expect(await world.run('hold', 'list')).toBe(0);
    expect(world.out).toEqual(['no holds in force']);
    expect(world.writes).toEqual([]);
  });

  it('remove releases the hold and lifts the protection, except where another hold still covers', async () => {
    const world = await held();
    const onImage = await add(world, '--image', 'golden-al2023@1.1.0');
    const onFamily = await add(world, '--family', 'golden-al2023');
    world.clock.advance(3_600_000);

    world.out.length = 0;
    expect(await world.run('hold', 'remove', onImage, '--reason', 'settled', '--by', 'bob')).toBe(0);
    expect(world.out).toEqual([
      `${onImage} on image golden-al2023@1.1.0 released at 2026-03-01T11:00:00.000Z (deregistration protection lifted from 0 AMIs)`,
      `  ${amiId(2, OTHER)} in ${OTHER} (golden-al2023@1.1.0) stays protected: held by ${onFamily}`,
      `  ${amiId(2)} in ${HOME} (golden-al2023@1.1.0) stays protected: held by ${onFamily}`,
    ]);
    expect(isProtected(world, HOME, amiId(2))).toBe(true);

    world.out.length = 0;
    expect(await world.run('hold', 'remove', onFamily, '--reason', 'settled')).toBe(0);
    expect(world.out).toEqual([
      `${onFamily} on family golden-al2023 released at 2026-03-01T11:00:00.000Z (deregistration protection lifted from 6 AMIs)`,
    ]);
    expect(isProtected(world, HOME, amiId(2))).toBe(false);
    expect(isProtected(world, OTHER, amiId(1, OTHER))).toBe(false);
    expect((await world.catalog.getHold(onFamily))?.releasedAt).toBe('2026-03-01T11:00:00.000Z');
    expect((await world.catalog.listActiveHolds()).items).toEqual([]);
  });

  it.each([
    [
      'an unknown image',
      ['add', '--image', 'golden-al2023@9.9.9', '--reason', 'r', '--owner', 'o'],
      'amictl: image golden-al2023@9.9.9 is not in the catalog; nothing was held',
    ],
    [
      'an unknown family',
      ['add', '--family', 'orders-worker', '--reason', 'r', '--owner', 'o'],
      'amictl: family orders-worker is not in the catalog; nothing was held',
    ],
    [
      'an expiry in the past',
      [
        'add',
        '--family',
        'golden-al2023',
        '--reason',
        'r',
        '--owner',
        'o',
        '--expires',
        '2026-01-01T00:00:00Z',
      ],
      'amictl: expiry 2026-01-01T00:00:00Z is not in the future (now 2026-03-01T10:00:00.000Z)',
    ],
    [
      'an expiry that is no time',
      ['add', '--family', 'golden-al2023', '--reason', 'r', '--owner', 'o', '--expires', 'soon'],
      'amictl: expiry "soon" is not an ISO-8601 time with a zone, like 2026-12-31T00:00:00Z',
    ],
    ['an unknown hold id', ['remove', 'hold-404', '--reason', 'r'], 'amictl: hold hold-404 does not exist'],
  ])('refuses %s: exit 1, the problem named, nothing changed', async (_what, argv, problem) => {
    const world = await held();
    expect(await world.run('hold', ...argv)).toBe(1);
    expect(world.err).toEqual([problem]);
    expect(world.out).toEqual([]);
    expectNothingChanged(world);
    expect(isProtected(world, HOME, amiId(1))).toBe(false);
  });

  it.each([
    [['add', '--reason', 'r', '--owner', 'o']],
    [['add', '--image', 'golden-al2023@1.0.0', '--family', 'golden-al2023', '--reason', 'r', '--owner', 'o']],
  ])('%j: exit 2 without exactly one of --image and --family', async (argv) => {
    const world = await held();
    expect(await world.run('hold', ...argv)).toBe(2);
    expect(world.err).toEqual([
      'amictl: hold add needs exactly one of --image FAMILY@VERSION and --family FAMILY',
      '(see amictl hold add --help)',
    ]);
    expectNothingChanged(world);
  });
});
