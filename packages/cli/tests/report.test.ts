import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MemoryEventPublisher, MemoryInventory, MemorySharedUsage } from '@ami-lifecycle/aws/memory';
import { InMemoryCatalog } from '@ami-lifecycle/catalog';
import {
  amiName,
  DAY_MS,
  type FamilyConfig,
  fixedClock,
  imageKey,
  type LifecycleState,
  MANAGED_TAG,
  managedTags,
  organizationConfigOf,
  parsePolicy,
  type RetentionPlan,
  type RetentionPolicyInput,
} from '@ami-lifecycle/core';
import {
  applyBatch,
  type DecommissionDeps,
  finishSweep,
  loadSweepSettings,
  planSweep,
} from '@ami-lifecycle/decommission-service';
import { chromium } from 'playwright-core';
import { InventoryImages } from '../../../services/decommission/tests/support/inventory-images';
import {
  gatherReport,
  REPORT_SWEEPS,
  type ReportData,
  type ReportDeps,
  renderReportHtml,
  runReport,
  UNTAGGED,
} from '../src/report';
import { EXAMPLE } from './support/world';

const CHROMIUM = '/usr/bin/chromium';
const HOME = 'eu-west-1';
const OTHER = 'eu-central-1';
const START = '2026-03-01T10:00:00.000Z';
const OWNER = '111111111111';
const WORKLOADS = '222222222222';
const SCRIPT = '<script>window.__pwned = true</script>';
const IMG = '<img src=x onerror="window.__pwned = true">';

