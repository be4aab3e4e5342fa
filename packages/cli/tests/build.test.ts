import { buildIdFor } from '@ami-lifecycle/build-service';
import type { GateFinding, Image, LifecycleState } from '@ami-lifecycle/core';
import type { BuildExecutionView, BuildOutcomeView, BuildRequestView } from '../src';
import { addImage, amiId, createWorld, HOME, type World } from './support/world';

const FAMILY = 'golden-al2023';
const VERSION = '2026.03.01.1';
const KEY = 'k-wait';
const BUILD_ID = buildIdFor(FAMILY, KEY);
const AMI = amiId(7);

/**
 * A build service played by the test: each wait of amictl (`deps.sleep`) moves the clock on by the
 * seconds asked and then takes the next step of the script on the catalog. The script ends where the
 * build ends; later waits change nothing. `execution` is what the build state machine says meanwhile.
 */
const scripted = (
  world: World,
  steps: ((image: () => Promise<Image>) => Promise<void>)[],
  execution?: (step: number) => BuildExecutionView | undefined,
) => {
  let step = 0;
  const image = async () => (await world.catalog.getImage(FAMILY, VERSION))!;
  world.deps.sleep = async (seconds) => {
    world.clock.advance(seconds * 1000);
    const next = steps[step];
    step += 1;
    if (next !== undefined) await next(image);
  };
  if (execution !== undefined) world.deps.builds = { execution: async () => execution(step) };
  return { sleeps: () => step };
};

const at = (world: World) => world.clock.now().toISOString();
const audit = (actor: string, reason: string) => ({ actor, reason, correlationId: 'corr-1' });

/** The build service's own steps, as its handlers write them. */
const register = (world: World) => async () => {
  await world.catalog.createImage(
    {
      family: FAMILY,
      version: VERSION,
      state: 'building',
      stateVersion: 0,
      amiIds: {},
      snapshotIds: [],
      sourceAmiId: 'ami-0123456789abcdef0',
      buildId: BUILD_ID,
      buildReason: 'manual',
      configVersion: 1,
      vulnerable: false,
      managed: true,
      createdAt: at(world),
      stateChangedAt: at(world),
    },
    audit('build-service', 'build requested (manual) by alice; source ami-0123456789abcdef0 via ssm:/aws/x'),
  );
};
const amiCreated = (world: World) => async (image: () => Promise<Image>) => {
  const i = await image();
  await world.catalog.updateImage(
    FAMILY,
    VERSION,
    i.stateVersion,
    { amiIds: { [HOME]: AMI } },
    {
      ...audit('build-service', `CreateImage accepted: ${AMI} (${FAMILY}-${VERSION}) from builder i-0abc`),
      at: at(world),
      action: 'ami-created',
    },
  );
};
const move =
  (
    world: World,
    to: LifecycleState,
    actor: string,
    reason: string,
    patch: Partial<Image> = {},
    channels?: string[],
  ) =>
  async (image: () => Promise<Image>) => {
    const i = await image();
    await world.catalog.transitionImage({
      family: FAMILY,
      version: VERSION,
      from: i.state,
      to,
      expectedStateVersion: i.stateVersion,
      at: at(world),
      audit: audit(actor, reason),
      patch,
      ...(channels === undefined ? {} : { moveChannels: channels }),
    });
  };
const NO_FINDINGS = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNTRIAGED: 0 };
const upToInspection = (world: World) => [
  register(world),
  amiCreated(world),
  move(world, 'built', 'build-service', `AMI ${AMI} became available`),
  move(world, 'inspecting', 'inspect-service', 'inspection insp-1 started'),
];

