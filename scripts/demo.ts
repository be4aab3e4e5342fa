// The demo behind `npm start`: the example policy stored in the catalog on DynamoDB Local, a year of
// image history written through real lifecycle transitions, and two retention sweeps planned from the
// catalog with a reason for every image. Later stages of the product take over more of this story.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDocumentClient, createTable, DynamoDbCatalog } from '@ami-lifecycle/catalog';
import {
  type AuditContext,
  DAY_MS,
  type FamilyConfig,
  type Hold,
  type Image,
  type LifecycleState,
  nextVersion,
  type Policy,
  parsePolicy,
  planRetention,
  type RetentionPlan,
  type UsageFact,
} from '@ami-lifecycle/core';

export const EXAMPLE_POLICY = join(__dirname, '..', 'examples', 'ami-lifecycle.yaml');

export interface DemoOptions {
  dynamoDbEndpoint: string;
  tableName?: string;
  policyPath?: string;
  now?: Date;
  log?: (line: string) => void;
}

export interface DemoResult {
  policy: Policy;
  images: Image[];
  first: RetentionPlan;
  second: RetentionPlan;
}

const PATH: Record<LifecycleState, LifecycleState[]> = {
  building: [],
  built: ['built'],
  inspecting: ['built', 'inspecting'],
  approved: ['built', 'inspecting', 'approved'],
  rejected: ['built', 'inspecting', 'rejected'],
  failed: ['failed'],
  published: ['built', 'inspecting', 'approved', 'published'],
  deprecated: ['built', 'inspecting', 'approved', 'published', 'deprecated'],
  disabled: ['built', 'inspecting', 'approved', 'published', 'deprecated', 'disabled'],
  retired: ['built', 'inspecting', 'approved', 'published', 'deprecated', 'disabled', 'retired'],
};

/** Deterministic AMI ids for the demo: the same story on every run. */
const amiFor = (n: number) => `ami-0${n.toString(16).padStart(16, '0')}`;

