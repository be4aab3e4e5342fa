import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  ChannelView,
  ConfigDiffView,
  ConfigValidationView,
  DeadLetterView,
  FamilyView,
  HoldView,
  ImageDetailView,
  ImageView,
  LineageGraph,
  RefreshPlanView,
  ReportData,
  RetentionShowView,
} from '@ami-lifecycle/cli';
import type { Image, RefreshDecision, RetentionPlan } from '@ami-lifecycle/core';
import type { LocalCloud } from '@ami-lifecycle/local-cloud';
import { DescribeImageAttributeCommand, EC2Client } from '@aws-sdk/client-ec2';
import { amictlOn } from '../../scripts/amictl-on';
import type { LocalPipeline } from '../../scripts/local-pipeline';
import { dynamoDbEndpoint } from '../support/dynamodb-local-env';
import { HOME, OTHER, ROOT, startStage } from './support/stage';

const EXAMPLE = join(ROOT, 'examples', 'ami-lifecycle.yaml');
const example = readFileSync(EXAMPLE, 'utf8');
const START = '2026-03-01T09:00:00.000Z';
const GOLDEN = 'golden-al2023';
const APP = 'payments-api';

/** The example with golden-al2023 on a larger builder and without golden-ubuntu. */
const EDITED = example
  .replace('instanceType: t3.medium', 'instanceType: t3.large')
  .replace(/\n {2}golden-ubuntu:\n[\s\S]*?(?=\n {2}payments-api:\n)/, '');
/** Policy files by name; any other path is the file itself. */
const FILES: Record<string, string> = {
  'broken.yaml': example.replace('instanceType: t3.medium', 'instanceType: 42'),
  'edited.yaml': EDITED,
};

const json = <T>(run: { code: number; out: string }): T => {
  expect(run.code).toBe(0);
  return JSON.parse(run.out) as T;
};

/**
 * Every amictl command against a stage of serverless.yml on the local cloud, through the same wiring an
 * operator has (`scripts/amictl-on.ts`): its answer, its refusals and its `--json` shape. The stage starts
 * empty: amictl applies the example policy, builds golden-al2023 (published with no command after the
 * request), and the refresh service builds payments-api on it, which then waits for a person.
 */
