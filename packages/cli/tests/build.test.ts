import { buildIdFor } from '@ami-lifecycle/build-service';
import type { GateFinding, Image, ImageFinding, LifecycleState } from '@ami-lifecycle/core';
import type { BuildExecutionView, BuildOutcomeView, BuildRequestView } from '../src';
import { RefusedError } from '../src/errors';
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

/** The family's stored config again, as a new version, with `change` made to its gate. */
const changeGate = async (
  world: World,
  change: (gate: { maxFindings: Record<string, number> }) => void,
): Promise<number> => {
  const stored = (await world.catalog.getFamilyConfig(FAMILY))!;
  const config = structuredClone(stored.config) as {
    inspect: { gate: { maxFindings: Record<string, number> } };
  };
  change(config.inspect.gate);
  const put = await world.catalog.putFamilyConfig(FAMILY, config, {
    expectedCurrent: stored.version,
    at: at(world),
    by: 'test',
  });
  return put.version;
};

/** The inspect service's rejection, its audit record naming the config version it judged by. */
const rejectUnder =
  (world: World, policyVersion: number, reason: string, findings: Partial<typeof NO_FINDINGS>) =>
  async (image: () => Promise<Image>) => {
    const i = await image();
    await world.catalog.transitionImage({
      family: FAMILY,
      version: VERSION,
      from: i.state,
      to: 'rejected',
      expectedStateVersion: i.stateVersion,
      at: at(world),
      audit: { ...audit('inspect-service', `inspection insp-1: fail: ${reason}`), policyVersion },
      patch: { verdict: 'fail', reason, findings: { ...NO_FINDINGS, ...findings } },
    });
  };

const imageFinding = (
  n: number,
  cve: string,
  severity: GateFinding['severity'],
  tags: Record<string, string> = {
    'ami-lifecycle:managed': 'true',
    'ami-lifecycle:family': FAMILY,
    'ami-lifecycle:version': VERSION,
  },
): ImageFinding => ({
  id: `arn:aws:inspector2:${HOME}:111111111111:finding/${n.toString(16).padStart(8, '0')}`,
  cve,
  severity,
  fixAvailable: true,
  status: 'CLOSED',
  instanceId: 'i-0test',
  instanceTags: tags,
});

describe('amictl build --wait: the findings of a rejection', () => {
  it('names the CVEs that failed the gate then, though the gate was loosened since', async () => {
    const world = await createWorld([FAMILY]);
    world.deps.findings = {
      listFindingsForImage: async () => [
        imageFinding(1, 'CVE-2024-38476', 'CRITICAL'),
        imageFinding(2, 'CVE-2025-0001', 'HIGH'),
      ],
    };
    const reason = '1 CRITICAL findings exceed the limit of 0; 1 HIGH findings exceed the limit of 0';
    scripted(world, [
      ...upToInspection(world),
      async (image) => {
        await rejectUnder(world, 1, reason, { CRITICAL: 1, HIGH: 1 })(image);
        // Applied after the verdict: today's gate lets both through.
        await changeGate(world, (gate) => {
          gate.maxFindings = { CRITICAL: 5, HIGH: 5, MEDIUM: 20 };
        });
      },
    ]);

    expect(await world.run('build', FAMILY, '--key', KEY, '--wait', '--json')).toBe(1);

    const view = JSON.parse(world.out[0]!) as BuildOutcomeView;
    expect(view.failingFindings.map((f) => f.vulnerabilityId)).toEqual(['CVE-2024-38476', 'CVE-2025-0001']);
    expect(view.reason).toBe(`${reason}; failing findings: CVE-2024-38476 (CRITICAL), CVE-2025-0001 (HIGH)`);
  });

  it("judges by today's config, and says so, when the version the verdict names is gone", async () => {
    const world = await createWorld([FAMILY]);
    world.deps.findings = {
      listFindingsForImage: async () => [imageFinding(1, 'CVE-2024-38476', 'CRITICAL')],
    };
    const reason = '1 CRITICAL findings exceed the limit of 0';
    scripted(world, [...upToInspection(world), rejectUnder(world, 7, reason, { CRITICAL: 1 })]);

    expect(await world.run('build', FAMILY, '--key', KEY, '--wait')).toBe(1);

    expect(world.err).toEqual([
      `amictl: ${FAMILY} ${VERSION}: rejected: ${reason}; failing findings: CVE-2024-38476 (CRITICAL)` +
        "; findings judged by today's config (version 1): config version 7, which judged it, is gone",
    ]);
  });

  it("keeps two findings of one CVE (two packages) apart, and leaves out those of another image's instances", async () => {
    const world = await createWorld([FAMILY]);
    // One HIGH is allowed: the two findings of CVE-2025-0001 are over it, one would not be.
    const version = await changeGate(world, (gate) => {
      gate.maxFindings = { CRITICAL: 0, HIGH: 1, MEDIUM: 20 };
    });
    world.deps.findings = {
      listFindingsForImage: async () => [
        imageFinding(1, 'CVE-2025-0001', 'HIGH'),
        imageFinding(2, 'CVE-2025-0001', 'HIGH'),
        // The same finding listed twice is one finding.
        imageFinding(2, 'CVE-2025-0001', 'HIGH'),
        // A child's builder, launched from this AMI with the child's packages: the child's finding.
        imageFinding(3, 'CVE-2026-0042', 'CRITICAL', {
          'ami-lifecycle:managed': 'true',
          'ami-lifecycle:family': 'orders-worker',
          'ami-lifecycle:version': '2026.03.01.1',
        }),
        // A workload of ours (untagged): it runs this image as it is.
        imageFinding(4, 'CVE-2025-0007', 'MEDIUM', {}),
      ],
    };
    const reason = '2 HIGH findings exceed the limit of 1';
    scripted(world, [...upToInspection(world), rejectUnder(world, version, reason, { HIGH: 2, MEDIUM: 1 })]);

    expect(await world.run('build', FAMILY, '--key', KEY, '--wait', '--json')).toBe(1);

    const view = JSON.parse(world.out[0]!) as BuildOutcomeView;
    expect(view.failingFindings).toEqual([
      { vulnerabilityId: 'CVE-2025-0001', severity: 'HIGH', findingId: imageFinding(1, 'x', 'HIGH').id },
      { vulnerabilityId: 'CVE-2025-0001', severity: 'HIGH', findingId: imageFinding(2, 'x', 'HIGH').id },
    ]);
    expect(view.reason).toBe(`${reason}; failing findings: CVE-2025-0001 (HIGH, 2 findings)`);
  });
});

