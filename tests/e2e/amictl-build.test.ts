import { buildIdFor } from '@ami-lifecycle/build-service';
import type { BuildOutcomeView, ImageDetailView } from '@ami-lifecycle/cli';
import type { FamilyConfig } from '@ami-lifecycle/core';
import type { LocalCloud } from '@ami-lifecycle/local-cloud';
import { amictlOn } from '../../scripts/amictl-on';
import type { LocalPipeline } from '../../scripts/local-pipeline';
import { dynamoDbEndpoint } from '../support/dynamodb-local-env';
import { exampleFamilies, HOME, OTHER, startStage } from './support/stage';

const START = '2026-03-01T09:00:00.000Z';
const GOLDEN = 'golden-al2023';
const BROKEN = 'golden-broken';
const VULNERABLE = 'golden-vulnerable';
const NO_SOURCE = 'golden-no-source';

/** golden-al2023 with one more component after the OS update, named `name`. */
const withComponent = (name: string, commands: string[]): FamilyConfig => {
  const golden = exampleFamilies()[GOLDEN]!;
  return {
    ...golden,
    build: {
      ...golden.build,
      components: [
        ...golden.build.components.filter((c) => c.kind === 'os-update'),
        { name, kind: 'agent', commands, timeoutSeconds: 600 },
      ],
    },
  } as FamilyConfig;
};

/**
 * `amictl build --wait` against the serverless.yml stage on the local cloud, each wait of amictl spending
 * simulated time: a golden build followed to its publication, one whose component fails, one the gate
 * rejects for a CRITICAL CVE, and one refused before anything is put on the bus.
 */