describe('amictl against the local cloud', () => {
  let cloud: LocalCloud;
  let pipeline: LocalPipeline;
  let amictl: ReturnType<typeof amictlOn>;
  let golden: Image;
  let waiting: Image;

  beforeAll(async () => {
    ({ cloud, pipeline } = await startStage('e2e-amictl', [], START, dynamoDbEndpoint()));
    amictl = amictlOn(pipeline, HOME, {
      readFile: (path) => FILES[path] ?? readFileSync(path, 'utf8'),
      user: 'alice',
    });
  }, 120_000);
  afterAll(() => cloud?.stop());

  /** Runs the clock (bounded) until `find` answers an image. */
  const until = async (what: string, find: () => Promise<Image | undefined>): Promise<Image> => {
    let found: Image | undefined;
    await pipeline.advanceUntil(
      what,
      async () => {
        found = await find();
        return found !== undefined;
      },
      { maxSeconds: 6 * 3600, stepSeconds: 60 },
    );
    return found!;
  };

  describe('config and build', () => {
    it('validates the example (and --json), and refuses a bad file with every problem by path, exit 1', async () => {
      const valid = await amictl('config', 'validate', EXAMPLE);
      expect(valid).toMatchObject({ code: 0, err: '' });
      expect(valid.out).toBe(
        `${EXAMPLE}: valid, 4 families (golden-al2023, golden-ubuntu, payments-api, orders-worker)`,
      );
      expect(json<ConfigValidationView>(await amictl('config', 'validate', EXAMPLE, '--json'))).toEqual({
        file: EXAMPLE,
        valid: true,
        families: ['golden-al2023', 'golden-ubuntu', 'payments-api', 'orders-worker'],
        problems: [],
        warnings: [],
      });
      const invalid = await amictl('config', 'validate', 'broken.yaml', '--json');
      expect(invalid.code).toBe(1);
      expect(JSON.parse(invalid.out)).toMatchObject({
        valid: false,
        problems: [expect.objectContaining({ path: 'families.golden-al2023.build.instanceType' })],
      });
    });

    it('refuses to apply a bad policy with every problem named, and stores nothing', async () => {
      const applied = await amictl('config', 'apply', 'broken.yaml');

      expect(applied.code).toBe(1);
      expect(applied.err).toMatch(/broken\.yaml.*families\.golden-al2023\.build\.instanceType/s);
      expect(await pipeline.catalog.getFamilyConfig(GOLDEN)).toBeUndefined();
      expect(await pipeline.catalog.getOrganizationConfig()).toBeUndefined();
    });

    it('refuses a build of a family that has no stored config, and puts nothing on the bus', async () => {
      const built = await amictl('build', GOLDEN);

      expect(built).toEqual({
        code: 1,
        out: '',
        err: `amictl: family ${GOLDEN} has no stored config; run amictl config apply first`,
      });
      expect(pipeline.ingested('Build Requested')).toEqual([]);
    });

    it('diffs the example against the empty stage: every config added, nothing written', async () => {
      const diff = json<ConfigDiffView>(await amictl('config', 'diff', EXAMPLE, '--json'));

      expect(diff).toEqual({
        file: EXAMPLE,
        changes: true,
        organization: { status: 'added', storedVersion: null, fields: [] },
        families: ['golden-al2023', 'golden-ubuntu', 'payments-api', 'orders-worker'].map((name) => ({
          name,
          status: 'added',
          storedVersion: null,
          fields: [],
        })),
      });
      expect(await pipeline.catalog.getFamilyConfig(GOLDEN)).toBeUndefined();
    });

    it('applies the policy once (a second apply changes nothing), then config diff has no changes', async () => {
      const first = await amictl('config', 'apply', EXAMPLE);
      expect(first.code).toBe(0);
      expect(first.out.split('\n')).toEqual([
        'organization config: stored as version 1',
        'golden-al2023: stored as version 1',
        'golden-ubuntu: stored as version 1',
        'payments-api: stored as version 1',
        'orders-worker: stored as version 1',
      ]);
      const second = await amictl('config', 'apply', EXAMPLE);
      expect(second.out).toContain('golden-al2023: unchanged (version 1)');

      const diff = await amictl('config', 'diff', EXAMPLE);
      expect(diff.code).toBe(0);
      expect(diff.out.split('\n').at(-1)).toBe('no changes: config apply would store nothing');
      expect((await pipeline.catalog.getFamilyConfig(GOLDEN))?.storedBy).toBe('alice');
    });

    it('diffs a file that changes a field and drops a family: changed, removed (kept by apply), exit 0, nothing written', async () => {
      const diff = await amictl('config', 'diff', 'edited.yaml');

      expect(diff.code).toBe(0);
      expect(diff.out.split('\n')).toEqual([
        'unchanged organization config (version 1)',
        'changed   golden-al2023: version 1 -> 2, 1 field:',
        '    build.instanceType: "t3.medium" -> "t3.large"',
        'unchanged payments-api (version 1)',
        'unchanged orders-worker (version 1)',
        'removed   golden-ubuntu (stored version 1): not in the file; apply leaves its stored config as it is ' +
          '(it never deletes a family), and its images stay managed',
        '0 added, 1 changed, 2 unchanged, 1 removed (kept as stored)',
      ]);
      const shaped = json<ConfigDiffView>(await amictl('config', 'diff', 'edited.yaml', '--json'));
      expect(shaped.families).toEqual([
        {
          name: GOLDEN,
          status: 'changed',
          storedVersion: 1,
          fields: [{ path: 'build.instanceType', change: 'changed', old: 't3.medium', new: 't3.large' }],
        },
        { name: APP, status: 'unchanged', storedVersion: 1, fields: [] },
        { name: 'orders-worker', status: 'unchanged', storedVersion: 1, fields: [] },
        { name: 'golden-ubuntu', status: 'removed', storedVersion: 1, fields: [] },
      ]);
      expect((await pipeline.catalog.getFamilyConfig(GOLDEN))?.version).toBe(1);
      const invalid = await amictl('config', 'diff', 'broken.yaml');
      expect(invalid.code).toBe(1);
      expect(invalid.err).toMatch(/families\.golden-al2023\.build\.instanceType/);
    });

    it('lists the families (table and --json)', async () => {
      const table = await amictl('families', 'list');
      expect(table.code).toBe(0);
      expect(table.out.split('\n')[0]).toMatch(/^FAMILY +KIND +BASE +CONFIG +CHANNELS +IMAGES +STORED$/);
      expect(table.out).toMatch(/\npayments-api +application +golden-al2023:stable +v1 +- +- +\S+ by alice/);
      const families = json<FamilyView[]>(await amictl('families', 'list', '--json'));
      expect(families.map((f) => f.name)).toEqual(['golden-al2023', 'golden-ubuntu', 'orders-worker', APP]);
      expect(families[0]).toEqual({
        name: GOLDEN,
        kind: 'golden',
        base: 'ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
        configVersion: 1,
        storedAt: START,
        storedBy: 'alice',
        channels: {},
        images: {},
        configError: null,
      });
    });

    it('starts a build by its event (--json: the request), which the build service takes', async () => {
      const built = await amictl('build', GOLDEN, '--key', 'cli-build-1', '--json');

      const request = json<{ buildId: string; idempotencyKey: string; requestedBy: string }>(built);
      expect(request).toMatchObject({ idempotencyKey: 'cli-build-1', requestedBy: 'alice' });
      expect(request.buildId).toMatch(/^build-/);
      golden = await until(`${GOLDEN} published`, async () => {
        const image = await pipeline.imageOfBuild(GOLDEN, request.buildId);
        return image?.state === 'published' ? image : undefined;
      });
      const audit = (await pipeline.catalog.listAudit(golden.family, golden.version, { limit: 1 })).items[0];
      expect(audit?.reason).toContain('build requested (manual) by alice');
      // The publication on stable makes the refresh service build payments-api on it, which waits for a person.
      waiting = await until(`${APP} waiting for approval`, async () =>
        (await pipeline.catalog.listImagesByFamily(APP, { limit: 10 })).items.find(
          (i) => i.state === 'inspecting' && i.verdict === 'pass',
        ),
      );
    }, 300_000);
  });

  describe('reading images and channels', () => {
    it('lists images (table and --json), and refuses an unknown family or state', async () => {
      const table = await amictl('images', 'list', '--family', GOLDEN);
      expect(table.out.split('\n')).toEqual([
        expect.stringMatching(/^FAMILY +VERSION +STATE +VERDICT +VULNERABLE +CHANNELS +CREATED +AMIS$/),
        expect.stringMatching(
          new RegExp(
            `^${GOLDEN} +${golden.version} +published +pass +no +latest,stable +\\S+ +${OTHER}=ami-\\w+,${HOME}=ami-\\w+$`,
          ),
        ),
      ]);
      const images = json<ImageView[]>(await amictl('images', 'list', '--json'));
      const mine = images.find((i) => i.family === GOLDEN)!;
      expect(mine).toEqual({
        family: GOLDEN,
        version: golden.version,
        state: 'published',
        amiIds: { [HOME]: expect.stringMatching(/^ami-/), [OTHER]: expect.stringMatching(/^ami-/) },
        parent: null,
        verdict: 'pass',
        vulnerable: false,
        buildReason: 'manual',
        channels: ['latest', 'stable'],
        createdAt: golden.createdAt,
        stateChangedAt: expect.any(String),
      });
      expect(images.find((i) => i.family === APP && i.version === waiting.version)).toMatchObject({
        state: 'inspecting',
        parent: { family: GOLDEN, version: golden.version, amiId: golden.amiIds[HOME] },
        buildReason: 'parent-published',
      });
      expect(
        json<ImageView[]>(await amictl('images', 'list', '--state', 'published', '--json')).map(
          (i) => i.state,
        ),
      ).not.toContain('inspecting');
      expect(await amictl('images', 'list', '--family', 'nosuch')).toEqual({
        code: 1,
        out: '',
        err: 'amictl: family nosuch is unknown: it has no stored config and no images',
      });
      const badState = await amictl('images', 'list', '--state', 'shiny');
      expect(badState.code).toBe(2);
      expect(badState.err.split('\n')[1]).toBe('(see amictl images list --help)');
    });

    it('shows an image with its audit trail (lines and --json), and refuses an unknown version', async () => {
      const lines = await amictl('image', 'show', GOLDEN, golden.version);
      expect(lines.out.split('\n')[0]).toMatch(new RegExp(`^${GOLDEN}@${golden.version}: published since `));
      expect(lines.out).toMatch(/\ntimeline \(\d+\):\n/);
      const shown = json<ImageDetailView>(await amictl('image', 'show', GOLDEN, golden.version, '--json'));
      expect(Object.keys(shown).sort()).toEqual(
        [
          'family',
          'version',
          'state',
          'amiIds',
          'parent',
          'verdict',
          'vulnerable',
          'buildReason',
          'channels',
          'createdAt',
          'stateChangedAt',
          'stateVersion',
          'buildId',
          'configVersion',
          'sourceAmiId',
          'findings',
          'approver',
          'publishedAt',
          'timeline',
        ].sort(),
      );
      expect(shown).toMatchObject({ buildId: golden.buildId, configVersion: 1, approver: 'auto' });
      expect(shown.timeline.map((t) => [t.from, t.to]).filter(([f, t]) => f || t)).toEqual([
        [null, 'building'],
        ['building', 'built'],
        ['built', 'inspecting'],
        ['inspecting', 'approved'],
        ['approved', 'published'],
      ]);
      for (const entry of shown.timeline)
        expect(Object.keys(entry).sort()).toEqual(['action', 'actor', 'at', 'from', 'reason', 'to']);
      expect(await amictl('image', 'show', GOLDEN, '9.9.9')).toEqual({
        code: 1,
        out: '',
        err: `amictl: image ${GOLDEN}@9.9.9 does not exist; ${GOLDEN} has ${golden.version}`,
      });
    });

    it('shows the channels (lines and --json), and refuses a family without a config', async () => {
      const lines = await amictl('channel', 'show', GOLDEN);
      expect(lines.out).toMatch(new RegExp(`^latest -> ${GOLDEN}@${golden.version} \\(revision 1, `));
      const channels = json<ChannelView[]>(await amictl('channel', 'show', GOLDEN, '--json'));
      expect(channels.map((c) => [c.name, c.version, c.revision])).toEqual([
        ['latest', golden.version, 1],
        ['stable', golden.version, 1],
      ]);
      expect(channels[0]).toEqual({
        name: 'latest',
        version: golden.version,
        amiIds: golden.amiIds,
        updatedAt: expect.any(String),
        updatedBy: expect.any(String),
        revision: 1,
        history: [
          {
            revision: 1,
            version: golden.version,
            updatedAt: expect.any(String),
            updatedBy: expect.any(String),
          },
        ],
      });
      expect(await amictl('channel', 'show', 'nosuch')).toEqual({
        code: 1,
        out: '',
        err: 'amictl: family nosuch has no stored config; run amictl config apply first',
      });
    });
  });

  describe('lineage and report', () => {
    it('draws the lineage as a tree, mermaid, dot and --json, and refuses an unknown family', async () => {
      const tree = await amictl('lineage');
      expect(tree.code).toBe(0);
      const lines = tree.out.split('\n');
      const root = lines.findIndex((l) => l === `${GOLDEN} ${golden.version} (published)`);
      expect(root).toBeGreaterThanOrEqual(0);
      expect(lines.slice(root + 1)).toContain(`└── ${APP} ${waiting.version} (inspecting)`);

      const graph = json<LineageGraph>(await amictl('lineage', APP, '--json'));
      expect(graph.roots).toEqual([{ family: GOLDEN, version: golden.version }]);
      expect(graph.images.find((i) => i.family === APP && i.version === waiting.version)).toMatchObject({
        state: 'inspecting',
        inCatalog: true,
        parent: { family: GOLDEN, version: golden.version },
        children: [],
      });
      expect(graph.images.find((i) => i.family === GOLDEN)).toMatchObject({
        children: [{ family: APP, version: waiting.version }],
      });

      const dot = await amictl('lineage', '--format', 'dot');
      expect(dot.out).toMatch(/^digraph /);
      expect(dot.out).toContain(`"${GOLDEN}@${golden.version}" -> "${APP}@${waiting.version}"`);
      const mermaid = await amictl('lineage', '--format', 'mermaid');
      expect(mermaid.code).toBe(0);
      expect(mermaid.out).toContain('-->');

      expect(await amictl('lineage', 'nosuch')).toEqual({
        code: 1,
        out: '',
        err: expect.stringMatching(/^amictl: family nosuch is unknown: .*golden-al2023/),
      });
      expect((await amictl('lineage', '--format', 'svg')).code).toBe(2);
    });

    it('writes the HTML report and prints its path, and gives its data with --json', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'amictl-report-'));
      try {
        const file = join(dir, 'estate.html');
        const written = await amictl('report', '--html', file);
        expect(written.code).toBe(0);
        expect(written.out).toContain(file);
        const html = readFileSync(file, 'utf8');
        expect(html).toMatch(/^<!DOCTYPE html>/i);
        expect(html).toContain(`data-image="${GOLDEN}@${golden.version}"`);
        expect(html).toContain(`data-image="${APP}@${waiting.version}"`);
        expect(html).not.toMatch(/\b(src|href)="https?:/);

        const data = json<ReportData>(await amictl('report', '--json'));
        expect(data.families.map((f) => f.name)).toEqual(expect.arrayContaining([GOLDEN, APP]));
        expect(data.lineage.images.filter((i) => i.inCatalog).length).toBe(
          json<ImageView[]>(await amictl('images', 'list', '--json')).length,
        );
        expect(data.lastSweep).toBeNull();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('decisions of a person', () => {
    it('refuses what cannot be approved, rejected or rolled back, changing nothing', async () => {
      const unknown = await amictl('approve', APP, '9.9.9', '--reason', 'ok');
      expect(unknown.code).toBe(1);
      expect(unknown.err).toMatch(/^amictl: .*9\.9\.9/);
      const published = await amictl('approve', GOLDEN, golden.version, '--reason', 'ok');
      expect(published.code).toBe(1);
      expect(published.err).toMatch(/^amictl: .*published/);
      const noReason = await amictl('reject', APP, waiting.version);
      expect(noReason).toEqual({
        code: 2,
        out: '',
        err: "amictl: required option '--reason <text>' not specified\n(see amictl reject --help)",
      });
      const rollback = await amictl('channel', 'rollback', GOLDEN, 'nightly', '--reason', 'x');
      expect(rollback.code).toBe(1);
      expect(rollback.err).toMatch(/^amictl: .*nightly/);
      expect((await pipeline.catalog.getImage(APP, waiting.version))?.state).toBe('inspecting');
    });

    it('approves the waiting payments-api with who and why', async () => {
      const approved = await amictl('approve', APP, waiting.version, '--reason', 'signed off', '--by', 'bob');

      expect(approved).toEqual({
        code: 0,
        out: `${APP}@${waiting.version}: approved (Image Approved sent)`,
        err: '',
      });
      const shown = json<ImageDetailView>(await amictl('image', 'show', APP, waiting.version, '--json'));
      expect(shown.timeline.find((t) => t.to === 'approved')).toMatchObject({
        action: 'transition',
        from: 'inspecting',
        to: 'approved',
        actor: 'bob',
        reason: 'approved by bob: signed off',
      });
    });
  });

  describe('holds', () => {
    let holdId: string;

    it('places a hold on the golden image, protecting its AMI in both regions', async () => {
      const placed = await amictl(
        'hold',
        'add',
        '--image',
        `${GOLDEN}@${golden.version}`,
        '--reason',
        'litigation LIT-42',
        '--owner',
        'legal@example.com',
      );

      expect(placed.code).toBe(0);
      expect(placed.out).toMatch(
        new RegExp(
          `^hold-\\w+ placed on image ${GOLDEN}@${golden.version} \\(deregistration protection on for 2 AMIs\\)$`,
        ),
      );
      holdId = placed.out.split(' ')[0]!;
      for (const region of [HOME, OTHER]) {
        const attribute = await new EC2Client({ ...cloud.clientConfig, region }).send(
          new DescribeImageAttributeCommand({
            ImageId: golden.amiIds[region],
            Attribute: 'deregistrationProtection',
          }),
        );
        expect(attribute.DeregistrationProtection?.Value).toMatch(/^enabled/);
      }
    });

    it('refuses a hold on an unknown image or with an expiry in the past, storing nothing', async () => {
      const unknown = await amictl(
        'hold',
        'add',
        '--image',
        `${GOLDEN}@9.9.9`,
        '--reason',
        'r',
        '--owner',
        'o',
      );
      expect(unknown.code).toBe(1);
      expect(unknown.err).toMatch(/^amictl: .*9\.9\.9/);
      const past = await amictl(
        'hold',
        'add',
        '--family',
        GOLDEN,
        '--reason',
        'r',
        '--owner',
        'o',
        '--expires',
        '2020-01-01T00:00:00Z',
      );
      expect(past.code).toBe(1);
      expect(past.err).toMatch(/^amictl: .*2020-01-01T00:00:00Z/);
      expect(json<HoldView[]>(await amictl('hold', 'list', '--json'))).toHaveLength(1);
    });

    it('lists the holds (table and --json)', async () => {
      const table = await amictl('hold', 'list');
      expect(table.out.split('\n')).toEqual([
        expect.stringMatching(/^ID +TARGET +OWNER +TICKET +CREATED +EXPIRES +REASON$/),
        expect.stringMatching(
          new RegExp(
            `^${holdId} +image ${GOLDEN}@${golden.version} +legal@example.com +- +\\S+ +- +litigation LIT-42$`,
          ),
        ),
      ]);
      expect(json<HoldView[]>(await amictl('hold', 'list', '--json'))).toEqual([
        {
          id: holdId,
          target: { kind: 'image', family: GOLDEN, version: golden.version },
          reason: 'litigation LIT-42',
          owner: 'legal@example.com',
          ticket: null,
          createdAt: expect.any(String),
          expiresAt: null,
          expired: false,
        },
      ]);
    });

    it('releases the hold, lifting the protection, and refuses an unknown hold id', async () => {
      const released = await amictl('hold', 'remove', holdId, '--reason', 'case closed');
      expect(released.code).toBe(0);
      expect(released.out).toMatch(
        new RegExp(
          `^${holdId} on image ${GOLDEN}@${golden.version} released at \\S+ \\(deregistration protection lifted from 2 AMIs\\)$`,
        ),
      );
      expect(await amictl('hold', 'list')).toEqual({ code: 0, out: 'no holds in force', err: '' });
      const unknown = await amictl('hold', 'remove', 'hold-nosuch', '--reason', 'x');
      expect(unknown.code).toBe(1);
      expect(unknown.err).toMatch(/^amictl: .*hold-nosuch/);
    });
  });

  describe('refresh', () => {
    it('plans a refresh (table and --json) and writes nothing', async () => {
      const before = pipeline.ingested('Build Requested').length;
      const table = await amictl('refresh', 'plan');
      expect(table.code).toBe(0);
      expect(table.out.split('\n')[0]).toMatch(/^FAMILY +DECISION +TRIGGER +WHY$/);
      expect(table.out.split('\n').at(-1)).toMatch(
        /would be requested, \d+ skipped, \d+ famil(y|ies) with nothing to do$/,
      );
      const plan = json<RefreshPlanView>(await amictl('refresh', 'plan', '--json'));
      expect(Object.keys(plan).sort()).toEqual([
        'decisions',
        'idle',
        'maxBuildsPerTrigger',
        'now',
        'unreadable',
      ]);
      expect(plan.now).toBe(cloud.clock.now().toISOString());
      expect(plan.idle).toContainEqual({ family: GOLDEN, current: golden.version });
      expect(pipeline.ingested('Build Requested')).toHaveLength(before);
    });

    it("shows a family's recorded decisions (table and --json), and refuses an unknown family", async () => {
      const decisions = json<RefreshDecision[]>(await amictl('refresh', 'history', APP, '--json'));
      expect(decisions[0]).toMatchObject({
        family: APP,
        trigger: 'parent-published',
        outcome: 'requested',
        triggerImage: { family: GOLDEN, version: golden.version },
      });
      const table = await amictl('refresh', 'history', APP, '--limit', '1');
      expect(table.out.split('\n')[0]).toMatch(/^DECIDED +TRIGGER +OUTCOME +REQUEST +WHY$/);
      expect(table.out).toMatch(/\n\S+ +parent-published:golden-al2023@\S+ +requested +\S+ +/);
      expect(await amictl('refresh', 'history', 'nosuch')).toEqual({
        code: 1,
        out: '',
        err: 'amictl: family nosuch is unknown: it has no stored config and no refresh decisions',
      });
    });
  });

  describe('retention', () => {
    it('says so when no plan is stored yet (lines and --json)', async () => {
      expect(await amictl('retention', 'show')).toEqual({
        code: 0,
        out: 'no retention plan is stored yet (amictl retention apply starts a sweep)',
        err: '',
      });
      expect(await amictl('retention', 'show', '--json')).toEqual({ code: 0, out: 'null', err: '' });
      const unknown = await amictl('retention', 'show', 'sweep-nosuch');
      expect(unknown).toEqual({
        code: 1,
        out: '',
        err: 'amictl: retention plan sweep-nosuch is not in the catalog: no plan is stored yet',
      });
    });

    it('previews a plan from live inventory (lines and --json), storing nothing', async () => {
      const lines = await amictl('retention', 'plan');
      expect(lines.code).toBe(0);
      expect(lines.out).toMatch(
        /^retention plan as of \S+, inventory read \S+ \(a preview: nothing stored, nothing changed\)\n/,
      );
      expect(lines.out).toMatch(new RegExp(`\\n${GOLDEN} +${golden.version} +published +keep +`));
      const plan = json<RetentionPlan>(await amictl('retention', 'plan', '--family', GOLDEN, '--json'));
      expect(plan.sweepId).toMatch(/^preview-/);
      expect(plan.decisions).toEqual([
        expect.objectContaining({
          family: GOLDEN,
          version: golden.version,
          decision: 'keep',
          reasons: expect.arrayContaining([expect.objectContaining({ code: 'channel-target' })]),
        }),
      ]);
      expect((await pipeline.catalog.listPlans({ limit: 1 })).items).toEqual([]);
      const unknown = await amictl('retention', 'plan', '--family', 'nosuch');
      expect(unknown.code).toBe(1);
    });

    it('refuses a sweep nobody confirmed, then starts a dry-run sweep, whose stored plan it shows (lines and --json)', async () => {
      const unconfirmed = await amictl('retention', 'apply');
      expect(unconfirmed.code).toBe(1);
      expect(unconfirmed.err).toMatch(
        /^amictl: nothing started: the sweep sweep-manual-\S+ was not confirmed$/,
      );

      const started = await amictl('retention', 'apply', '--yes', '--dry-run');
      expect(started.code).toBe(0);
      const sweepId = /^dry-run sweep (\S+) started/.exec(started.out)?.[1];
      expect(sweepId).toMatch(/^sweep-manual-dry-run-/);
      await pipeline.minuteByMinute(
        `the plan of ${sweepId}`,
        async () => (await pipeline.catalog.getPlan(sweepId!)) !== undefined,
        { maxSeconds: 1800, describe: () => pipeline.describeExecution('decommission', sweepId!) },
      );

      const shown = await amictl('retention', 'show', sweepId!);
      expect(shown.out.split('\n')[0]).toMatch(
        new RegExp(`^retention plan ${sweepId}: made \\S+, inventory read \\S+$`),
      );
      const view = json<RetentionShowView>(await amictl('retention', 'show', '--json'));
      expect(view.plan.sweepId).toBe(sweepId);
      expect(Object.keys(view).sort()).toEqual(['actions', 'plan']);
      for (const action of view.actions)
        expect(Object.keys(action).sort()).toEqual([
          'current',
          'decision',
          'done',
          'family',
          'from',
          'target',
          'version',
        ]);
    }, 120_000);
  });

  describe('events', () => {
    it('lists the dead letters (table and --json)', async () => {
      expect(await amictl('events', 'rejected')).toEqual({
        code: 0,
        out: 'No dead letters: every event was taken.',
        err: '',
      });
      await pipeline.put('Build Requested', {
        schemaVersion: 1,
        family: GOLDEN,
        correlationId: 'corr-bad',
        idempotencyKey: 'bad-1',
        occurredAt: cloud.clock.now().toISOString(),
        reason: 'manual',
        requestedBy: 'e2e',
        force: 'yes',
      });
      await cloud.clock.advance(0);

      const table = await amictl('events', 'rejected');
      expect(table.out.split('\n')).toEqual([
        expect.stringMatching(/^SENT +KIND +BY +EVENT +FAMILY +FIELDS +WHY$/),
        expect.stringMatching(
          /^\S+ +rejected +ami-lifecycle-e2e-amictl-requestBuild +Build Requested +golden-al2023 +detail\.force +/,
        ),
      ]);
      const listed = json<DeadLetterView[]>(await amictl('events', 'rejected', '--json'));
      expect(listed).toEqual([
        {
          messageId: expect.any(String),
          sentAt: expect.any(String),
          kind: 'rejected',
          by: 'ami-lifecycle-e2e-amictl-requestBuild',
          detailType: 'Build Requested',
          family: GOLDEN,
          why: expect.stringContaining('detail.force'),
          fields: ['detail.force'],
          event: expect.objectContaining({ 'detail-type': 'Build Requested' }),
        },
      ]);
    });
  });
});