describe('amictl build --wait: a request whose inputs were built before', () => {
  /** The earlier image of the same inputs, in `state`, and the execution that says this request is its duplicate. */
  const builtBefore = async (world: World, state: LifecycleState) => {
    const staged = ['deprecated', 'disabled', 'retired'] as const;
    const stagedTo = staged.slice(0, staged.indexOf(state as (typeof staged)[number]) + 1);
    let image = await addImage(world, {
      family: FAMILY,
      version: '1.0.0',
      n: 1,
      state: stagedTo.length > 0 ? 'published' : (state as 'published'),
      verdict: state === 'rejected' ? 'fail' : 'pass',
      createdAt: '2026-02-01T08:00:00.000Z',
    });
    for (const to of stagedTo) {
      image = await world.catalog.transitionImage({
        family: FAMILY,
        version: '1.0.0',
        from: image.state,
        to,
        expectedStateVersion: image.stateVersion,
        at: '2026-02-20T08:00:00.000Z',
        audit: audit('retention', `sweep-1: ${to}`),
      });
    }
    scripted(world, [], () => ({
      status: 'SUCCEEDED',
      steps: [{ at: '2026-03-01T10:00:00.000Z', text: `nothing new to build: ${FAMILY} 1.0.0 (${state})` }],
      failure: undefined,
      duplicateOf: { family: FAMILY, version: '1.0.0' },
    }));
  };

  it.each<[LifecycleState, BuildOutcomeView['outcome'], 0 | 1]>([
    ['published', 'published', 0],
    ['inspecting', 'awaiting-approval', 0],
    ['rejected', 'rejected', 1],
    ['failed', 'failed', 1],
    ['deprecated', 'deprecated', 1],
    ['disabled', 'disabled', 1],
    ['retired', 'retired', 1],
  ])('an earlier image that is %s: outcome %s, exit %d', async (state, outcome, code) => {
    const world = await createWorld([FAMILY]);
    await builtBefore(world, state);

    expect(await world.run('build', FAMILY, '--key', KEY, '--wait', '--json')).toBe(code);

    const view = JSON.parse(world.out[0]!) as BuildOutcomeView;
    expect(view).toMatchObject({ outcome, alreadyBuilt: true, image: { version: '1.0.0', state } });
  });

  it.each<[LifecycleState, string]>([
    ['retired', 'sweep-1: retired'],
    ['deprecated', 'sweep-1: deprecated'],
    ['rejected', 'to rejected'],
    ['failed', 'to failed'],
  ])(
    'says an earlier image that is %s is what the inputs made, and how to build again',
    async (state, why) => {
      const world = await createWorld([FAMILY]);
      await builtBefore(world, state);

      expect(await world.run('build', FAMILY, '--key', KEY, '--wait')).toBe(1);

      expect(world.err).toEqual([
        `amictl: the same inputs were already built as ${FAMILY} 1.0.0, which is ${state}: ${why}; ` +
          'use --force to build again (without --key, or with a new one)',
      ]);
    },
  );

  it('says so of its own image too, when it was published and is deprecated by the time amictl looks', async () => {
    const world = await createWorld([FAMILY]);
    scripted(world, [
      ...upToInspection(world),
      move(world, 'approved', 'inspect-service', 'passed', { verdict: 'pass', findings: NO_FINDINGS }),
      async (image) => {
        await move(world, 'published', 'publish-service', 'published')(image);
        await move(world, 'deprecated', 'retention', 'sweep-2: deprecated')(image);
      },
    ]);

    expect(await world.run('build', FAMILY, '--key', KEY, '--wait')).toBe(1);

    expect(world.err).toEqual([`amictl: ${FAMILY} ${VERSION}: deprecated: sweep-2: deprecated`]);
  });
});