describe('amictl build --wait', () => {
  it('follows the build to its publication, a line per step, exit 0', async () => {
    const world = await createWorld([FAMILY]);
    scripted(
      world,
      [
        ...upToInspection(world),
        move(world, 'approved', 'inspect-service', 'all findings within the limits and all tests passed', {
          verdict: 'pass',
          findings: { ...NO_FINDINGS, MEDIUM: 2 },
          approver: 'auto',
        }),
        move(
          world,
          'published',
          'publish-service',
          'published to eu-west-1',
          { publishedAt: '2026-03-01T11:00:00.000Z' },
          ['latest', 'stable'],
        ),
      ],
      (step) =>
        step === 0
          ? undefined
          : {
              status: step < 3 ? 'RUNNING' : 'SUCCEEDED',
              steps: [
                { at: '2026-03-01T10:00:10.000Z', text: 'the build service started the build' },
                { at: '2026-03-01T10:00:20.000Z', text: `builder i-0abc launched for ${FAMILY} ${VERSION}` },
              ],
              failure: undefined,
              duplicateOf: undefined,
            },
    );

    expect(await world.run('build', FAMILY, '--key', KEY, '--wait')).toBe(0);

    expect(world.err).toEqual([]);
    expect(world.out).toEqual([
      expect.stringMatching(
        new RegExp(`^Build Requested for ${FAMILY} \\(event .+, build id ${BUILD_ID}\\)$`),
      ),
      `2026-03-01T10:00:10Z  the build service started the build`,
      `2026-03-01T10:00:20Z  builder i-0abc launched for ${FAMILY} ${VERSION}`,
      `2026-03-01T10:00:30Z  ${FAMILY} ${VERSION} registered, building: build requested (manual) by alice; source ami-0123456789abcdef0 via ssm:/aws/x`,
      `2026-03-01T10:01:00Z  image created: CreateImage accepted: ${AMI} (${FAMILY}-${VERSION}) from builder i-0abc`,
      `2026-03-01T10:01:30Z  building -> built: AMI ${AMI} became available`,
      '2026-03-01T10:02:00Z  built -> inspecting: inspection insp-1 started',
      '2026-03-01T10:02:30Z  inspecting -> approved (findings: 2 MEDIUM): all findings within the limits and all tests passed',
      '2026-03-01T10:03:00Z  approved -> published: published to eu-west-1',
      `2026-03-01T10:03:00Z  channel latest now points at ${VERSION}: published to eu-west-1`,
      `2026-03-01T10:03:00Z  channel stable now points at ${VERSION}: published to eu-west-1`,
      `${FAMILY} ${VERSION}: published (${HOME}=${AMI}; channels latest, stable)`,
    ]);
  });

  it('--json prints one object: the request, the outcome, the image and every step', async () => {
    const world = await createWorld([FAMILY]);
    scripted(world, [
      ...upToInspection(world),
      move(world, 'approved', 'inspect-service', 'passed', { verdict: 'pass', findings: NO_FINDINGS }),
      move(world, 'published', 'publish-service', 'published', {}, ['latest']),
    ]);

    expect(await world.run('build', FAMILY, '--key', KEY, '--wait', '--json')).toBe(0);

    expect(world.out).toHaveLength(1);
    const view = JSON.parse(world.out[0]!) as BuildOutcomeView;
    expect(view).toEqual({
      request: {
        eventId: expect.any(String),
        family: FAMILY,
        idempotencyKey: KEY,
        buildId: BUILD_ID,
        correlationId: expect.any(String),
        reason: 'manual',
        requestedBy: 'alice',
        force: false,
        requestedAt: '2026-03-01T10:00:00.000Z',
      },
      outcome: 'published',
      reason: null,
      image: expect.objectContaining({
        family: FAMILY,
        version: VERSION,
        state: 'published',
        channels: ['latest'],
      }),
      alreadyBuilt: false,
      failingFindings: [],
      progress: expect.arrayContaining([
        { at: '2026-03-01T10:01:30.000Z', text: `building -> built: AMI ${AMI} became available` },
      ]),
    });
    expect(view.progress).toHaveLength(7);
  });

  it("exits 0 with a note when the image passed and waits for a person's approval", async () => {
    const world = await createWorld([FAMILY]);
    scripted(world, [
      ...upToInspection(world),
      async (image) => {
        const i = await image();
        await world.catalog.updateImage(
          FAMILY,
          VERSION,
          i.stateVersion,
          { verdict: 'pass', findings: NO_FINDINGS },
          {
            ...audit('inspect-service', 'all findings within the limits and all tests passed'),
            at: at(world),
            action: 'inspection-recorded',
          },
        );
      },
    ]);

    expect(await world.run('build', FAMILY, '--key', KEY, '--wait')).toBe(0);

    expect(world.out.at(-2)).toBe(
      '2026-03-01T10:02:30Z  verdict recorded (findings: none): all findings within the limits and all tests passed',
    );
    expect(world.out.at(-1)).toBe(
      `${FAMILY} ${VERSION}: passed its inspection and waits for a person's approval (its family says approval: manual): ` +
        `amictl approve ${FAMILY} ${VERSION} --reason TEXT`,
    );
  });

  it('exits 1 with the reason the failing step recorded, not the state machine’s', async () => {
    const world = await createWorld([FAMILY]);
    const reason =
      'run-components: ComponentFailedError: component broken-agent failed (exit code 1): Error: Unable to find a match: no-such-agent';
    scripted(world, [register(world), move(world, 'failed', 'build-service', reason, { reason })], (step) =>
      step < 2
        ? undefined
        : {
            status: 'FAILED',
            steps: [],
            failure: 'BuildFailed: the build failed; FailBuild marked the image failed',
            duplicateOf: undefined,
          },
    );

    expect(await world.run('build', FAMILY, '--key', KEY, '--wait')).toBe(1);

    expect(world.out.at(-1)).toBe(`2026-03-01T10:01:00Z  building -> failed: ${reason}`);
    expect(world.err).toEqual([`amictl: ${FAMILY} ${VERSION}: failed: ${reason}`]);
  });

  it('exits 1 for a rejected image, naming the CVEs that broke the gate (waived and within-limit ones left out)', async () => {
    const world = await createWorld([FAMILY]);
    const finding = (cve: string, severity: GateFinding['severity'], fixAvailable = true): GateFinding => ({
      id: `arn:aws:inspector2:${HOME}:111111111111:finding/${cve.replace(/\D/g, '')}`,
      cve,
      severity,
      fixAvailable,
      status: 'CLOSED',
    });
    const asked: string[] = [];
    world.deps.findings = {
      listFindingsForImage: async (id) => {
        asked.push(id);
        return [
          finding('CVE-2024-38476', 'CRITICAL'),
          finding('CVE-2024-38476', 'CRITICAL'),
          // golden-al2023 waives this one until the end of 2026.
          finding('CVE-2024-6387', 'CRITICAL'),
          finding('CVE-2025-0001', 'HIGH'),
          // Not fixable: golden-al2023 counts only fixable findings.
          finding('CVE-2025-0002', 'HIGH', false),
          finding('CVE-2025-0003', 'MEDIUM'),
        ];
      },
    };
    const reason = '1 CRITICAL findings exceed the limit of 0; 1 HIGH findings exceed the limit of 0';
    scripted(world, [
      ...upToInspection(world),
      move(world, 'rejected', 'inspect-service', reason, {
        verdict: 'fail',
        reason,
        findings: { ...NO_FINDINGS, CRITICAL: 1, HIGH: 1, MEDIUM: 1 },
      }),
    ]);

    expect(await world.run('build', FAMILY, '--key', KEY, '--wait')).toBe(1);

    expect(asked).toEqual([AMI]);
    expect(world.out.at(-1)).toBe(
      `2026-03-01T10:02:30Z  inspecting -> rejected (findings: 1 CRITICAL, 1 HIGH, 1 MEDIUM): ${reason}`,
    );
    expect(world.err).toEqual([
      `amictl: ${FAMILY} ${VERSION}: rejected: ${reason}; failing findings: CVE-2024-38476 (CRITICAL), CVE-2025-0001 (HIGH)`,
    ]);
  });

  it('exits 1 when the publication failed, with its reason', async () => {
    const world = await createWorld([FAMILY]);
    scripted(world, [
      ...upToInspection(world),
      move(world, 'approved', 'inspect-service', 'passed', { verdict: 'pass', findings: NO_FINDINGS }),
      async (image) => {
        const i = await image();
        await world.catalog.updateImage(FAMILY, VERSION, i.stateVersion, undefined, {
          ...audit(
            'publish-service',
            'publication pub-1 failed: KmsKeyNotFound: alias/ami-lifecycle in eu-central-1',
          ),
          at: at(world),
          action: 'publication-failed',
        });
      },
    ]);

    expect(await world.run('build', FAMILY, '--key', KEY, '--wait')).toBe(1);

    expect(world.err).toEqual([
      `amictl: ${FAMILY} ${VERSION}: publication failed: publication pub-1 failed: KmsKeyNotFound: alias/ami-lifecycle in eu-central-1`,
    ]);
  });

  it('exits 1 for a build that failed before its image was registered, with the execution’s reason', async () => {
    const world = await createWorld([FAMILY]);
    scripted(world, [], (step) =>
      step === 0
        ? undefined
        : {
            status: 'FAILED',
            steps: [{ at: '2026-03-01T10:00:05.000Z', text: 'the build service started the build' }],
            failure: 'resolve-source: SourceNotFoundError: SSM parameter /aws/x not found',
            duplicateOf: undefined,
          },
    );

    expect(await world.run('build', FAMILY, '--key', KEY, '--wait')).toBe(1);

    expect(world.err).toEqual([
      `amictl: ${FAMILY}: failed: resolve-source: SourceNotFoundError: SSM parameter /aws/x not found`,
    ]);
  });

  it('follows the image built before from the same inputs, and says so', async () => {
    const world = await createWorld([FAMILY]);
    await addImage(world, {
      family: FAMILY,
      version: '1.0.0',
      n: 1,
      state: 'published',
      verdict: 'pass',
      createdAt: '2026-02-01T08:00:00.000Z',
      channels: ['latest'],
    });
    scripted(world, [], () => ({
      status: 'SUCCEEDED',
      steps: [{ at: '2026-03-01T10:00:00.000Z', text: `nothing new to build: ${FAMILY} 1.0.0 (published)` }],
      failure: undefined,
      duplicateOf: { family: FAMILY, version: '1.0.0' },
    }));

    expect(await world.run('build', FAMILY, '--key', KEY, '--wait', '--json')).toBe(0);

    const view = JSON.parse(world.out[0]!) as BuildOutcomeView;
    expect(view).toMatchObject({ outcome: 'published', alreadyBuilt: true, image: { version: '1.0.0' } });
    expect(view.progress.map((p) => p.text)).toEqual([
      `nothing new to build: ${FAMILY} 1.0.0 (published)`,
      `${FAMILY} 1.0.0 was built before from the same request or inputs; it is published`,
    ]);
  });

  it('gives up after --timeout: exit 1, saying where the image is and how to follow it', async () => {
    const world = await createWorld([FAMILY]);
    const script = scripted(world, [register(world)]);

    expect(await world.run('build', FAMILY, '--key', KEY, '--wait', '--timeout', '5m')).toBe(1);

    expect(world.err).toEqual([
      `amictl: ${FAMILY} ${VERSION} still building after 5m; follow with amictl image show ${FAMILY} ${VERSION}`,
    ]);
    expect(script.sleeps()).toBe(10);
    expect(world.clock.now().toISOString()).toBe('2026-03-01T10:05:00.000Z');
  });

  it('says the request was not taken when no image and no execution appear within ten minutes', async () => {
    const world = await createWorld([FAMILY]);
    scripted(world, [], () => undefined);

    expect(await world.run('build', FAMILY, '--key', KEY, '--wait')).toBe(1);

    expect(world.err).toEqual([
      `amictl: the build service has not taken build ${BUILD_ID} after 10m: no image and no execution of that name; it may have refused the request (amictl events rejected)`,
    ]);
  });

  it('ends after its bounded number of looks even when the clock does not move', async () => {
    const world = await createWorld([FAMILY]);
    let sleeps = 0;
    world.deps.sleep = async () => {
      sleeps += 1;
    };

    expect(await world.run('build', FAMILY, '--key', KEY, '--wait', '--timeout', '2m')).toBe(1);

    expect(sleeps).toBe(4);
    expect(world.err[0]).toMatch(
      /^amictl: build build-\S+ not started after 2m; follow with amictl images list/,
    );
  });

  it('colours the outcome and the states only when asked to', async () => {
    const world = await createWorld([FAMILY]);
    world.deps.color = true;
    scripted(world, [
      ...upToInspection(world),
      move(world, 'approved', 'inspect-service', 'passed', { verdict: 'pass', findings: NO_FINDINGS }),
      move(world, 'published', 'publish-service', 'published', {}, ['latest']),
    ]);

    expect(await world.run('build', FAMILY, '--key', KEY, '--wait')).toBe(0);

    expect(world.out).toContain(
      '2026-03-01T10:02:30Z  inspecting -> \u001b[32mapproved\u001b[39m (findings: none): passed',
    );
    expect(world.out.at(-1)).toBe(
      `\u001b[32m${FAMILY} ${VERSION}: published (${HOME}=${AMI}; channels latest)\u001b[39m`,
    );
  });
});