/** Runs the demo; returns what it wrote and planned so tests can check it. */
export const runDemo = async (opts: DemoOptions): Promise<DemoResult> => {
  const log = opts.log ?? ((l: string) => console.log(l));
  const now = opts.now ?? new Date('2026-11-27T09:00:00.000Z');
  const iso = (ms: number) => new Date(ms).toISOString();
  const text = readFileSync(opts.policyPath ?? EXAMPLE_POLICY, 'utf8');
  const policy = parsePolicy(text, opts.policyPath ?? 'examples/ami-lifecycle.yaml');
  const families = Object.values(policy.families) as FamilyConfig[];
  log(
    `Policy valid: ${families.length} families (${families.map((f) => `${f.name} [${f.kind}]`).join(', ')})`,
  );

  const tableName = opts.tableName ?? 'ami-lifecycle-local';
  const client = createDocumentClient({
    endpoint: opts.dynamoDbEndpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await createTable(client, tableName);
  const catalog = new DynamoDbCatalog({ tableName, client });

  for (const f of families) {
    const current = await catalog.getFamilyConfig(f.name);
    await catalog.putFamilyConfig(f.name, f, {
      expectedCurrent: current?.version ?? null,
      at: now.toISOString(),
      by: 'demo',
    });
  }
  log(`Stored the configs in DynamoDB table ${tableName}.`);

  // A year of history: golden images monthly, applications every three weeks on the golden image
  // their parent channel pointed to at the time.
  let amiCounter = 1;
  const images: Image[] = [];
  const audit = (reason: string): AuditContext => ({ actor: 'demo', reason, correlationId: 'demo-history' });
  const register = async (
    family: FamilyConfig,
    createdMs: number,
    finalState: LifecycleState,
    parent?: Image,
  ) => {
    const version = nextVersion(
      family.versioning.scheme,
      images.filter((i) => i.family === family.name).map((i) => i.version),
      new Date(createdMs),
    );
    const amiIds = finalState === 'failed' ? {} : { [policy.regions.home]: amiFor(amiCounter++) };
    const image: Image = {
      family: family.name,
      version,
      state: 'building',
      stateVersion: 0,
      amiIds: {},
      snapshotIds: [],
      vulnerable: false,
      managed: true,
      createdAt: iso(createdMs),
      stateChangedAt: iso(createdMs),
      ...(parent
        ? {
            parent: {
              family: parent.family,
              version: parent.version,
              amiId: Object.values(parent.amiIds)[0],
            },
          }
        : {}),
    };
    await catalog.createImage(image, audit('build requested'));
    let current = image;
    let at = createdMs;
    for (const to of PATH[finalState]) {
      at += to === 'deprecated' || to === 'disabled' ? 20 * DAY_MS : 3_600_000;
      const atIso = iso(Math.min(at, now.getTime() - 3_600_000));
      current = await catalog.transitionImage({
        family: image.family,
        version: image.version,
        from: current.state,
        to,
        expectedStateVersion: current.stateVersion,
        at: atIso,
        audit: audit(`demo history: ${to}`),
        ...(to === 'built' ? { patch: { amiIds } } : {}),
        ...(to === 'published'
          ? { patch: { publishedAt: atIso }, moveChannels: family.publish.channels.slice(0, 1) }
          : {}),
      });
    }
    images.push(current);
    return current;
  };

  const nowMs = now.getTime();
  const goldens = families.filter((f) => f.kind === 'golden');
  const apps = families.filter((f) => f.kind === 'application');
  const latestGolden = new Map<string, Image>();
  for (let month = 12; month >= 0; month--) {
    for (const g of goldens) {
      const createdMs = nowMs - month * 30 * DAY_MS - 2 * DAY_MS;
      // Older images were already walked down by earlier sweeps; one build each year fails its gate.
      const state: LifecycleState =
        month >= 10 ? 'disabled' : month >= 8 ? 'deprecated' : month === 5 ? 'rejected' : 'published';
      const img = await register(g, createdMs, state);
      if (state !== 'rejected') latestGolden.set(g.name, img);
    }
    for (const a of apps) {
      if (a.kind !== 'application') continue;
      for (const week of [3, 0]) {
        const createdMs = nowMs - month * 30 * DAY_MS - week * 7 * DAY_MS;
        if (createdMs >= nowMs) continue;
        const parent = latestGolden.get(a.parent.family);
        const state: LifecycleState =
          month >= 9 ? 'deprecated' : month === 2 && week === 3 ? 'failed' : 'published';
        await register(a, createdMs, state, parent);
      }
    }
  }
  // The stable channel of golden-al2023 lags: it points to the image two months old.
  const stableTarget = images.filter((i) => i.family === 'golden-al2023' && i.state === 'published').at(-3);
  if (stableTarget) {
    await catalog.setChannel('golden-al2023', 'stable', stableTarget.version, {
      expectedRevision: null,
      at: now.toISOString(),
      audit: audit('promote to stable'),
    });
  }
  const held = images.find((i) => i.family === 'payments-api' && i.state === 'deprecated');
  const holds: Hold[] = held
    ? [
        {
          id: 'hold-pci-2026',
          target: { kind: 'image', family: held.family, version: held.version },
          reason: 'PCI evidence for the 2026 audit',
          owner: 'compliance@example.com',
          ticket: 'AUDIT-2026-17',
          createdAt: iso(nowMs - 40 * DAY_MS),
        },
      ]
    : [];
  for (const h of holds) await catalog.putHold(h);
  log(
    `Wrote ${images.length} images through their lifecycle transitions, ${holds.length} legal hold, channels.`,
  );

  // Inventory, read back from the catalog as a sweep does.
  const inventory: Image[] = [];
  const channels: { family: string; name: string; version: string }[] = [];
  const activeHolds: Hold[] = [];
  for (const f of families) {
    let cursor: string | undefined;
    do {
      const page = await catalog.listImagesByFamily(f.name, { limit: 50, ...(cursor ? { cursor } : {}) });
      inventory.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    channels.push(...(await catalog.listChannels(f.name)));
    activeHolds.push(...(await catalog.listHoldsForTarget({ kind: 'family', family: f.name })));
  }
  for (const i of inventory)
    activeHolds.push(
      ...(await catalog.listHoldsForTarget({ kind: 'image', family: i.family, version: i.version })),
    );

  // Usage as the inventory would report it: the newest images run; an old orders-worker image is still
  // in a launch template; everything else is unused.
  const usage: UsageFact[] = inventory.flatMap((i) =>
    Object.values(i.amiIds).map((amiId): UsageFact => {
      const ageDays = (nowMs - Date.parse(i.createdAt)) / DAY_MS;
      if (ageDays < 20) return { amiId, inUse: true, references: [`instance:i-${amiId.slice(5, 22)}`] };
      if (i.family === 'orders-worker' && ageDays > 100 && ageDays < 130) {
        return { amiId, inUse: true, references: ['launch-template:lt-0orders000000001 v7'] };
      }
      return {
        amiId,
        inUse: false,
        references: [],
        lastLaunchedAt: iso(nowMs - (ageDays / 2 + 40) * DAY_MS),
      };
    }),
  );

  const planFor = (sweepId: string, at: Date, previous?: RetentionPlan) =>
    planRetention({
      sweepId,
      images: inventory,
      usage,
      holds: activeHolds,
      channels,
      families: families.map((f) => ({ name: f.name, retention: f.retention })),
      guards: policy.sweep,
      inventoryAt: new Date(at.getTime() - 5 * 60_000),
      previousPlan: previous,
      now: at,
    });
  const first = planFor('sweep-demo-1', now);
  await catalog.savePlan(first);
  printPlan(first, log);
  const later = new Date(nowMs + 21 * DAY_MS);
  const second = planFor('sweep-demo-2', later, first);
  await catalog.savePlan(second);
  log('');
  log(`Three weeks later (${later.toISOString().slice(0, 10)}), the same inventory: what changes`);
  for (const c of second.diff.changed) log(`  ${c.family}@${c.version}: ${c.from} -> ${c.to}`);
  log(
    `  ${second.diff.unchanged} unchanged; guard ${second.guard.status}${second.guard.reasons.length ? `: ${second.guard.reasons.join('; ')}` : ''}`,
  );
  const stored = await catalog.listPlans({ limit: 5 });
  log(`Plans stored in the catalog: ${stored.items.map((p) => p.sweepId).join(', ')}`);
  return { policy, images: inventory, first, second };
};

const printPlan = (plan: RetentionPlan, log: (l: string) => void) => {
  log('');
  log(`Retention plan ${plan.sweepId} at ${plan.generatedAt} (inventory ${plan.inventoryAt})`);
  let family = '';
  for (const d of plan.decisions) {
    if (d.family !== family) {
      family = d.family;
      log(`  ${family}`);
    }
    log(
      `    ${d.version.padEnd(14)} ${d.state.padEnd(10)} ${d.decision.toUpperCase().padEnd(9)} ${d.reasons.map((r) => r.message).join('; ')}`,
    );
  }
  const s = plan.summary;
  log(
    `  keep ${s.keep}, deprecate ${s.deprecate}, disable ${s.disable}, retire ${s.retire}; guard ${plan.guard.status}${plan.guard.reasons.length ? `: ${plan.guard.reasons.join('; ')}` : ''}`,
  );
  log(`  ${plan.actions.length} actions to carry out`);
};