describe('amictl build --wait on the local cloud', () => {
  let cloud: LocalCloud;
  let pipeline: LocalPipeline;
  let amictl: ReturnType<typeof amictlOn>;
  // Unique per run: a DynamoDB Local that kept the table never meets this run's keys.
  const run = Date.now().toString(36);

  beforeAll(async () => {
    ({ cloud, pipeline } = await startStage('e2e-amictl-build', [GOLDEN], START, dynamoDbEndpoint()));
    await pipeline.storeFamilies({
      // dnf finds no such package: the component exits 1 with dnf's error on stderr.
      [BROKEN]: { ...withComponent('broken-agent', ['dnf -y install no-such-agent']), name: BROKEN },
      // httpd 2.4.58 has CVE-2024-38476 (CRITICAL, fixed in 2.4.62) in the local cloud's feed.
      [VULNERABLE]: {
        ...withComponent('old-httpd', ['pkg-install httpd=2.4.58-1.amzn2023']),
        name: VULNERABLE,
      },
      // A source parameter nobody wrote: the build fails before it registers an image.
      [NO_SOURCE]: {
        ...exampleFamilies()[GOLDEN]!,
        name: NO_SOURCE,
        source: { ssmParameter: '/ami-lifecycle/e2e/no-such-parameter' },
      } as FamilyConfig,
    });
    amictl = amictlOn(pipeline, HOME);
  }, 120_000);
  afterAll(() => cloud?.stop());

  it('follows a golden build through its inspection to its publication, a line per step, exit 0', async () => {
    const key = `wait-golden-${run}`;

    const built = await amictl('build', GOLDEN, '--force', '--key', key, '--wait', '--timeout', '3h');

    expect(built.err).toBe('');
    expect(built.code).toBe(0);
    const lines = built.out.split('\n');
    const buildId = buildIdFor(GOLDEN, key);
    expect(lines[0]).toMatch(
      new RegExp(`^Build Requested for ${GOLDEN} \\(event .+, build id ${buildId}\\)$`),
    );
    const steps = lines.slice(1, -1).map((l) => l.replace(/^\S+Z {2}/, ''));
    // Each step once, in the order it happened.
    const order = [
      /^the build service started the build$/,
      /^builder i-\w+ launched for golden-al2023 \S+ \(3 components to run\)$/,
      /^builder i-\w+ running$/,
      /^component os-update \(1 of 3\) sent to the builder, SSM command \S+$/,
      /^component os-update succeeded$/,
      /^component hardening succeeded$/,
      /^builder i-\w+ stopped; creating the image$/,
      /^image created: CreateImage accepted: ami-\w+/,
      /^building -> built: AMI ami-\w+ became available$/,
      /^built -> inspecting: inspection \S+ started$/,
      /^inspecting -> approved \(findings: .*\): /,
      /^approved -> published: /,
      /^channel (latest|stable) now points at \S+: /,
    ];
    let from = 0;
    for (const step of order) {
      const at = steps.findIndex((s, i) => i >= from && step.test(s));
      expect({ step: step.source, found: at >= 0 }).toEqual({ step: step.source, found: true });
      from = at + 1;
    }
    // Registered in the same (simulated) second as the builder is launched: either may be seen first.
    const registered = steps.findIndex((s) =>
      /^golden-al2023 \S+ registered, building: build requested \(manual\) by operator; source ami-\w+/.test(
        s,
      ),
    );
    expect(registered).toBeGreaterThan(0);
    expect(registered).toBeLessThan(steps.findIndex((s) => /^builder i-\w+ running$/.test(s)));
    expect(steps.filter((s) => /^building -> built/.test(s))).toHaveLength(1);
    const image = (await pipeline.imageOfBuild(GOLDEN, buildId))!;
    expect(image.state).toBe('published');
    expect(lines.at(-1)).toBe(
      `${GOLDEN} ${image.version}: published (${OTHER}=${image.amiIds[OTHER]},${HOME}=${image.amiIds[HOME]}; channels latest, stable)`,
    );
    const shown = await amictl('image', 'show', GOLDEN, image.version, '--json');
    expect((JSON.parse(shown.out) as ImageDetailView).buildId).toBe(buildId);
  }, 300_000);

  it('answers a request whose inputs were built already with that image, exit 0, --json saying so', async () => {
    const published = (await pipeline.catalog.listImagesByFamily(GOLDEN, { limit: 10 })).items.find(
      (i) => i.state === 'published',
    )!;

    // No --force: the same source, config and components as the published image.
    const again = await amictl('build', GOLDEN, '--key', `wait-again-${run}`, '--wait', '--json');

    expect(again.code).toBe(0);
    const view = JSON.parse(again.out) as BuildOutcomeView;
    expect(view).toMatchObject({
      outcome: 'published',
      alreadyBuilt: true,
      image: { family: GOLDEN, version: published.version, state: 'published' },
      reason: null,
    });
    expect(view.progress.map((p) => p.text)).toContain(
      `${GOLDEN} ${published.version} was built before from the same request or inputs; it is published`,
    );
    expect((await pipeline.catalog.listImagesByFamily(GOLDEN, { limit: 10 })).items).toHaveLength(1);
  }, 120_000);

  it("exits 1 for a build whose component fails, with the component's error as SSM reported it", async () => {
    const key = `wait-broken-${run}`;

    const built = await amictl('build', BROKEN, '--force', '--key', key, '--wait');

    expect(built.code).toBe(1);
    expect(built.out).toMatch(/component broken-agent \(2 of 2\) sent to the builder/);
    const image = (await pipeline.imageOfBuild(BROKEN, buildIdFor(BROKEN, key)))!;
    expect(image.state).toBe('failed');
    expect(built.err).toBe(`amictl: ${BROKEN} ${image.version}: failed: ${image.reason}`);
    expect(built.err).toMatch(
      /: failed: run-components: ComponentFailedError: component broken-agent failed \(exit code 1\): Error: Unable to find a match: no-such-agent/,
    );
    expect(built.err).not.toMatch(/States\.TaskFailed|BuildFailed/);
  }, 300_000);

  it("exits 1 for a build EC2 refuses to image, with EC2's error", async () => {
    await pipeline.injectFault({
      service: 'ec2',
      operation: 'CreateImage',
      errorRate: 1,
      errorCode: 'InvalidParameterValue',
    });
    let built: Awaited<ReturnType<typeof amictl>>;
    try {
      built = await amictl('build', GOLDEN, '--force', '--key', `wait-no-image-${run}`, '--wait');
    } finally {
      await pipeline.injectFault({ clear: true });
    }

    expect(built.code).toBe(1);
    expect(built.err).toMatch(
      new RegExp(
        `^amictl: ${GOLDEN} \\S+: failed: create-image: InvalidParameterValue: injected fault: ec2:CreateImage failed$`,
      ),
    );
  }, 300_000);

  it('exits 1 for an image the gate rejects, naming the CVE that broke it, and --json carries it', async () => {
    const key = `wait-vulnerable-${run}`;

    const built = await amictl('build', VULNERABLE, '--force', '--key', key, '--wait', '--json');

    expect(built.code).toBe(1);
    expect(built.err).toBe('');
    const view = JSON.parse(built.out) as BuildOutcomeView;
    expect(view).toMatchObject({
      outcome: 'rejected',
      alreadyBuilt: false,
      image: { family: VULNERABLE, state: 'rejected', verdict: 'fail' },
      failingFindings: [{ vulnerabilityId: 'CVE-2024-38476', severity: 'CRITICAL' }],
    });
    expect(view.reason).toBe(
      '1 CRITICAL findings exceed the limit of 0; failing findings: CVE-2024-38476 (CRITICAL)',
    );
    expect(view.progress.map((p) => p.text)).toContainEqual(
      expect.stringMatching(
        /^inspecting -> rejected \(findings: 1 CRITICAL.*\): inspection \S+: fail: 1 CRITICAL findings exceed the limit of 0$/,
      ),
    );
  }, 300_000);

  it('exits 1 for a build that fails before it registers an image, with the reason its execution recorded', async () => {
    const built = await amictl('build', NO_SOURCE, '--force', '--key', `wait-no-source-${run}`, '--wait');

    expect(built.code).toBe(1);
    expect(built.err).toMatch(
      new RegExp(`^amictl: ${NO_SOURCE}: failed: resolve-source: SourceNotFoundError: .*no-such-parameter`),
    );
    expect(built.err).not.toMatch(/BuildFailed|States\./);
    expect((await pipeline.catalog.listImagesByFamily(NO_SOURCE, { limit: 10 })).items).toEqual([]);
  }, 120_000);

  it('prints the request when it loses track of the build (exit 3), and the same key follows the same build again', async () => {
    const key = `wait-lost-${run}`;
    const buildId = buildIdFor(NO_SOURCE, key);
    // The operator's role may not read the build's execution history.
    await pipeline.injectFault({
      service: 'states',
      operation: 'GetExecutionHistory',
      errorRate: 1,
      errorCode: 'AccessDeniedException',
    });
    let lost: Awaited<ReturnType<typeof amictl>>;
    try {
      lost = await amictl('build', NO_SOURCE, '--force', '--key', key, '--wait', '--json');
    } finally {
      await pipeline.injectFault({ clear: true });
    }

    expect(lost.code).toBe(3);
    const view = JSON.parse(lost.out) as BuildOutcomeView;
    expect(view).toMatchObject({
      outcome: 'unknown',
      request: { family: NO_SOURCE, idempotencyKey: key, buildId },
    });
    const follow = `amictl build ${NO_SOURCE} --key ${key} --force --wait`;
    expect(view.reason).toMatch(/^could not follow the build: .* refused the call: AccessDeniedException: /);
    expect(view.reason).toContain(`; its request is on the bus: follow it again with ${follow} `);
    expect(lost.err.split('\n')).toEqual([
      expect.stringMatching(/^amictl: .* refused the call: AccessDeniedException: /),
      expect.stringMatching(/^amictl: the credentials work but may not do this/),
    ]);

    // Followed again as it says: the build id of the first request, its execution's outcome.
    const again = await amictl(...follow.split(' ').slice(1));

    expect(again.code).toBe(1);
    expect(again.out.split('\n')[0]).toMatch(new RegExp(`build id ${buildId}\\)$`));
    expect(again.err).toMatch(
      new RegExp(`^amictl: ${NO_SOURCE}: failed: resolve-source: SourceNotFoundError: .*no-such-parameter`),
    );
    expect(
      pipeline
        .ingested('Build Requested', NO_SOURCE)
        .filter((d) => (d as { idempotencyKey: string }).idempotencyKey === key),
    ).toHaveLength(2);
    expect(await pipeline.describeExecution('build', buildId)).toMatch(
      new RegExp(`^execution ${buildId} FAILED`),
    );
  }, 120_000);

  it('refuses a family without a stored config at once: exit 1, nothing on the bus, no waiting', async () => {
    const before = cloud.clock.nowMillis();

    const refused = await amictl('build', 'golden-nowhere', '--wait');

    expect(refused).toEqual({
      code: 1,
      out: '',
      err: 'amictl: family golden-nowhere has no stored config; run amictl config apply first',
    });
    expect(pipeline.ingested('Build Requested', 'golden-nowhere')).toEqual([]);
    expect(cloud.clock.nowMillis()).toBe(before);
  });
});