describe('amictl build --wait: losing track of the build', () => {
  /** amictl's catalog, whose audit trails cannot be read once `failing` says so (the build goes on). */
  const failAfterRegistering = (world: World, error: () => unknown) => {
    let failing = false;
    const catalog = world.deps.catalog;
    world.deps.catalog = new Proxy(catalog, {
      get: (target, property, receiver) =>
        property === 'listAudit' && failing
          ? async () => {
              throw error();
            }
          : Reflect.get(target, property, receiver),
    });
    scripted(world, [
      register(world),
      amiCreated(world),
      async () => {
        failing = true;
      },
    ]);
  };
  const FOLLOW = `amictl build ${FAMILY} --key ${KEY} --wait`;

  it('--json still prints the request, the outcome unknown and the error; then the error (exit 4)', async () => {
    const world = await createWorld([FAMILY]);
    failAfterRegistering(world, () => new Error('the catalog answered nonsense'));

    await expect(world.run('build', FAMILY, '--key', KEY, '--wait', '--json')).rejects.toMatchObject({
      name: 'BuildFollowError',
      message: `could not follow build ${BUILD_ID}: Error: the catalog answered nonsense`,
    });

    expect(world.out).toHaveLength(1);
    const view = JSON.parse(world.out[0]!) as BuildOutcomeView;
    expect(view).toMatchObject({
      request: { family: FAMILY, idempotencyKey: KEY, buildId: BUILD_ID },
      outcome: 'unknown',
      image: { family: FAMILY, version: VERSION, state: 'building' },
      alreadyBuilt: false,
      failingFindings: [],
    });
    expect(view.reason).toBe(
      'could not follow the build: Error: the catalog answered nonsense; its request is on the bus: ' +
        `follow it again with ${FOLLOW} (the same key is the same build: nothing new is built), ` +
        `or look with amictl image show ${FAMILY} ${VERSION}`,
    );
    expect(view.progress.map((p) => p.text)).toEqual([
      expect.stringMatching(/ registered, building: /),
      expect.stringMatching(/^image created: /),
    ]);
    expect(world.events.published('Build Requested')).toHaveLength(1);
  });

  it('prints the build and how to follow it again, then AWS unreachable and what to check: exit 3', async () => {
    const world = await createWorld([FAMILY]);
    failAfterRegistering(world, () =>
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' }),
    );

    expect(
      await world.run('build', FAMILY, '--key', KEY, '--force', '--reason', 'stale-base', '--wait'),
    ).toBe(3);

    expect(world.out[0]).toMatch(new RegExp(`idempotency key ${KEY}, build id ${BUILD_ID}\\)$`));
    expect(world.err).toEqual([
      `amictl: lost track of build ${BUILD_ID} of ${FAMILY} (idempotency key ${KEY}); its request is on the bus and ` +
        `the build goes on: follow it again with amictl build ${FAMILY} --key ${KEY} --force --reason stale-base --wait ` +
        `(the same key is the same build: nothing new is built), or look with amictl image show ${FAMILY} ${VERSION}`,
      `amictl: could not reach AWS in ${HOME} (no AWS_ENDPOINT_URL set): connect ECONNREFUSED 127.0.0.1:4566`,
      expect.stringMatching(/^amictl: check the network and AWS_REGION/),
    ]);
  });

  it('--json with AWS unreachable: the request and the outcome unknown, exit 3', async () => {
    const world = await createWorld([FAMILY]);
    failAfterRegistering(world, () =>
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' }),
    );

    expect(await world.run('build', FAMILY, '--key', KEY, '--wait', '--json')).toBe(3);

    expect(JSON.parse(world.out[0]!)).toMatchObject({
      request: { idempotencyKey: KEY, buildId: BUILD_ID },
      outcome: 'unknown',
      reason: expect.stringMatching(
        /^could not follow the build: could not reach AWS in eu-west-1 .*ECONNREFUSED/,
      ),
    });
    expect(world.err[1]).toMatch(/^amictl: check the network/);
  });

  it('is never a refusal (exit 1: nothing changed), whatever the error: the request is on the bus', async () => {
    const world = await createWorld([FAMILY]);
    failAfterRegistering(world, () => new RefusedError('the audit trail goes on for more than 500 pages'));

    await expect(world.run('build', FAMILY, '--key', KEY, '--wait')).rejects.toMatchObject({
      name: 'BuildFollowError',
    });

    expect(world.err).toEqual([expect.stringMatching(`^amictl: lost track of build ${BUILD_ID} `)]);
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