describe('amictl build', () => {
  it('--json prints the request it put on the bus', async () => {
    const world = await createWorld([FAMILY]);

    expect(
      await world.run('build', FAMILY, '--key', KEY, '--force', '--reason', 'stale-base', '--json'),
    ).toBe(0);

    const request = JSON.parse(world.out.join('\n')) as BuildRequestView;
    const [event] = world.events.published('Build Requested');
    expect(request).toEqual({
      eventId: event!.eventId,
      family: FAMILY,
      idempotencyKey: KEY,
      buildId: BUILD_ID,
      correlationId: (event!.detail as { correlationId: string }).correlationId,
      reason: 'stale-base',
      requestedBy: 'alice',
      force: true,
      requestedAt: '2026-03-01T10:00:00.000Z',
    });
  });

  it('refuses a family whose stored config does not parse, and puts nothing on the bus', async () => {
    const world = await createWorld([]);
    await world.catalog.putFamilyConfig(
      'legacy-app',
      { kind: 'golden' },
      {
        expectedCurrent: null,
        at: '2026-03-01T10:00:00.000Z',
        by: 'test',
      },
    );

    expect(await world.run('build', 'legacy-app', '--wait')).toBe(1);

    expect(world.err[0]).toMatch(/^amictl: stored config of family legacy-app \(version 1\) is invalid:\n/);
    expect(world.err[0]).toMatch(/\napply a valid policy first \(amictl config apply\)$/);
    expect(world.events.published()).toEqual([]);
  });

  it('refuses a family without a stored config before putting anything on the bus, even with --wait', async () => {
    const world = await createWorld([]);
    let slept = false;
    world.deps.sleep = async () => {
      slept = true;
    };

    expect(await world.run('build', 'golden-ubuntu', '--wait')).toBe(1);

    expect(world.err).toEqual([
      'amictl: family golden-ubuntu has no stored config; run amictl config apply first',
    ]);
    expect(world.events.published()).toEqual([]);
    expect(slept).toBe(false);
  });
});