const policy = parsePolicy(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
/** The example's prices, USD per GiB-month, as the test reads them from the policy file itself. */
const PRICES = policy.sweep.snapshotPricePerGiBMonth as Record<string, number>;
const ROOT_GIB = (family: string): number => policy.families[family]!.build.rootVolume.sizeGiB;

/** A short retention for the golden families: the newest image kept, a stage every two days. */
const SHORT: RetentionPolicyInput = {
  keepLatest: 1,
  retainAtLeast: 1,
  disableAfterDeprecatedDays: 2,
  retireAfterDisabledDays: 2,
  inUseGraceDays: 3,
  failedRetireAfterDays: 7,
  maxRetirementsPerRun: 10,
};

/** An image as the test seeds it: where its AMIs are and the size of each AMI's snapshots. */
interface Seed {
  family: string;
  version: string;
  state: LifecycleState;
  createdAt: string;
  regions: string[];
  /** GiB of each snapshot of each of its AMIs. */
  snapshots: number[];
  parent?: { family: string; version: string };
  channels?: string[];
  /** The audit reason of its last transition. */
  reason?: string;
}

const SEEDS: Seed[] = [
  {
    family: 'golden-al2023',
    version: '2026.01.05.1',
    state: 'published',
    createdAt: '2026-01-05T08:00:00.000Z',
    regions: [HOME, OTHER],
    snapshots: [8],
  },
  {
    family: 'golden-al2023',
    version: '2026.02.01.1',
    state: 'published',
    createdAt: '2026-02-01T08:00:00.000Z',
    regions: [HOME, OTHER],
    snapshots: [8],
    channels: ['latest', 'stable'],
  },
  {
    family: 'golden-al2023',
    version: '2026.02.27.1',
    state: 'building',
    createdAt: '2026-02-27T08:00:00.000Z',
    regions: [HOME],
    snapshots: [8],
  },
  {
    family: 'golden-ubuntu',
    version: '24.04.0',
    state: 'published',
    createdAt: '2026-01-02T08:00:00.000Z',
    regions: [HOME],
    snapshots: [10],
  },
  {
    family: 'golden-ubuntu',
    version: '24.04.1',
    state: 'published',
    createdAt: '2026-01-20T08:00:00.000Z',
    regions: [HOME],
    snapshots: [10, 2],
  },
  {
    family: 'golden-ubuntu',
    version: '24.04.2',
    state: 'published',
    createdAt: '2026-02-05T08:00:00.000Z',
    regions: [HOME],
    snapshots: [10],
    channels: ['latest'],
  },
  {
    family: 'golden-ubuntu',
    version: '24.04.3',
    state: 'failed',
    createdAt: '2026-02-10T08:00:00.000Z',
    regions: [HOME],
    snapshots: [10],
    reason: 'a component failed: cloudwatch-agent exited 1',
  },
  {
    family: 'payments-api',
    version: '1.0.0',
    state: 'published',
    createdAt: '2026-01-10T08:00:00.000Z',
    regions: [HOME, OTHER],
    snapshots: [20],
    parent: { family: 'golden-al2023', version: '2026.01.05.1' },
    channels: ['latest', 'stable'],
  },
  {
    family: 'payments-api',
    version: '1.1.0',
    state: 'rejected',
    createdAt: '2026-02-03T08:00:00.000Z',
    regions: [HOME],
    snapshots: [20, 5],
    parent: { family: 'golden-al2023', version: '2026.02.01.1' },
    reason: `rejected by alice: ${IMG}`,
  },
  {
    family: 'payments-api',
    version: '1.2.0',
    state: 'inspecting',
    createdAt: '2026-02-28T08:00:00.000Z',
    regions: [HOME],
    snapshots: [20],
    parent: { family: 'golden-al2023', version: '2026.02.01.1' },
  },
];
const FAMILIES = ['golden-al2023', 'golden-ubuntu', 'orders-worker', 'payments-api'];
const SWEEPS = ['sweep-2026-03-01', 'sweep-2026-03-04', 'sweep-2026-03-07'];

const PATHS: Partial<Record<LifecycleState, LifecycleState[]>> = {
  building: [],
  inspecting: ['built', 'inspecting'],
  published: ['built', 'inspecting', 'approved', 'published'],
  rejected: ['built', 'inspecting', 'rejected'],
  failed: ['failed'],
};

interface Organisation {
  catalog: InMemoryCatalog;
  clock: ReturnType<typeof fixedClock>;
  inventories: Map<string, MemoryInventory>;
  events: MemoryEventPublisher;
  /** The plan each sweep stored, in order. */
  plans: RetentionPlan[];
}

/**
 * The example organisation in memory: its organisation config and four families (the golden ones on a short
 * retention), the images of `SEEDS` walked through their lifecycle with their AMIs and snapshots in EC2, a
 * legal hold whose reason is markup, a workload running payments-api 1.0.0, and three daily sweeps of the
 * decommission service three days apart: deprecate, disable, then retire golden-ubuntu 24.04.1, while the
 * rejected and the failed image are retired at once.
 */
const organisation = async (): Promise<Organisation> => {
  const clock = fixedClock(START);
  const catalog = new InMemoryCatalog();
  const stored = { expectedCurrent: null, at: '2026-01-01T00:00:00.000Z', by: 'test' };
  const organization = organizationConfigOf(policy);
  await catalog.putOrganizationConfig(
    { ...organization, sweep: { ...organization.sweep, afterPolicyChange: 'apply' } },
    stored,
  );
  for (const family of FAMILIES) {
    const config = policy.families[family]!;
    await catalog.putFamilyConfig(
      family,
      family.startsWith('golden-') ? ({ ...config, retention: SHORT } as FamilyConfig) : config,
      stored,
    );
  }
  const inventories = new Map(
    [HOME, OTHER].map((region, i) => [
      region,
      new MemoryInventory({ clock, region, idSeed: (i + 1) * 2 ** 30 }),
    ]),
  );
  const shared = new Map(
    [HOME, OTHER].map((region, i) => [
      region,
      new MemorySharedUsage({ accountId: WORKLOADS, region, idSeed: 2 ** 44 + i * 2 ** 30 }),
    ]),
  );
  const images = new Map([...inventories].map(([region, inv]) => [region, new InventoryImages(inv, clock)]));

  for (const seed of SEEDS) {
    const amiIds = Object.fromEntries(
      seed.regions.map((region) => [
        region,
        inventories.get(region)!.addImage({
          name: amiName(seed.family, seed.version),
          tags: managedTags({ family: seed.family, version: seed.version, buildId: `build-${seed.version}` }),
          creationDate: seed.createdAt,
          snapshots: seed.snapshots.map((sizeGiB) => ({ sizeGiB })),
        }),
      ]),
    );
    const correlationId = `build-${seed.family}-${seed.version}`;
    await catalog.createImage(
      {
        family: seed.family,
        version: seed.version,
        state: 'building',
        stateVersion: 0,
        amiIds,
        snapshotIds: [],
        vulnerable: false,
        managed: true,
        createdAt: seed.createdAt,
        stateChangedAt: seed.createdAt,
        ...(seed.parent === undefined ? {} : { parent: seed.parent }),
      },
      { actor: 'build-service', reason: 'build requested (manual)', correlationId },
    );
    let current = (await catalog.getImage(seed.family, seed.version))!;
    const path = PATHS[seed.state]!;
    for (const [i, to] of path.entries()) {
      current = await catalog.transitionImage({
        family: seed.family,
        version: seed.version,
        from: current.state,
        to,
        expectedStateVersion: current.stateVersion,
        at: new Date(Date.parse(seed.createdAt) + (i + 1) * 600_000).toISOString(),
        audit: {
          actor: `${to}-step`,
          reason: i === path.length - 1 && seed.reason !== undefined ? seed.reason : `to ${to}`,
          correlationId,
        },
        ...(to === 'inspecting' ? { patch: { verdict: seed.state === 'rejected' ? 'fail' : 'pass' } } : {}),
        ...(to === 'published'
          ? { patch: { publishedAt: current.stateChangedAt }, moveChannels: seed.channels ?? [] }
          : {}),
      });
    }
  }
  await catalog.putHold({
    id: 'hold-1',
    target: { kind: 'image', family: 'golden-ubuntu', version: '24.04.0' },
    reason: SCRIPT,
    owner: 'legal@example.com',
    ticket: 'LEGAL-7',
    createdAt: START,
  });
  const payments = (await catalog.getImage('payments-api', '1.0.0'))!;
  shared.get(HOME)!.launchInstance(payments.amiIds[HOME]!);

  const events = new MemoryEventPublisher({ clock });
  const deps: DecommissionDeps = {
    catalog,
    events,
    clock,
    region: HOME,
    images: (region) => images.get(region)!,
    inventory: (region) => inventories.get(region)!,
    sharedUsage: (_account, region) => shared.get(region)!,
  };
  const plans: RetentionPlan[] = [];
  for (const [i, sweepId] of SWEEPS.entries()) {
    if (i > 0) clock.advance(3 * DAY_MS);
    const settings = await loadSweepSettings(catalog);
    const { plan, batches } = await planSweep({ sweepId, dryRun: false }, settings, deps);
    for (const batch of batches) await applyBatch({ sweepId, batch }, deps);
    await finishSweep({ sweepId, dryRun: false }, settings, deps);
    plans.push(plan);
  }
  clock.advance(3_600_000);
  return { catalog, clock, inventories, events, plans };
};

const reportDeps = (org: Organisation, inventory = true): ReportDeps => ({
  catalog: org.catalog,
  clock: org.clock,
  ...(inventory ? { inventory: (region: string) => org.inventories.get(region)! } : {}),
});

const cents = (usd: number) => Math.round(usd * 100) / 100;
const sum = (ns: readonly number[]) => ns.reduce((a, b) => a + b, 0);
const seedOf = (family: string, version: string) =>
  SEEDS.find((s) => s.family === family && s.version === version)!;

/**
 * Per family and region, computed from the seeds and the catalog's states now (what is not retired is
 * stored): measured, every snapshot at its seeded size; estimated, one root volume per AMI copy.
 */
const expectedStorage = async (org: Organisation, basis: 'inventory' | 'config') => {
  const rows = new Map<string, { family: string; region: string; snapshots: number; gib: number }>();
  for (const seed of SEEDS) {
    if ((await org.catalog.getImage(seed.family, seed.version))!.state === 'retired') continue;
    for (const region of seed.regions) {
      const row = rows.get(`${seed.family}|${region}`) ?? {
        family: seed.family,
        region,
        snapshots: 0,
        gib: 0,
      };
      row.snapshots += basis === 'inventory' ? seed.snapshots.length : 1;
      row.gib += basis === 'inventory' ? sum(seed.snapshots) : ROOT_GIB(seed.family);
      rows.set(`${seed.family}|${region}`, row);
    }
  }
  return [...rows.values()]
    .sort((a, b) => a.family.localeCompare(b.family) || a.region.localeCompare(b.region))
    .map((r) => ({
      ...r,
      pricePerGiBMonth: PRICES[r.region]!,
      monthlyCost: cents(r.gib * PRICES[r.region]!),
    }));
};

describe('the report', () => {
  let org: Organisation;
  let data: ReportData;

  beforeAll(async () => {
    org = await organisation();
    data = await gatherReport(reportDeps(org));
  });

  it('is made from a catalog the decommission service really swept', async () => {
    const states = Object.fromEntries(
      await Promise.all(
        SEEDS.map(
          async (s) => [imageKey(s), (await org.catalog.getImage(s.family, s.version))!.state] as const,
        ),
      ),
    );
    expect(states).toMatchObject({
      'golden-ubuntu@24.04.0': 'published',
      'golden-ubuntu@24.04.1': 'retired',
      'golden-ubuntu@24.04.3': 'retired',
      'payments-api@1.1.0': 'retired',
      'payments-api@1.0.0': 'published',
    });
    expect(org.plans.map((p) => p.summary)).toEqual([
      expect.objectContaining({ deprecate: 1, retire: 2 }),
      expect.objectContaining({ disable: 1 }),
      expect.objectContaining({ retire: 1 }),
    ]);
    expect(data.lastSweep?.sweepId).toBe(SWEEPS[2]);
  });

  it('counts snapshot storage per family, region and the owner account, priced as the policy says', async () => {
    const rows = await expectedStorage(org, 'inventory');

    expect(data.storage.basis).toBe('inventory');
    expect(data.storage.ownerAccount).toEqual({ id: OWNER, name: 'tooling' });
    expect(data.storage.rows).toEqual(rows.map((r) => ({ account: OWNER, ...r })));
    // Spot checks by hand: golden-ubuntu keeps 24.04.0 and 24.04.2 (10 GiB each) in eu-west-1 at USD 0.05.
    expect(data.storage.rows.find((r) => r.family === 'golden-ubuntu')).toMatchObject({
      gib: 20,
      monthlyCost: 1,
    });
    expect(data.storage.rows.find((r) => r.family === 'payments-api' && r.region === OTHER)).toMatchObject({
      gib: 20,
      monthlyCost: 1.08,
    });
    for (const family of ['golden-al2023', 'golden-ubuntu', 'payments-api']) {
      const mine = rows.filter((r) => r.family === family);
      expect(data.storage.families.find((f) => f.family === family)).toEqual({
        family,
        gib: sum(mine.map((r) => r.gib)),
        monthlyCost: cents(sum(mine.map((r) => r.gib * r.pricePerGiBMonth))),
      });
    }
    expect(data.storage.total).toEqual({
      gib: sum(rows.map((r) => r.gib)),
      monthlyCost: cents(sum(rows.map((r) => r.gib * r.pricePerGiBMonth))),
    });
    expect(data.storage.sharedAccounts).toEqual([
      { id: WORKLOADS, name: 'workloads', families: ['golden-al2023', 'payments-api'] },
    ]);
    expect(data.families.flatMap((f) => f.images).find((i) => i.version === '24.04.1')?.snapshotGiB).toBe(0);
    expect(data.families.flatMap((f) => f.images).find((i) => i.version === '1.0.0')?.snapshotGiB).toBe(40);
  });

  it('estimates the storage from the family configs when EC2 is not read, and says so', async () => {
    const estimate = await gatherReport(reportDeps(org, false));
    const rows = await expectedStorage(org, 'config');

    expect(estimate.storage.basis).toBe('config');
    expect(estimate.storage.basedOn).toContain('estimate');
    expect(estimate.storage.rows).toEqual(rows.map((r) => ({ account: OWNER, ...r })));
    expect(
      estimate.storage.rows.find((r) => r.family === 'golden-al2023' && r.region === HOME),
    ).toMatchObject({
      snapshots: 3,
      gib: 24,
    });
    expect(estimate.storage.unsized).toEqual([]);
  });

  it('sums what each stored sweep freed and saved, as its Retention Sweep Completed events said', async () => {
    const sent = org.events.published('Retention Sweep Completed').map((e) => e.detail);

    expect(data.sweeps.stored).toBe(3);
    expect(data.sweeps.rows.map((r) => r.sweepId)).toEqual([...SWEEPS].reverse());
    for (const row of data.sweeps.rows) {
      const plan = org.plans.find((p) => p.sweepId === row.sweepId)!;
      const retired = plan.actions
        .filter((a) => a.decision === 'retire')
        .map((a) => seedOf(a.family, a.version));
      const perFamily = [...new Set(retired.map((s) => s.family))].map((family) =>
        cents(
          sum(
            retired
              .filter((s) => s.family === family)
              .flatMap((s) => s.regions.map((region) => sum(s.snapshots) * PRICES[region]!)),
          ),
        ),
      );
      expect(row.gibFreed).toBe(sum(retired.map((s) => sum(s.snapshots) * s.regions.length)));
      expect(row.monthlyCostSaved).toBe(cents(sum(perFamily)));
      const events = sent.filter((e) => e.sweepId === row.sweepId);
      expect(row.gibFreed).toBe(sum(events.map((e) => ('snapshotGiBFreed' in e ? e.snapshotGiBFreed : 0))));
      expect(row.monthlyCostSaved).toBe(
        cents(
          sum(events.map((e) => ('monthlyStorageCostSaved' in e ? e.monthlyStorageCostSaved.amount : 0))),
        ),
      );
      expect(row.done).toBe(plan.actions.length);
    }
    // By hand: the first sweep retired payments-api 1.1.0 (25 GiB) and golden-ubuntu 24.04.3 (10 GiB), the
    // third golden-ubuntu 24.04.1 (12 GiB), all in eu-west-1 at USD 0.05.
    expect(data.sweeps.rows.map((r) => [r.gibFreed, r.monthlyCostSaved])).toEqual([
      [12, 0.6],
      [0, 0],
      [35, 1.75],
    ]);
    expect(data.sweeps.total).toEqual({ gibFreed: 47, monthlyCostSaved: 2.35 });
  });

  it('has each image’s timeline from its audit trail, the sweep’s stages included', () => {
    const ubuntu = data.families.find((f) => f.name === 'golden-ubuntu')!;
    const retired = ubuntu.images.find((i) => i.version === '24.04.1')!;

    expect(retired.timeline.map((t) => t.to ?? t.action)).toEqual([
      'building',
      'built',
      'inspecting',
      'approved',
      'published',
      'deprecated',
      'disabled',
      'retired',
    ]);
    expect(retired.timeline.at(-1)).toMatchObject({
      from: 'disabled',
      to: 'retired',
      actor: 'decommission-service',
    });
    expect(ubuntu.counts).toMatchObject({ published: 2, retired: 2, failed: 0 });
  });

  it('prints its JSON, writes its HTML or says how to get it', async () => {
    const json: string[] = [];
    await runReport(
      reportDeps(org),
      { html: undefined, json: true },
      (l) => json.push(l),
      () => {
        throw new Error('nothing is to be written');
      },
    );
    expect(JSON.parse(json.join('\n'))).toEqual(data);
    expect(Object.keys(JSON.parse(json.join('\n')))).toEqual([
      'generatedAt',
      'families',
      'lineage',
      'lastSweep',
      'storage',
      'sweeps',
    ]);

    const written: { path: string; content: string }[] = [];
    const out: string[] = [];
    await runReport(
      reportDeps(org),
      { html: 'reports/ami.html', json: false },
      (l) => out.push(l),
      (path, content) => written.push({ path, content }),
    );
    expect(written.map((w) => w.path)).toEqual([resolve('reports/ami.html')]);
    expect(written[0]!.content).toBe(await renderReportHtml(data));
    expect(out.at(-1)).toBe(`written: ${resolve('reports/ami.html')}`);
    expect(out).toContain(
      `snapshot storage: ${data.storage.total.gib} GiB, USD ${data.storage.total.monthlyCost.toFixed(2)} a month (EC2's snapshot sizes in eu-west-1, eu-central-1)`,
    );
    expect(out).toContain('past sweeps: 3 stored, 47 GiB freed, USD 2.35 a month saved');

    const summary: string[] = [];
    await runReport(
      reportDeps(org),
      { html: undefined, json: false },
      (l) => summary.push(l),
      () => {
        throw new Error('nothing is to be written');
      },
    );
    expect(summary.slice(0, -1)).toEqual(out.slice(0, -1));
    expect(summary.at(-1)).toBe(
      'the whole report, with the lineage graph and every image’s timeline: amictl report --html FILE',
    );
  });

  it('is one self-contained HTML file that Chromium shows as the catalog is, fetching nothing', async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `${CHROMIUM} is missing: this test renders the report in Debian's chromium; install it (apt-get install chromium), as CI does`,
      );
    const html = await renderReportHtml(data);
    expect(html).not.toMatch(/https?:\/\//);
    // No element that loads anything, no link off the page (markup in the catalog's text is escaped, so `<`
    // starts only the report's own tags).
    expect(html).not.toMatch(
      /<(script|link|iframe|object|embed|img|image|use)\b|<[^>]*\s(src|(xlink:)?href)="(?!#)/i,
    );
    const dir = mkdtempSync(join(tmpdir(), 'ami-report-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, html);
    const url = pathToFileURL(file).href;
    const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const requested: string[] = [];
      await context.route('**', (route) =>
        route.request().url() === url ? route.continue() : route.abort('blockedbyclient'),
      );
      const page = await context.newPage();
      page.on('request', (request) => {
        requested.push(request.url());
      });
      await page.goto(url, { waitUntil: 'load' });
      const screenshot = join(dir, 'report.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      const png = readFileSync(screenshot);
      expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(png.readUInt32BE(16)).toBeGreaterThan(0);
      expect(png.readUInt32BE(20)).toBeGreaterThan(0);

      // Read through Playwright's locators: the DOM as Chromium built it from the file.
      const attributes = async (selector: string, ...names: string[]): Promise<string[]> =>
        Promise.all(
          (await page.locator(selector).all()).map(async (element) =>
            (await Promise.all(names.map(async (name) => (await element.getAttribute(name)) ?? ''))).join(
              ' -> ',
            ),
          ),
        );
      const texts = async (selector: string): Promise<string[]> =>
        Promise.all((await page.locator(selector).all()).map(async (e) => (await e.textContent()) ?? ''));
      const dom = {
        families: await attributes('section.family', 'data-family'),
        nodes: await attributes('#lineage svg g.node', 'data-image'),
        edges: await attributes('#lineage svg g.edge', 'data-parent', 'data-child'),
        titles: await texts('#lineage svg g.node > title'),
        planRows: (await attributes('#plan tbody tr', 'data-image', 'data-decision')).map((r) =>
          r.replace(' -> ', ' '),
        ),
        storageRows: await page.locator('#storage-rows tbody tr').count(),
        savingsRows: await attributes('#savings-rows tbody tr[data-sweep]', 'data-sweep'),
        scripts: await page.locator('script').count(),
        images: await page.locator('img').count(),
        handlers: await page.locator('[onerror], [onload], [onclick]').count(),
        pwned: await page.evaluate('window.__pwned ?? null'),
        held: (await texts('#plan tr[data-image="golden-ubuntu@24.04.0"]')).join(''),
        rejected: (await texts('tr[data-image="payments-api@1.1.0"] ol.timeline')).join(''),
        storageTotal: (await texts('#storage-families tr.total')).join(''),
        savingsTotal: (await texts('#savings-rows tr.total')).join(''),
      };

      expect(requested).toEqual([url]);
      expect(dom.families).toEqual(FAMILIES);
      const catalogImages = SEEDS.map(imageKey).sort();
      expect([...dom.nodes].sort()).toEqual(catalogImages);
      expect([...dom.titles].sort()).toEqual(catalogImages);
      expect([...dom.edges].sort()).toEqual(
        SEEDS.filter((s) => s.parent !== undefined)
          .map((s) => `${imageKey(s.parent!)} -> ${imageKey(s)}`)
          .sort(),
      );
      const plan = (await org.catalog.getPlan(SWEEPS[2]!))!;
      expect(dom.planRows).toEqual(plan.decisions.map((d) => `${imageKey(d)} ${d.decision}`));
      expect(dom.planRows).toContain('golden-ubuntu@24.04.1 retire');
      expect(dom.storageRows).toBe((await expectedStorage(org, 'inventory')).length);
      expect(dom.savingsRows).toEqual([...SWEEPS].reverse());
      expect(dom.storageTotal).toContain(`USD ${data.storage.total.monthlyCost.toFixed(2)}`);
      expect(dom.savingsTotal).toContain('USD 2.35');
      // The markup in the hold's and the rejection's reasons is text on the page, and nothing else.
      expect(dom.held).toContain(`held by legal@example.com (LEGAL-7): ${SCRIPT}`);
      expect(dom.rejected).toContain(`rejected by alice: ${IMG}`);
      expect(dom).toMatchObject({ scripts: 0, images: 0, handlers: 0, pwned: null });
    } finally {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('the report of a small catalog', () => {
  const emptyPlan = (sweepId: string, generatedAt: string): RetentionPlan => ({
    sweepId,
    generatedAt,
    inventoryAt: generatedAt,
    decisions: [],
    guard: { status: 'ok', reasons: [] },
    summary: { keep: 0, deprecate: 0, disable: 0, retire: 0 },
    actions: [],
    diff: { changed: [], added: [], removed: [], unchanged: 0 },
  });

  it('without any policy or image still renders, and says what there is not', async () => {
    const catalog = new InMemoryCatalog();
    const data = await gatherReport({ catalog, clock: fixedClock(START) });

    expect(data).toMatchObject({
      families: [],
      lineage: { images: [], roots: [] },
      lastSweep: null,
      storage: { basis: 'config', rows: [], total: { gib: 0, monthlyCost: 0 }, ownerAccount: { id: null } },
      sweeps: { stored: 0, rows: [], total: { gibFreed: 0, monthlyCostSaved: 0 } },
    });
    const html = await renderReportHtml(data);
    expect(html).toContain('No families: apply a policy first');
    expect(html).toContain('No retention plan is stored yet');
    expect(html).toContain('No sweep is stored yet.');
    expect(html).not.toContain('<svg');
  });

  it('shows the newest sweeps, priced at the default where no organisation config names a price', async () => {
    const catalog = new InMemoryCatalog();
    const count = REPORT_SWEEPS + 2;
    for (let i = 0; i < count; i += 1) {
      const sweepId = `sweep-${String(i).padStart(3, '0')}`;
      await catalog.savePlan(emptyPlan(sweepId, new Date(Date.parse(START) + i * DAY_MS).toISOString()));
      await catalog.saveBatchOutcome(sweepId, 0, {
        done: 1,
        skipped: 0,
        failed: 0,
        problems: [],
        freed: [{ family: 'golden-ubuntu', region: OTHER, gib: 3 }],
        byFamily: [{ family: 'golden-ubuntu', done: 1, skipped: 0, failed: 0 }],
      });
    }

    const { sweeps } = await gatherReport({ catalog, clock: fixedClock(START) });

    expect(sweeps.stored).toBe(count);
    expect(sweeps.rows).toHaveLength(REPORT_SWEEPS);
    expect(sweeps.rows[0]).toMatchObject({
      sweepId: `sweep-${String(count - 1).padStart(3, '0')}`,
      gibFreed: 3,
      monthlyCostSaved: 0.15,
    });
    expect(sweeps.rows.at(-1)?.sweepId).toBe('sweep-002');
    expect(sweeps.total).toEqual({
      gibFreed: 3 * REPORT_SWEEPS,
      monthlyCostSaved: cents(0.15 * REPORT_SWEEPS),
    });
  });

  it('counts managed snapshots without a family tag on their own, in the regions the organisation enables', async () => {
    const clock = fixedClock(START);
    const catalog = new InMemoryCatalog();
    await catalog.putOrganizationConfig(organizationConfigOf(policy), {
      expectedCurrent: null,
      at: START,
      by: 'test',
    });
    const inventory = new MemoryInventory({ clock, region: HOME });
    inventory.addSnapshot({ sizeGiB: 4, tags: { [MANAGED_TAG]: 'true' } });
    inventory.addSnapshot({ sizeGiB: 6, tags: { 'team-tag': 'not ours' } });
    const read: string[] = [];

    const { storage } = await gatherReport({
      catalog,
      clock,
      inventory: (region) => {
        read.push(region);
        return region === HOME ? inventory : new MemoryInventory({ clock, region });
      },
      ownerAccountId: WORKLOADS,
    });

    expect(read).toEqual([HOME, OTHER]);
    expect(storage.ownerAccount).toEqual({ id: WORKLOADS, name: 'workloads' });
    expect(storage.rows).toEqual([
      {
        account: WORKLOADS,
        family: UNTAGGED,
        region: HOME,
        snapshots: 1,
        gib: 4,
        pricePerGiBMonth: PRICES[HOME],
        monthlyCost: 0.2,
      },
    ]);
  });
});
