// One retention sweep projected to fleet scale: 50,000 images, each with a copy in 3 regions, shared with
// 10 accounts. For each step of the decommission state machine (statemachines/decommission.asl.yaml) it
// counts the requests the code makes (services/decommission/src/use-cases, packages/aws/src), projects each
// Lambda invocation's duration against its timeout, counts the execution's history events and state
// transitions, and prices the sweep.
//
// What is measured and what is projected:
// - measured, in a fresh process per day: the EC2-free CPU work of the plan step (the readings decoded as
//   `getInventoryParts` does, merged, the previous plan read back, the planner, the plan's items written) and
//   of one apply batch's plan read, with peak RSS; and the readings' gzip as the region step stores them;
// - projected: everything that waits on EC2 or DynamoDB, from the request counts and the named assumptions
//   below. EC2 time is the token buckets' (the product's `Ec2Pacer` on a virtual clock) plus an assumed
//   latency per request; the bound is the token-bucket lower bound of bench/decommission-sweep.ts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { EC2_REQUEST_BUCKETS, Ec2Pacer, IMAGE_REFERENCES_BATCH, type PacerClock } from '@ami-lifecycle/aws';
import {
  batchOutcomeKey,
  INVENTORY_PIECE_BYTES,
  INVENTORY_TTL_DAYS,
  imageKeys,
  inventoryPartToItems,
  inventoryPieceKey,
  MAX_PAGE_SIZE,
  planDecisionKey,
  planSummaryKeys,
} from '@ami-lifecycle/catalog';
import {
  type BatchOutcome,
  DAY_MS,
  type Hold,
  type Image,
  type ImageDecision,
  type InventoryPart,
  imageDecisionSchema,
  imageSchema,
  inventoryPartSchema,
  LIFECYCLE_STATES,
  mergeInventoryParts,
  type PlanInput,
  planRetention,
  type RetentionPlan,
  retentionPlanSchema,
  retentionPolicySchema,
  sweepGuardsSchema,
  type UsageFact,
} from '@ami-lifecycle/core';
import { ACTIONS_PER_BATCH } from '@ami-lifecycle/decommission-service';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { z } from 'zod';
import { tokenBucketBound } from './decommission-sweep';
import { prng } from './world';

// ---- Assumptions ------------------------------------------------------------------------------------------

/** The fleet: every number the projection rests on, printed with the results. */
export const FLEET = {
  /** Catalog images not retired; each has one AMI in every region (150,000 AMIs). */
  images: 50_000,
  /** The organisation's enabled regions, the home region (catalog, state machine, Lambda) first. */
  regions: ['eu-west-1', 'us-east-1', 'ap-southeast-2'],
  /** Families, each with images/families images; every family is shared with every account. */
  families: 200,
  /** Accounts the images are shared with, each with a role, enabled in every region. */
  sharedAccounts: 10,
  /** Launch templates per shared account and region. */
  launchTemplatesPerAccountRegion: 500,
  /** Versions per launch template: all of them fit one DescribeLaunchTemplateVersions page (200). */
  versionsPerTemplate: 10,
  /** Every listing answers in one page per request (instances per 200 AMIs, references per 10 AMIs). */
  pagesPerFilteredCall: 1,
  /** EBS snapshots per AMI, and their size. */
  snapshotsPerAmi: 1,
  snapshotGiB: 8,
  /** The newest images of each family, kept by `keepLatest`; 2 of them in use. */
  keepLatest: 5,
  /** Grace periods of the families' retention policy, days. */
  disableAfterDeprecatedDays: 30,
  retireAfterDisabledDays: 30,
  /**
   * Of the images the policy keeps past keepLatest, in tenths: published and in use, deprecated in use,
   * disabled in use, deprecated within its grace, disabled within its grace. About 30% of AMIs are in use.
   */
  keepMix: {
    publishedInUse: 2,
    deprecatedInUse: 2,
    disabledInUse: 2,
    deprecatedPending: 7,
    disabledPending: 7,
  },
  /** References per AMI in use, in each region: two instances and a launch template version. */
  referencesPerUsedAmi: 3,
  /** Image holds, as a share of the images kept anyway (so the day's action counts stay exact). */
  heldShare: 0.005,
  /** Minutes between the first region's reading and the plan (the staleness guard allows 60). */
  inventoryAgeAtPlanMinutes: 15,
} as const;

export type DayName = 'typical' | 'backlog';

/** The two days projected: how many images each decision acts on, and the guards raised to allow it. */
export const DAYS: Record<
  DayName,
  { deprecate: number; disable: number; retire: number; guard: number; familyCap: number; label: string }
> = {
  /** 1% of the images acted on, in equal thirds. */
  typical: {
    label: 'typical day',
    deprecate: 167,
    disable: 167,
    retire: 166,
    guard: 500,
    familyCap: 10,
  },
  /** bench/decommission-sweep.ts's 20%: 10,000 retirements in one sweep, plus the day's other actions. */
  backlog: {
    label: 'backlog day',
    deprecate: 167,
    disable: 167,
    retire: 10_000,
    guard: 10_000,
    familyCap: 100,
  },
};

/** Times that are assumed, not measured: each request's round trip and transfer. */
export const LATENCY = {
  /** One EC2 request answering a filtered handful (from Lambda in the home region, any region's endpoint). */
  ec2RequestMs: 100,
  /** One EC2 page of 1,000 images or snapshots (DescribeImages, DescribeSnapshots). */
  ec2PageMs: 1_000,
  /** One DynamoDB request, plus transfer per MB of items read or written. */
  dynamoRequestMs: 10,
  dynamoMsPerMb: 50,
  /** One EventBridge PutEvents, one STS AssumeRole. */
  eventsMs: 30,
  stsMs: 100,
} as const;

/**
 * Lambda as deployed (serverless.yml: arm64, 512 MB and 60 s unless a function says otherwise;
 * services/decommission/functions.yml). CPU measured here on one core is scaled by 1,769 MB / memory: Lambda
 * gives a function one vCPU's worth at 1,769 MB and proportionally less below it.
 */
export const LAMBDA = {
  fullVcpuMb: 1769,
  prepare: { memoryMb: 512, timeoutS: 60 },
  inventory: { memoryMb: 1024, timeoutS: 900 },
  plan: { memoryMb: 1024, timeoutS: 900 },
  apply: { memoryMb: 512, timeoutS: 900 },
  complete: { memoryMb: 512, timeoutS: 900 },
  start: { memoryMb: 512, timeoutS: 60 },
} as const;

/**
 * List prices, us-east-1 (the home region eu-west-1 is the same for Step Functions and Lambda, about 13%
 * higher for DynamoDB on demand): https://aws.amazon.com/step-functions/pricing/,
 * https://aws.amazon.com/lambda/pricing/, https://aws.amazon.com/dynamodb/pricing/on-demand/,
 * https://aws.amazon.com/eventbridge/pricing/. EC2 API calls are free.
 */
export const PRICES = {
  stateTransition: 0.025 / 1000,
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecondArm: 0.0000133334,
  lambdaGbSecondX86: 0.0000166667,
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  customEvent: 1 / 1e6,
} as const;

/** Step Functions Standard quotas: https://docs.aws.amazon.com/step-functions/latest/dg/limits.html. */
export const SFN_LIMITS = { historyEvents: 25_000, payloadBytes: 262_144 } as const;

/** DynamoDB: one item at most 400 KB; a Query page at most 1 MB; BatchWriteItem 25 items. */
const DYNAMO = { itemBytes: 400 * 1024, pageBytes: 1024 * 1024, batchWrite: 25 } as const;

const NOW = new Date('2026-12-01T06:00:00.000Z');
const SWEEP_ID = 'sweep-2026-12-01';
const PREVIOUS_SWEEP_ID = 'sweep-2026-11-30';
const HOME = FLEET.regions[0];

// ---- The synthetic fleet --------------------------------------------------------------------------------------

type Role =
  | 'newest-in-use'
  | 'newest'
  | 'deprecate'
  | 'disable'
  | 'retire'
  | 'published-in-use'
  | 'deprecated-in-use'
  | 'disabled-in-use'
  | 'deprecated-pending'
  | 'disabled-pending';

const KEEP_PATTERN: Role[] = [
  ...Array<Role>(FLEET.keepMix.publishedInUse).fill('published-in-use'),
  ...Array<Role>(FLEET.keepMix.deprecatedInUse).fill('deprecated-in-use'),
  ...Array<Role>(FLEET.keepMix.disabledInUse).fill('disabled-in-use'),
  ...Array<Role>(FLEET.keepMix.deprecatedPending).fill('deprecated-pending'),
  ...Array<Role>(FLEET.keepMix.disabledPending).fill('disabled-pending'),
];
const IN_USE: ReadonlySet<Role> = new Set([
  'newest-in-use',
  'published-in-use',
  'deprecated-in-use',
  'disabled-in-use',
]);

const hex = (n: number, width = 17) => n.toString(16).padStart(width, '0');
const accountId = (a: number) => String(210_000_000_000 + a * 1_111);
const familyName = (f: number) => `team-${String(f).padStart(3, '0')}-service-ami`;

interface World {
  input: Omit<PlanInput, 'usage' | 'previousPlan'>;
  factsByRegion: Record<string, UsageFact[]>;
  /** Home-region facts the own-inspection discount reads the audit trail for (not in use, launched lately). */
  auditReads: number;
}

/**
 * The day's fleet. Roles are dealt so that the planner decides exactly the day's deprecations, disables and
 * retirements (spread round-robin over the families, within their caps), and keeps the rest for the
 * reasons a real fleet does: among the newest, in use, or within a grace.
 */
const buildWorld = (day: DayName): World => {
  const d = DAYS[day];
  const rand = prng(day === 'typical' ? 501 : 502);
  const nowMs = NOW.getTime();
  const iso = (ms: number) => new Date(ms).toISOString();
  const perFamily = FLEET.images / FLEET.families;
  const acts = Array.from({ length: FLEET.families }, () => [] as Role[]);
  let k = 0;
  for (const [role, n] of [
    ['deprecate', d.deprecate],
    ['disable', d.disable],
    ['retire', d.retire],
  ] as const)
    for (let i = 0; i < n; i++) acts[k++ % FLEET.families]!.push(role);

  const images: Image[] = [];
  const holds: Hold[] = [];
  const channels: { family: string; name: string; version: string }[] = [];
  const factsByRegion: Record<string, UsageFact[]> = Object.fromEntries(FLEET.regions.map((r) => [r, []]));
  let ami = 0x0a000000;
  let auditReads = 0;
  for (let f = 0; f < FLEET.families; f++) {
    const family = familyName(f);
    const roles: Role[] = [...acts[f]!];
    for (let i = 0; roles.length < perFamily - FLEET.keepLatest; i++)
      roles.push(KEEP_PATTERN[i % KEEP_PATTERN.length]!);
    for (let i = roles.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [roles[i], roles[j]] = [roles[j]!, roles[i]!];
    }
    for (let i = 0; i < perFamily; i++) {
      const role: Role =
        i < 2 ? 'newest-in-use' : i < FLEET.keepLatest ? 'newest' : roles[i - FLEET.keepLatest]!;
      const createdMs = nowMs - (60 + i * 2 + rand()) * DAY_MS;
      const changedMs =
        role === 'disable' || role === 'retire'
          ? nowMs - 45 * DAY_MS
          : role === 'deprecated-in-use' || role === 'disabled-in-use'
            ? nowMs - 60 * DAY_MS
            : role === 'deprecated-pending' || role === 'disabled-pending'
              ? nowMs - (1 + rand() * 27) * DAY_MS
              : createdMs + DAY_MS;
      const state =
        role === 'disable' || role === 'deprecated-in-use' || role === 'deprecated-pending'
          ? 'deprecated'
          : role === 'retire' || role === 'disabled-in-use' || role === 'disabled-pending'
            ? 'disabled'
            : 'published';
      const amiIds: Record<string, string> = {};
      const snapshotIds: string[] = [];
      for (const region of FLEET.regions) {
        const id = hex(ami++);
        amiIds[region] = `ami-${id}`;
        for (let s = 0; s < FLEET.snapshotsPerAmi; s++) snapshotIds.push(`snap-${hex(ami * 4 + s)}`);
      }
      const version = `2026.${Math.floor(i / 100)}.${i % 100}`;
      const image: Image = {
        family,
        version,
        state,
        stateVersion: state === 'published' ? 4 : state === 'deprecated' ? 5 : 6,
        amiIds,
        snapshotIds,
        sourceAmiId: `ami-${hex(0x0f00 + (f % 40))}`,
        buildId: `build-${hex(ami, 12)}-${hex(f * 1000 + i, 8)}`,
        buildReason: 'scheduled',
        configVersion: 3,
        verdict: 'pass',
        vulnerable: false,
        managed: true,
        createdAt: iso(createdMs),
        stateChangedAt: iso(changedMs),
        publishedAt: iso(createdMs + DAY_MS),
      };
      images.push(image);
      if (i === 0) channels.push({ family, name: 'latest', version });
      if (i === 1) channels.push({ family, name: 'stable', version });
      if ((role === 'deprecated-pending' || role === 'disabled-pending') && rand() < FLEET.heldShare / 0.7) {
        holds.push({
          id: `hold-${family}-${version}`,
          target: { kind: 'image', family, version },
          reason: 'incident investigation',
          owner: 'security@example.com',
          ticket: `SEC-${images.length}`,
          createdAt: iso(nowMs - 10 * DAY_MS),
        });
      }
      const inUse = IN_USE.has(role);
      for (const region of FLEET.regions) {
        const amiId = amiIds[region]!;
        const fact: UsageFact = { amiId, inUse, references: [] };
        if (inUse) {
          const account = accountId(Math.floor(rand() * FLEET.sharedAccounts));
          for (let r = 0; r < FLEET.referencesPerUsedAmi - 1; r++)
            fact.references.push(`arn:aws:ec2:${region}:${account}:instance/i-${hex(ami * 8 + r)}`);
          fact.references.push(
            `arn:aws:ec2:${region}:${account}:launch-template/lt-${hex(ami * 8 + 7)} version ${1 + (ami % 9)}`,
          );
          fact.references.sort();
          fact.lastSeenInUseAt = NOW.toISOString();
          fact.lastLaunchedAt = iso(nowMs - rand() * 5 * DAY_MS);
        } else if (role === 'newest' && region === HOME) {
          // Re-inspected weekly: its home AMI was launched by the inspect service's own test instance.
          fact.lastLaunchedAt = iso(nowMs - 3 * DAY_MS);
          auditReads += 1;
        } else if (role === 'deprecate' && region === HOME) {
          // Published and re-inspected too; the own-inspection discount drops that launch (counted here).
          auditReads += 1;
        } else if (role !== 'deprecate' && rand() < 0.5) {
          fact.lastLaunchedAt = iso(nowMs - (60 + rand() * 340) * DAY_MS);
        }
        factsByRegion[region]!.push(fact);
      }
    }
  }
  const policy = retentionPolicySchema.parse({
    keepLatest: FLEET.keepLatest,
    retainAtLeast: 2,
    disableAfterDeprecatedDays: FLEET.disableAfterDeprecatedDays,
    retireAfterDisabledDays: FLEET.retireAfterDisabledDays,
    maxRetirementsPerRun: d.familyCap,
  });
  return {
    input: {
      sweepId: SWEEP_ID,
      images,
      holds,
      channels,
      families: Array.from({ length: FLEET.families }, (_, f) => ({
        name: familyName(f),
        retention: policy,
      })),
      guards: sweepGuardsSchema.parse({ maxRetirementsPerRun: d.guard, maxInventoryAgeMinutes: 60 }),
      inventoryAt: new Date(NOW.getTime() - FLEET.inventoryAgeAtPlanMinutes * 60_000),
      now: NOW,
    },
    factsByRegion,
    auditReads,
  };
};

// ---- DynamoDB items as the catalog stores them, on the wire ------------------------------------------------

const META = new Set(['PK', 'SK', 'GSI1PK', 'GSI1SK', 'GSI2PK', 'GSI2SK', 'entity']);
const body = (item: Record<string, unknown>, extra: readonly string[] = []) =>
  Object.fromEntries(Object.entries(item).filter(([k]) => !META.has(k) && !extra.includes(k)));

/** An item's size as DynamoDB counts it: attribute names plus values (strings UTF-8, numbers ~digits/2). */
export const dynamoItemBytes = (item: Record<string, unknown>): number => {
  const value = (v: unknown): number => {
    if (typeof v === 'string') return Buffer.byteLength(v);
    if (typeof v === 'number') return Math.ceil(String(v).replace(/[-.]/g, '').length / 2) + 1;
    if (typeof v === 'boolean' || v === null) return 1;
    if (v instanceof Uint8Array) return v.byteLength;
    if (Array.isArray(v)) return 3 + v.reduce((s: number, x) => s + 1 + value(x), 0);
    if (typeof v === 'object' && v !== null)
      return 3 + Object.entries(v).reduce((s, [k, x]) => s + Buffer.byteLength(k) + 1 + value(x), 0);
    return 0;
  };
  return Object.entries(item).reduce((s, [k, v]) => s + Buffer.byteLength(k) + value(v), 0);
};

const imageItem = (image: Image) => ({ ...image, ...imageKeys(image), entity: 'image' });

/** The catalog's plan items (packages/catalog/src/items.ts planToItems): one summary, one item per decision. */
const planItems = (plan: RetentionPlan) => {
  const { decisions, actions, ...rest } = plan;
  const byImage = new Map(
    actions.map((action, actionIndex) => [`${action.family}@${action.version}`, { action, actionIndex }]),
  );
  return {
    summary: {
      ...rest,
      decisionCount: decisions.length,
      actionCount: actions.length,
      ...planSummaryKeys(plan),
      entity: 'plan-summary',
    },
    decisions: decisions.map((decision, index) => ({
      index,
      decision,
      ...byImage.get(`${decision.family}@${decision.version}`),
      ...planDecisionKey(plan.sweepId, decision),
      entity: 'plan-decision',
    })),
  };
};

const wire = (items: readonly Record<string, unknown>[]): string =>
  JSON.stringify(items.map((i) => marshall(i, { removeUndefinedValues: true })));

/** Binary attributes travel base64 in DynamoDB's JSON protocol; the SDK decodes them to bytes. */
const wireWithBinary = (items: readonly Record<string, unknown>[]): string =>
  JSON.stringify(
    items.map((i) => {
      const { data, ...rest } = i;
      return data instanceof Uint8Array
        ? { ...marshall(rest), data: { B: Buffer.from(data).toString('base64') } }
        : marshall(i);
    }),
  );
const fromWire = (text: string): Record<string, unknown>[] =>
  (JSON.parse(text) as Record<string, { B?: string }>[]).map((raw) => {
    const item = raw as Record<string, unknown>;
    const data = raw.data;
    if (data !== undefined && typeof data.B === 'string') item.data = { B: Buffer.from(data.B, 'base64') };
    return unmarshall(item as Parameters<typeof unmarshall>[0]);
  });

const planDecisionItemSchema = z.strictObject({
  index: z.number().int().nonnegative(),
  decision: imageDecisionSchema,
  actionIndex: z.number().int().nonnegative().optional(),
  action: imageDecisionSchema.optional(),
});
const planSummarySchema = retentionPlanSchema.omit({ decisions: true, actions: true }).extend({
  decisionCount: z.number().int().nonnegative(),
  actionCount: z.number().int().nonnegative(),
});

/** A plan back from its items, as the catalog's `assemblePlan` does (parse, order, check). */
const assemblePlan = (items: readonly Record<string, unknown>[]): RetentionPlan => {
  const summaryItem = items.find((i) => i.SK === 'SUMMARY')!;
  const { decisionCount, actionCount, ...summary } = planSummarySchema.parse(body(summaryItem));
  const parts = items.filter((i) => i !== summaryItem).map((i) => planDecisionItemSchema.parse(body(i)));
  const decisions = [...parts].sort((a, b) => a.index - b.index);
  const actions = parts
    .flatMap((p) => (p.action === undefined ? [] : [{ action: p.action, at: p.actionIndex ?? -1 }]))
    .sort((a, b) => a.at - b.at);
  if (decisions.length !== decisionCount || actions.length !== actionCount)
    throw new Error('plan items missing');
  return { ...summary, decisions: decisions.map((d) => d.decision), actions: actions.map((a) => a.action) };
};

/** A region's reading back from its head and pieces, as the catalog's `assembleInventoryPart` does. */
const assembleReading = (items: readonly Record<string, unknown>[]): InventoryPart => {
  const head = items.find((i) => i.entity === 'inventory-part')!;
  // The head names its reading, whose id keys the pieces (items.ts inventoryPartToItems).
  const prefix = inventoryPieceKey(
    String(head.sweepId),
    String(head.region),
    String(head.reading),
    0,
  ).SK.slice(0, -10);
  const pieces = items
    .filter((p) => typeof p.SK === 'string' && p.SK.startsWith(prefix))
    .sort((a, b) => String(a.SK).localeCompare(String(b.SK)));
  if (pieces.length !== head.pieces) throw new Error('inventory pieces missing');
  const parsed = JSON.parse(
    gunzipSync(Buffer.concat(pieces.map((p) => p.data as Uint8Array))).toString('utf8'),
  );
  return inventoryPartSchema.parse({
    ...parsed,
    sweepId: head.sweepId,
    region: head.region,
    startedAt: head.startedAt,
    finishedAt: head.finishedAt,
  });
};

// ---- Measurements, each in a fresh process ---------------------------------------------------------------

const gc = () => (globalThis as { gc?: () => void }).gc?.();
const since = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const maxRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);
const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : sum(xs) / xs.length);

export interface PreparedDay {
  imageItemBytes: number;
  auditReads: number;
  holds: number;
  inventory: {
    region: string;
    facts: number;
    jsonBytes: number;
    gzipBytes: number;
    pieces: number;
    toItemsMs: number;
  }[];
  previousPlanBytes: number;
}

/**
 * The day's stored state, written to `dir` as DynamoDB would answer it: the images, every region's reading
 * (head and gzipped pieces, timing `inventoryPartToItems`), and yesterday's plan.
 */
const prepare = (day: DayName, dir: string): PreparedDay => {
  const world = buildWorld(day);
  const imageItems = world.input.images.map(imageItem);
  writeFileSync(join(dir, 'images.json'), wire(imageItems));
  const inventory: PreparedDay['inventory'] = [];
  for (const region of FLEET.regions) {
    const facts = world.factsByRegion[region]!;
    const part: InventoryPart = {
      sweepId: SWEEP_ID,
      region,
      startedAt: new Date(NOW.getTime() - 15 * 60_000).toISOString(),
      finishedAt: new Date(NOW.getTime() - 5 * 60_000).toISOString(),
      facts,
      untracked: [],
      missing: [],
      unknown: [],
    };
    const t0 = process.hrtime.bigint();
    const { head, pieces } = inventoryPartToItems(part);
    const toItemsMs = since(t0);
    writeFileSync(join(dir, `inventory-${region}.json`), wireWithBinary([...pieces, head]));
    inventory.push({
      region,
      facts: facts.length,
      jsonBytes: Buffer.byteLength(JSON.stringify({ facts, untracked: [], missing: [], unknown: [] })),
      gzipBytes: Number(head.bytes),
      pieces: pieces.length,
      toItemsMs,
    });
  }
  const usage = Object.values(world.factsByRegion).flat();
  const previous = planRetention({ ...world.input, sweepId: PREVIOUS_SWEEP_ID, usage });
  const { summary, decisions } = planItems(previous);
  writeFileSync(join(dir, 'previous-plan.json'), wire([summary, ...decisions]));
  writeFileSync(
    join(dir, 'context.json'),
    JSON.stringify({
      holds: world.input.holds,
      channels: world.input.channels,
      families: world.input.families,
      guards: world.input.guards,
    }),
  );
  return {
    imageItemBytes: mean(imageItems.map(dynamoItemBytes)),
    auditReads: world.auditReads,
    holds: world.input.holds.length,
    inventory,
    previousPlanBytes: sum([summary, ...decisions].map(dynamoItemBytes)),
  };
};

export interface PlanMeasurement {
  phasesMs: Record<string, number>;
  totalMs: number;
  maxRssMb: number;
  decisions: number;
  summary: RetentionPlan['summary'];
  guard: RetentionPlan['guard'];
  actions: number;
  batches: number;
  /** Batches by their mix of deprecations, disables and retirements ("d,s,r"). */
  mixes: Record<string, number>;
  maxFamiliesPerBatch: number;
  decisionItemBytes: { total: number; mean: number; max: number; writeUnits: number };
  summaryItemBytes: number;
  diffEntries: number;
  /** JSON bytes of the plan step's answer (no unreadable config), and at its 20 lines of 300 characters. */
  plannedOutputBytes: number;
  plannedOutputMaxBytes: number;
  /** The largest answer of one ApplyBatch (counts only; the Map keeps none of them: ResultPath null). */
  maxBatchAnswerBytes: number;
  /**
   * The batches' outcome items (`SWEEP#<id>` / `BATCH#<n>`, one PutItem each), as each batch writes it
   * with no problem reported, and with its 10 problem lines at their 500 characters (the most it can be).
   */
  batchOutcomeItemBytes: {
    total: number;
    max: number;
    writeUnits: number;
    totalWithProblems: number;
    maxWithProblems: number;
    writeUnitsWithProblems: number;
  };
}

/** A batch's outcome as the catalog stores it (packages/catalog/src/items.ts batchOutcomeToItem). */
const batchOutcomeItem = (batch: number, outcome: BatchOutcome) => ({
  ...outcome,
  ...batchOutcomeKey(SWEEP_ID, batch),
  entity: 'batch-outcome',
  batch,
  ttl: Math.floor(NOW.getTime() / 1000) + INVENTORY_TTL_DAYS * 86_400,
});
/** apply-batch.ts: at most 10 problem lines a batch, each at most 500 characters. */
const BATCH_PROBLEMS = { lines: 10, chars: 500 } as const;
/** complete-sweep.ts: the sweep's outcome keeps the first 50 problem lines of all the batches. */
const SWEEP_PROBLEMS = 50;
/** plan-sweep.ts's handler: at most 20 unreadable configs named, each at most 300 characters. */
const UNREADABLE_CONFIGS = { lines: 20, chars: 300 } as const;

/** The plan step's EC2-free work on the stored state, timed phase by phase; the plan's items written back. */
const measurePlan = (dir: string): PlanMeasurement => {
  const ctx = JSON.parse(readFileSync(join(dir, 'context.json'), 'utf8')) as Pick<
    PlanInput,
    'holds' | 'channels' | 'families' | 'guards'
  >;
  const imagesText = readFileSync(join(dir, 'images.json'), 'utf8');
  const readingTexts = FLEET.regions.map((r) => readFileSync(join(dir, `inventory-${r}.json`), 'utf8'));
  const previousText = readFileSync(join(dir, 'previous-plan.json'), 'utf8');
  gc();
  const phasesMs: Record<string, number> = {};
  const phase = <T>(name: string, run: () => T): T => {
    const t0 = process.hrtime.bigint();
    const out = run();
    phasesMs[name] = since(t0);
    return out;
  };
  const images = phase('catalog images read (unmarshall + schema)', () =>
    fromWire(imagesText).map((item) => imageSchema.parse(body(item))),
  );
  const parts = phase('3 readings read (base64 + gunzip + JSON + schema)', () =>
    readingTexts.map((t) => assembleReading(fromWire(t))),
  );
  const merged = phase('readings merged', () => mergeInventoryParts(parts));
  const previous = phase('previous plan read (unmarshall + schema, 1 item per decision)', () =>
    assemblePlan(fromWire(previousText)),
  );
  const usage = merged.facts;
  const plan = phase('planRetention', () =>
    planRetention({
      sweepId: SWEEP_ID,
      images,
      usage,
      holds: ctx.holds,
      channels: ctx.channels,
      families: ctx.families,
      guards: ctx.guards,
      inventoryAt: merged.inventoryAt,
      previousPlan: previous,
      now: NOW,
    }),
  );
  phase('plan checked (schema)', () => retentionPlanSchema.parse(plan));
  const items = phase('plan items built and marshalled', () => {
    const { summary, decisions } = planItems(plan);
    const text = wire([summary, ...decisions]);
    return { summary, decisions, text };
  });
  const totalMs = sum(Object.values(phasesMs));
  const rss = maxRssMb();
  writeFileSync(join(dir, 'plan.json'), items.text);

  // What the machine carries: the plan step's answer and each batch's (apply-batch.ts); what each batch
  // stores: its outcome, one item per batch.
  const batches = Math.ceil(plan.actions.length / ACTIONS_PER_BATCH);
  const mixes: Record<string, number> = {};
  let maxFamilies = 0;
  const answers: string[] = [];
  const outcomeBytes: number[] = [];
  const outcomeBytesWithProblems: number[] = [];
  for (let b = 0; b < batches; b++) {
    const chunk = plan.actions.slice(b * ACTIONS_PER_BATCH, (b + 1) * ACTIONS_PER_BATCH);
    const count = (d: ImageDecision['decision']) => chunk.filter((a) => a.decision === d).length;
    const mix = `${count('deprecate')},${count('disable')},${count('retire')}`;
    mixes[mix] = (mixes[mix] ?? 0) + 1;
    maxFamilies = Math.max(maxFamilies, new Set(chunk.map((a) => a.family)).size);
    const freed = new Map<string, { family: string; region: string; gib: number }>();
    for (const a of chunk) {
      if (a.decision !== 'retire') continue;
      for (const region of FLEET.regions) {
        const key = `${a.family}|${region}`;
        const f = freed.get(key) ?? { family: a.family, region, gib: 0 };
        f.gib += FLEET.snapshotsPerAmi * FLEET.snapshotGiB;
        freed.set(key, f);
      }
    }
    const byFamily = new Map<string, BatchOutcome['byFamily'][number]>();
    for (const a of chunk) {
      const c = byFamily.get(a.family) ?? { family: a.family, done: 0, skipped: 0, failed: 0 };
      c.done += 1;
      byFamily.set(a.family, c);
    }
    const outcome: BatchOutcome = {
      done: chunk.length,
      skipped: 0,
      failed: 0,
      problems: [],
      freed: [...freed.values()],
      byFamily: [...byFamily.values()],
    };
    answers.push(JSON.stringify({ done: outcome.done, skipped: outcome.skipped, failed: outcome.failed }));
    outcomeBytes.push(dynamoItemBytes(batchOutcomeItem(b, outcome)));
    // The most a batch can store: 10 of its actions skipped, each with a line of 500 characters.
    const problems = Math.min(BATCH_PROBLEMS.lines, chunk.length);
    outcomeBytesWithProblems.push(
      dynamoItemBytes(
        batchOutcomeItem(b, {
          ...outcome,
          done: chunk.length - problems,
          skipped: problems,
          problems: Array.from({ length: problems }, () => 'x'.repeat(BATCH_PROBLEMS.chars)),
        }),
      ),
    );
  }
  const planned = {
    batches: Array.from({ length: batches }, (_, i) => i),
    actions: plan.actions.length,
    guard: plan.guard,
    summary: plan.summary,
    inventoryAt: plan.inventoryAt,
    drift: { untracked: 0, missing: 0 },
    unreadableConfigs: [] as string[],
  };
  const plannedMax = {
    ...planned,
    unreadableConfigs: Array.from({ length: UNREADABLE_CONFIGS.lines }, () =>
      'x'.repeat(UNREADABLE_CONFIGS.chars),
    ),
  };
  const decisionBytes = items.decisions.map(dynamoItemBytes);
  return {
    phasesMs,
    totalMs,
    maxRssMb: rss,
    decisions: plan.decisions.length,
    summary: plan.summary,
    guard: plan.guard,
    actions: plan.actions.length,
    batches,
    mixes,
    maxFamiliesPerBatch: maxFamilies,
    decisionItemBytes: {
      total: sum(decisionBytes),
      mean: mean(decisionBytes),
      max: Math.max(...decisionBytes),
      writeUnits: sum(decisionBytes.map((b) => Math.ceil(b / 1024))),
    },
    summaryItemBytes: dynamoItemBytes(items.summary),
    diffEntries: plan.diff.changed.length + plan.diff.added.length + plan.diff.removed.length,
    plannedOutputBytes: Buffer.byteLength(JSON.stringify(planned)),
    plannedOutputMaxBytes: Buffer.byteLength(JSON.stringify(plannedMax)),
    maxBatchAnswerBytes: Math.max(0, ...answers.map((o) => Buffer.byteLength(o))),
    batchOutcomeItemBytes: {
      total: sum(outcomeBytes),
      max: Math.max(0, ...outcomeBytes),
      writeUnits: sum(outcomeBytes.map((x) => Math.ceil(x / 1024))),
      totalWithProblems: sum(outcomeBytesWithProblems),
      maxWithProblems: Math.max(0, ...outcomeBytesWithProblems),
      writeUnitsWithProblems: sum(outcomeBytesWithProblems.map((x) => Math.ceil(x / 1024))),
    },
  };
};

export interface ApplyMeasurement {
  planReadMs: number;
  rssAfterMb: number;
  maxRssMb: number;
}

/** One apply batch's first step: the whole stored plan read back (apply-actions.ts `getPlan`). */
const measureApply = (dir: string): ApplyMeasurement => {
  const text = readFileSync(join(dir, 'plan.json'), 'utf8');
  gc();
  const t0 = process.hrtime.bigint();
  const plan = assemblePlan(fromWire(text));
  const planReadMs = since(t0);
  const rssAfterMb = Math.round(process.memoryUsage().rss / 2 ** 20);
  if (plan.decisions.length === 0) throw new Error('empty plan');
  return { planReadMs, rssAfterMb, maxRssMb: maxRssMb() };
};

const child = <T>(args: string[]): T => {
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--max-old-space-size=6144', '--import', 'tsx', __filename, ...args],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 300_000 },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as T;
};

// ---- EC2: the requests of each step, in the code's order ------------------------------------------------

/** One EC2 request: whose bucket (account and region), which action, and how long it takes to answer. */
interface Call {
  bucket: string;
  action: string;
  ms: number;
}

const repeat = (n: number, call: Call): Call[] => Array.from({ length: n }, () => call);
const ACCOUNTS = Array.from({ length: FLEET.sharedAccounts }, (_, a) => accountId(a));
const perRegion = FLEET.images;

/** `Ec2SharedUsage.findLaunchTemplateVersions`: every template, then every version of each. */
const templateVersions = (bucket: string): Call[] => [
  ...repeat(Math.ceil(FLEET.launchTemplatesPerAccountRegion / 200), {
    bucket,
    action: 'DescribeLaunchTemplates',
    ms: LATENCY.ec2RequestMs,
  }),
  ...repeat(FLEET.launchTemplatesPerAccountRegion * Math.ceil(FLEET.versionsPerTemplate / 200), {
    bucket,
    action: 'DescribeLaunchTemplateVersions',
    ms: LATENCY.ec2RequestMs,
  }),
];

/**
 * One region's reading (`gatherInventory` for one region): the owner account lists its managed AMIs, then
 * asks their references 10 at a time; at the same time each shared account (its own chain, its own
 * buckets) finds instances of up to 200 AMIs per filter, then its launch template versions.
 */
export const readingChains = (region: string): Call[][] => {
  const owner = `owner|${region}`;
  return [
    [
      ...repeat(Math.ceil(perRegion / 1000), {
        bucket: owner,
        action: 'DescribeImages',
        ms: LATENCY.ec2PageMs,
      }),
      ...repeat(Math.ceil(perRegion / IMAGE_REFERENCES_BATCH) * FLEET.pagesPerFilteredCall, {
        bucket: owner,
        action: 'DescribeImageReferences',
        ms: LATENCY.ec2RequestMs,
      }),
    ],
    ...ACCOUNTS.map((a) => {
      const bucket = `${a}|${region}`;
      return [
        ...repeat(Math.ceil(perRegion / 200) * FLEET.pagesPerFilteredCall, {
          bucket,
          action: 'DescribeInstances',
          ms: LATENCY.ec2RequestMs,
        }),
        ...templateVersions(bucket),
      ];
    }),
  ];
};

/** Calls made at once: each chain one caller, its calls in order; the stage ends with its slowest chain. */
type Stage = readonly (readonly Call[])[];

/**
 * A batch's launch template read (`sharedTemplateUses`), made before its first action when it has any
 * disable or retirement: every (account, region) pair the batch's images are shared with is asked once for
 * all of them, every pair at once (`Promise.all`). Here every family is shared with every account in every
 * region, so every pair is asked.
 */
export const batchTemplateStage = (): Stage =>
  ACCOUNTS.flatMap((a) => FLEET.regions.map((region) => templateVersions(`${a}|${region}`)));

/**
 * One action's EC2 requests, in `applyOne`'s order, as stages: for a disable or a retirement, `stillSafe`
 * asks, region by region, the owner account's references and every shared account's instances at once
 * (`Promise.all`; the templates were read for the whole batch); then each region's copy is acted on, one
 * call after another (`Ec2Images` reads the image's tags before any change).
 */
export const actionStages = (decision: 'deprecate' | 'disable' | 'retire'): Stage[] => {
  const one = (bucket: string, action: string): Call => ({ bucket, action, ms: LATENCY.ec2RequestMs });
  const stages: Stage[] = [];
  if (decision !== 'deprecate') {
    for (const region of FLEET.regions)
      stages.push([
        [one(`owner|${region}`, 'DescribeImageReferences')],
        ...ACCOUNTS.map((a) => [one(`${a}|${region}`, 'DescribeInstances')]),
      ]);
  }
  const acting: Call[] = [];
  const call = (bucket: string, action: string) => acting.push(one(bucket, action));
  for (const region of FLEET.regions) {
    const owner = `owner|${region}`;
    if (decision === 'retire') {
      call(owner, 'DescribeSnapshots'); // the image's snapshots, by our tags
      call(owner, 'DescribeImages'); // still there?
      call(owner, 'DescribeImages'); // managed? (Ec2Images.requireManaged)
      call(owner, 'DeregisterImage'); // with its snapshots
      call(owner, 'DescribeSnapshots'); // any left: none, DeleteAssociatedSnapshots took them
    } else {
      call(owner, 'DescribeImages');
      call(owner, 'DescribeImages');
      call(owner, decision === 'deprecate' ? 'EnableImageDeprecation' : 'DisableImage');
    }
  }
  stages.push([acting]);
  return stages;
};

/** One action's EC2 requests, all its stages' calls (the batch's template read not included). */
export const actionCalls = (decision: 'deprecate' | 'disable' | 'retire'): Call[] =>
  actionStages(decision).flat(2);

/** A batch of `dep` deprecations, `dis` disables and `ret` retirements: the template read, then the actions. */
export const batchStages = (dep: number, dis: number, ret: number): Stage[] => [
  ...(dis + ret > 0 ? [batchTemplateStage()] : []),
  ...Array.from({ length: dep }, () => actionStages('deprecate')).flat(),
  ...Array.from({ length: dis }, () => actionStages('disable')).flat(),
  ...Array.from({ length: ret }, () => actionStages('retire')).flat(),
];

/**
 * The last step's EC2 requests (`deleteOrphanSnapshots`): every region's managed AMIs and snapshots listed
 * at once (all regions at once, and within a region the images and the snapshots at once), one chain each.
 * No orphan is left to delete (DeleteAssociatedSnapshots took every retired AMI's snapshots).
 */
export const completeStage = (): Stage =>
  FLEET.regions.flatMap((region) => [
    repeat(Math.ceil(perRegion / 1000), {
      bucket: `owner|${region}`,
      action: 'DescribeImages',
      ms: LATENCY.ec2PageMs,
    }),
    repeat(Math.ceil((perRegion * FLEET.snapshotsPerAmi) / 1000), {
      bucket: `owner|${region}`,
      action: 'DescribeSnapshots',
      ms: LATENCY.ec2PageMs,
    }),
  ]);

/** A clock whose sleeps pass at once: one sequential caller's paced schedule, in virtual milliseconds. */
class VirtualClock implements PacerClock {
  t = 0;
  now(): number {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    this.t += Math.max(0, ms);
    return Promise.resolve();
  }
}

/**
 * Seconds one caller takes for `calls` in order, each paced by its account and region's `Ec2Pacer` (as
 * wiring.ts builds them) and then taking its `ms` (or none: `latency` false).
 */
const sequentialSeconds = async (calls: readonly Call[], latency: boolean): Promise<number> => {
  const clock = new VirtualClock();
  const pacers = new Map<string, Ec2Pacer>();
  for (const c of calls) {
    let pacer = pacers.get(c.bucket);
    if (!pacer) {
      pacer = new Ec2Pacer({ clock });
      pacers.set(c.bucket, pacer);
    }
    await pacer.take(c.action);
    if (latency) clock.t += c.ms;
  }
  return clock.t / 1000;
};

/**
 * Seconds `stages` take one after another, each stage's chains at once (it ends with its slowest chain),
 * every call paced by its account and region's `Ec2Pacer` (kept across the stages, as one invocation keeps
 * them) and then taking its `ms` (or none: `latency` false). Within a stage the chain whose next call
 * comes first is served first; two chains on one account and region share its pacer.
 */
const stagedSeconds = async (stages: readonly Stage[], latency: boolean): Promise<number> => {
  const pacers = new Map<string, { pacer: Ec2Pacer; clock: VirtualClock }>();
  let t = 0;
  for (const stage of stages) {
    const at = stage.map(() => t);
    const next = stage.map(() => 0);
    let end = t;
    for (;;) {
      let i = -1;
      for (let k = 0; k < stage.length; k++)
        if (next[k]! < stage[k]!.length && (i < 0 || at[k]! < at[i]!)) i = k;
      if (i < 0) break;
      const c = stage[i]![next[i]!]!;
      next[i] = next[i]! + 1;
      let p = pacers.get(c.bucket);
      if (!p) {
        const clock = new VirtualClock();
        p = { pacer: new Ec2Pacer({ clock }), clock };
        pacers.set(c.bucket, p);
      }
      p.clock.t = Math.max(p.clock.t, at[i]!);
      await p.pacer.take(c.action);
      at[i] = p.clock.t + (latency ? c.ms : 0);
      end = Math.max(end, at[i]!);
    }
    t = end;
  }
  return t / 1000;
};

/** The token-bucket lower bound of calls whose buckets all work at once: the slowest bucket's. */
const bucketBound = (chains: readonly (readonly Call[])[], sequentialPhases = false): number => {
  const byBucket = new Map<string, Record<string, number>[]>();
  for (const chain of chains) {
    // `sequentialPhases`: the chain finishes one listing before the next (a reading's AMIs before their
    // references), so each run of one action is a phase; otherwise a bucket's calls are one phase.
    const phases = new Map<string, Record<string, number>[]>();
    let previous = '';
    for (const c of chain) {
      let list = phases.get(c.bucket);
      if (!list) {
        list = [{}];
        phases.set(c.bucket, list);
      }
      if (sequentialPhases && previous !== '' && previous !== c.action) list.push({});
      const last = list[list.length - 1]!;
      last[c.action] = (last[c.action] ?? 0) + 1;
      previous = c.action;
    }
    for (const [bucket, list] of phases) byBucket.set(bucket, [...(byBucket.get(bucket) ?? []), ...list]);
  }
  let worst = 0;
  for (const phases of byBucket.values())
    worst = Math.max(worst, tokenBucketBound(phases, EC2_REQUEST_BUCKETS).seconds);
  return worst;
};

// ---- Step Functions: history events and transitions -------------------------------------------------------

/**
 * Events a Standard execution of the decommission machine writes, by state type (HistoryEvent types,
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html): the execution
 * ExecutionStarted + ExecutionSucceeded; a Lambda Task StateEntered, Scheduled, Started, Succeeded,
 * StateExited (`LambdaFunction*` for a function ARN resource, as here; `Task*` for lambda:invoke, as
 * many); each retry one failure (LambdaFunctionFailed or TimedOut) and Scheduled + Started again; an inline
 * Map MapStateEntered, MapStateStarted, per item MapIterationStarted + the item's Task + MapIterationSucceeded,
 * then MapStateSucceeded, MapStateExited.
 */
export const historyEvents = (regions: number, batches: number, retriesPerTask: number) => {
  const task = 5 + 3 * retriesPerTask;
  const map = (items: number) => 4 + items * (2 + task);
  return 2 + task + map(regions) + task + map(batches) + task;
};

/** The ASL's `MaxAttempts` for States.ALL: PrepareSweep, ReadRegion, PlanSweep, ApplyBatch, CompleteSweep. */
export const ASL_MAX_RETRIES = { prepare: 4, readRegion: 3, plan: 4, apply: 4, complete: 4 } as const;

/** History events when every task uses all its retries before it succeeds. */
export const historyEventsAtMaxRetries = (regions: number, batches: number) => {
  const task = (retries: number) => 5 + 3 * retries;
  const map = (items: number, retries: number) => 4 + items * (2 + task(retries));
  const r = ASL_MAX_RETRIES;
  return (
    2 + task(r.prepare) + map(regions, r.readRegion) + task(r.plan) + map(batches, r.apply) + task(r.complete)
  );
};

/** Transitions billed: every state entered (the Maps and each iteration's task), each retry one more. */
export const stateTransitions = (regions: number, batches: number, retriesPerTask: number) => {
  const tasks = 3 + regions + batches;
  return 2 + tasks + tasks * retriesPerTask;
};

/** The most batches one execution holds within 25,000 events. */
const maxBatches = (regions: number, retriesPerTask: number) => {
  let b = 0;
  while (historyEvents(regions, b + 1, retriesPerTask) <= SFN_LIMITS.historyEvents) b += 1;
  return b;
};

// ---- Projection --------------------------------------------------------------------------------------------

const dynamoSeconds = (requests: number, bytes: number) =>
  (requests * LATENCY.dynamoRequestMs + (bytes / 2 ** 20) * LATENCY.dynamoMsPerMb) / 1000;
const cpuSeconds = (measuredMs: number, memoryMb: number) =>
  (measuredMs * Math.max(1, LAMBDA.fullVcpuMb / memoryMb)) / 1000;
/** JSON bytes of PlanSweep's `batches`: the numbers 0 to count - 1. */
const batchNumbersBytes = (count: number) => {
  let bytes = 2 + Math.max(0, count - 1);
  for (let digits = 1, from = 0; from < count; digits += 1, from = from * 10 || 10)
    bytes += digits * (Math.min(count, from === 0 ? 10 : from * 10) - from);
  return bytes;
};
/** The most batches whose numbers fit in `budget` bytes. */
const batchesFilling = (budget: number) => {
  let lo = 0;
  let hi = 1;
  while (batchNumbersBytes(hi) <= budget) hi *= 2;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (batchNumbersBytes(mid) <= budget) lo = mid;
    else hi = mid;
  }
  return lo;
};
/** WRU of one region's reading: its pieces of up to INVENTORY_PIECE_BYTES and its head. */
const pieceWriteUnits = (r: { gzipBytes: number; pieces: number }) =>
  (r.pieces - 1) * Math.ceil((INVENTORY_PIECE_BYTES + 200) / 1024) +
  Math.ceil((r.gzipBytes - (r.pieces - 1) * INVENTORY_PIECE_BYTES + 200) / 1024) +
  1;
/** Query RRU: the page's items summed, per 4 KB, halved when eventually consistent. */
const readUnits = (bytes: number, consistent: boolean) => Math.ceil(bytes / 4096) * (consistent ? 1 : 0.5);

export interface StepProjection {
  step: string;
  invocations: number;
  memoryMb: number;
  timeoutS: number;
  boundS: number;
  sequentialS: number;
  projectedS: number;
  ec2Calls: number;
  dynamoRequests: number;
  cpuS: number;
  note: string;
}

export interface DayProjection {
  day: DayName;
  prepared: PreparedDay;
  plan: PlanMeasurement;
  apply: ApplyMeasurement;
  steps: StepProjection[];
  history: {
    noRetries: number;
    twoRetries: number;
    maxRetries: number;
    maxBatchesNoRetries: number;
    maxBatchesTwoRetries: number;
  };
  transitions: { noRetries: number; twoRetries: number };
  /**
   * State data in bytes. `planned`: the largest state the sweep carries until its last step (the input,
   * PrepareSweep's answer, the inventory Map's counts per region and PlanSweep's answer; ApplyBatches adds
   * nothing, ResultPath null), with no unreadable config and at the 20 the plan step may name.
   * `final`: that plus CompleteSweep's answer (the execution's output), with no problem and with its 50.
   * `batchesAtLimit`: the batches at which PlanSweep's batch numbers take the execution's output, every
   * bounded list full, past 262,144 bytes.
   */
  stateData: {
    planned: number;
    plannedMax: number;
    inventory: number;
    final: number;
    finalMax: number;
    batchesAtLimit: number;
  };
  /** CompleteSweep's Query of the batch outcomes: 1 MB pages, bytes and RRU, without and with problems. */
  outcomeQuery: {
    pages: number;
    bytes: number;
    rru: number;
    pagesMax: number;
    bytesMax: number;
    rruMax: number;
  };
  cost: {
    stepFunctions: number;
    lambdaRequests: number;
    lambdaArm: number;
    lambdaX86: number;
    lambdaArmFloor: number;
    dynamoWrites: number;
    dynamoReads: number;
    events: number;
    total: number;
    totalFloor: number;
    writeUnits: number;
    readUnits: number;
    lambdaGbS: number;
    lambdaGbSFloor: number;
  };
  /** The apply Map's whole run (batches one at a time), projected and at the floor. */
  applyMapS: { projected: number; floor: number };
  worstBatch: { mix: string; boundS: number; sequentialS: number; projectedS: number };
  /** One batch's launch template read (every account-region pair at once), projected. */
  templateReadS: number;
}

const projectDay = async (day: DayName, dir: string): Promise<DayProjection> => {
  const prepared = child<PreparedDay>(['prepare', day, dir]);
  const plan = child<PlanMeasurement>(['plan', day, dir]);
  const apply = child<ApplyMeasurement>(['apply', day, dir]);
  const d = DAYS[day];
  const regions = FLEET.regions.length;
  const imageBytes = prepared.imageItemBytes;
  const auditItemBytes = 420;
  const families = FLEET.families;

  // Catalog reads shared by the region and plan steps (plan-sweep.ts loadConfigs/loadImages): pages of
  // MAX_PAGE_SIZE + 1 images from the by-state index, one query at least per state.
  const imagePages = Math.ceil(FLEET.images / MAX_PAGE_SIZE) + LIFECYCLE_STATES.length - 1;
  const imageBytesRead = imagePages * (MAX_PAGE_SIZE + 1) * imageBytes;
  const configPages = Math.ceil(families / 50);
  const catalogRead = {
    requests: imagePages + configPages,
    bytes: imageBytesRead + families * 2_000,
    units:
      imagePages * readUnits((MAX_PAGE_SIZE + 1) * imageBytes, false) +
      configPages * readUnits(50 * 2_000, true),
  };

  // ---- region steps
  const chains = readingChains(HOME);
  const readingBound = bucketBound(chains, true);
  const chainSeconds = async (latency: boolean) =>
    Math.max(...(await Promise.all(chains.map((c) => sequentialSeconds(c, latency)))));
  const readingSequential = await chainSeconds(false);
  const readingEc2 = await chainSeconds(true);
  const inv = prepared.inventory;
  const gzipBytes = Math.max(...inv.map((r) => r.gzipBytes));
  const pieces = Math.max(...inv.map((r) => r.pieces));
  const readingCpuMs =
    plan.phasesMs['catalog images read (unmarshall + schema)']! + Math.max(...inv.map((r) => r.toItemsMs));
  const readingDynamo = {
    requests: catalogRead.requests + Math.ceil(pieces / DYNAMO.batchWrite) + 1,
    bytes: catalogRead.bytes + gzipBytes,
  };
  const readingCpu = cpuSeconds(readingCpuMs, LAMBDA.inventory.memoryMb);
  const readingOther =
    readingCpu +
    dynamoSeconds(readingDynamo.requests, readingDynamo.bytes) +
    (ACCOUNTS.length * LATENCY.stsMs) / 1000;
  const reading: StepProjection = {
    step: 'ReadRegion (one per region, concurrent)',
    invocations: regions,
    ...LAMBDA.inventory,
    boundS: readingBound,
    sequentialS: readingSequential,
    projectedS: readingEc2 + readingOther,
    ec2Calls: sum(chains.map((c) => c.length)),
    dynamoRequests: readingDynamo.requests,
    cpuS: readingCpu,
    note: `owner: ${chains[0]!.length.toLocaleString('en')} calls (DescribeImageReferences dominates); each account ${chains[1]!.length} calls`,
  };

  // ---- plan step
  const inventoryBytes = sum(inv.map((r) => r.gzipBytes));
  const planDynamo = {
    requests:
      1 + // getPlan(this sweep): none yet
      catalogRead.requests +
      2 + // active holds
      families + // channels, one query per family
      Math.ceil(inventoryBytes / DYNAMO.pageBytes) +
      1 +
      1 + // listPlans
      Math.ceil(prepared.previousPlanBytes / DYNAMO.pageBytes) +
      prepared.auditReads + // own-inspection discount: one audit query per fact
      1 + // savePlan: the summary's absence checked
      Math.ceil(plan.decisions / DYNAMO.batchWrite) +
      1, // the summary, last
    bytes:
      catalogRead.bytes +
      inventoryBytes +
      prepared.previousPlanBytes +
      prepared.auditReads * 30 * auditItemBytes +
      plan.decisionItemBytes.total,
  };
  const planCpu = cpuSeconds(plan.totalMs, LAMBDA.plan.memoryMb);
  const planStep: StepProjection = {
    step: 'PlanSweep',
    invocations: 1,
    ...LAMBDA.plan,
    boundS: 0,
    sequentialS: 0,
    projectedS: planCpu + dynamoSeconds(planDynamo.requests, planDynamo.bytes),
    ec2Calls: 0,
    dynamoRequests: planDynamo.requests,
    cpuS: planCpu,
    note: `EC2-free; CPU measured ${(plan.totalMs / 1000).toFixed(1)} s here (peak RSS ${plan.maxRssMb} MiB), ${plan.decisions.toLocaleString('en')} decision items written`,
  };

  // ---- apply batches: one per mix of actions, fresh buckets (a bucket revisited tens of seconds later is full)
  const planPages = Math.ceil(plan.decisionItemBytes.total / DYNAMO.pageBytes);
  const perActionDynamo = 7; // image, 2 hold queries, channels, config (once per family: counted each), transition read + write
  // Each batch also writes its outcome: one PutItem (the largest, with no problem reported).
  const batchFixed = {
    cpu: cpuSeconds(apply.planReadMs, LAMBDA.apply.memoryMb),
    dynamo: dynamoSeconds(planPages + 2, plan.decisionItemBytes.total + plan.batchOutcomeItemBytes.max),
  };
  const mixes = Object.entries(plan.mixes).map(([mix, count]) => {
    const [dep, dis, ret] = mix.split(',').map(Number) as [number, number, number];
    const stages = batchStages(dep, dis, ret);
    // `sharedTemplateUses` reads each disable or retirement's image once more, one after another.
    return { mix, count, actions: dep + dis + ret, templateReads: dis + ret, stages, calls: stages.flat(2) };
  });
  const batchRuns = await Promise.all(
    mixes.map(async (m) => {
      const actions = m.actions;
      const other =
        batchFixed.cpu +
        batchFixed.dynamo +
        dynamoSeconds(actions * perActionDynamo + m.templateReads, 0) +
        (actions * LATENCY.eventsMs) / 1000;
      return {
        ...m,
        boundS: bucketBound([m.calls]),
        sequentialS: await stagedSeconds(m.stages, false),
        projectedS: (await stagedSeconds(m.stages, true)) + other,
        other,
      };
    }),
  );
  const templateReadS = await stagedSeconds([batchTemplateStage()], true);
  const worst = batchRuns.reduce((w, r) => (r.projectedS > w.projectedS ? r : w), batchRuns[0]!);
  const batchCount = plan.batches;
  const applyTotal = (pick: (r: (typeof batchRuns)[number]) => number) =>
    sum(batchRuns.map((r) => pick(r) * r.count));
  const applyStep: StepProjection = {
    step: 'ApplyBatch (worst batch)',
    invocations: batchCount,
    ...LAMBDA.apply,
    boundS: worst?.boundS ?? 0,
    sequentialS: worst?.sequentialS ?? 0,
    projectedS: worst?.projectedS ?? 0,
    ec2Calls: worst?.calls.length ?? 0,
    dynamoRequests: planPages + 2 + (worst?.actions ?? 0) * perActionDynamo + (worst?.templateReads ?? 0),
    cpuS: batchFixed.cpu,
    note: `mix ${worst?.mix ?? '-'} (deprecate,disable,retire); the whole plan read first (${(plan.decisionItemBytes.total / 2 ** 20).toFixed(1)} MB, CPU measured ${apply.planReadMs.toFixed(0)} ms here), then the launch template versions of ${ACCOUNTS.length * FLEET.regions.length} account-region pairs at once (${templateReadS.toFixed(1)} s projected)`,
  };

  // ---- prepare and complete
  const prepareStep: StepProjection = {
    step: 'PrepareSweep',
    invocations: 1,
    ...LAMBDA.prepare,
    boundS: 0,
    sequentialS: 0,
    projectedS: dynamoSeconds(4, 0.2 * 2 ** 20),
    ec2Calls: 0,
    dynamoRequests: 4,
    cpuS: 0,
    note: 'settings and active holds (no hold expiring today)',
  };
  const cStage = completeStage();
  const cCalls = cStage.flat();
  // The batches' outcomes, one consistent Query paged by 1 MB (listBatchOutcomes), after the plan.
  const outcomeBytes = plan.batchOutcomeItemBytes;
  const outcomeQuery = {
    pages: Math.max(1, Math.ceil(outcomeBytes.total / DYNAMO.pageBytes)),
    bytes: outcomeBytes.total,
    rru: readUnits(outcomeBytes.total, true),
    pagesMax: Math.max(1, Math.ceil(outcomeBytes.totalWithProblems / DYNAMO.pageBytes)),
    bytesMax: outcomeBytes.totalWithProblems,
    rruMax: readUnits(outcomeBytes.totalWithProblems, true),
  };
  const completeDynamo = {
    requests: 1 + 2 * (planPages + 1) + outcomeQuery.pages,
    bytes: 2 * plan.decisionItemBytes.total + outcomeQuery.bytes,
  };
  const completeCpu = cpuSeconds(2 * apply.planReadMs, LAMBDA.complete.memoryMb);
  const completeStep: StepProjection = {
    step: 'CompleteSweep',
    invocations: 1,
    ...LAMBDA.complete,
    boundS: bucketBound(cStage),
    sequentialS: await stagedSeconds([cStage], false),
    projectedS:
      (await stagedSeconds([cStage], true)) +
      completeCpu +
      dynamoSeconds(completeDynamo.requests, completeDynamo.bytes) +
      (families * LATENCY.eventsMs) / 1000,
    ec2Calls: cCalls.length,
    dynamoRequests: completeDynamo.requests,
    cpuS: completeCpu,
    note: `the plan read twice (handler and completeSweep), the ${n(batchCount)} batch outcomes (${kib(outcomeQuery.bytes)}) in ${outcomeQuery.pages} Query page${outcomeQuery.pages === 1 ? '' : 's'}; ${cCalls.length} listing pages in ${cStage.length} chains at once (${FLEET.regions.length} regions × AMIs and snapshots); ${families} Retention Sweep Completed events`,
  };
  const steps = [prepareStep, reading, planStep, applyStep, completeStep];

  // ---- the execution
  const applyProjected = applyTotal((r) => r.projectedS);
  const history = {
    noRetries: historyEvents(regions, batchCount, 0),
    twoRetries: historyEvents(regions, batchCount, 2),
    maxRetries: historyEventsAtMaxRetries(regions, batchCount),
    maxBatchesNoRetries: maxBatches(regions, 0),
    maxBatchesTwoRetries: maxBatches(regions, 2),
  };
  const transitions = {
    noRetries: stateTransitions(regions, batchCount, 0),
    twoRetries: stateTransitions(regions, batchCount, 2),
  };
  // The state data: the input and every step's ResultPath. ApplyBatches keeps nothing (ResultPath null),
  // so the state leaving PlanSweep is the one each batch's Map receives and CompleteSweep's state input.
  const readingOutput = {
    region: HOME,
    startedAt: NOW.toISOString(),
    finishedAt: NOW.toISOString(),
    facts: perRegion,
    inUse: 15_000,
    untracked: 0,
    missing: 0,
    unknown: 0,
    written: true,
  };
  const inventoryAnswers = FLEET.regions.map((region) => ({ ...readingOutput, region }));
  const beforePlan = Buffer.byteLength(
    JSON.stringify({
      sweepId: SWEEP_ID,
      dryRun: false,
      prepared: { regions: FLEET.regions, holdsLifted: 0, holdsNotLifted: [] },
      inventory: inventoryAnswers,
      planned: null,
    }),
  );
  // `null` (4 bytes) replaced by PlanSweep's answer.
  const plannedState = beforePlan - 4 + plan.plannedOutputBytes;
  const plannedStateMax = beforePlan - 4 + plan.plannedOutputMaxBytes;
  const sweepOutcome = (problems: string[]) =>
    Buffer.byteLength(
      JSON.stringify({
        sweepId: SWEEP_ID,
        dryRun: false,
        guard: plan.guard,
        planned: plan.summary,
        done: plan.actions,
        skipped: 0,
        failed: 0,
        problems,
        orphanSnapshotsDeleted: 0,
      }),
    );
  const outcomeAnswer = sweepOutcome([]);
  const outcomeAnswerMax = sweepOutcome(
    Array.from({ length: SWEEP_PROBLEMS }, () => 'x'.repeat(BATCH_PROBLEMS.chars)),
  );
  // `,"outcome":` and CompleteSweep's answer
  const finalMax = plannedStateMax + 11 + outcomeAnswerMax;
  const stateData = {
    planned: plannedState,
    plannedMax: plannedStateMax,
    inventory: Buffer.byteLength(JSON.stringify(inventoryAnswers)),
    final: plannedState + 11 + outcomeAnswer,
    finalMax,
    batchesAtLimit: batchesFilling(SFN_LIMITS.payloadBytes - (finalMax - batchNumbersBytes(batchCount))),
  };

  // ---- cost: Lambda at the projected durations (as if no timeout stopped them), and at the floor (EC2 at
  // its token-bucket bound, no request latency; DynamoDB and CPU as projected)
  const invocations = { start: 1, prepare: 1, inventory: regions, plan: 1, apply: batchCount, complete: 1 };
  const floor = {
    reading: reading.boundS + readingOther,
    apply: applyTotal((r) => r.boundS + r.other),
    complete: completeStep.boundS + completeStep.projectedS - (await stagedSeconds([cStage], true)),
  };
  const gbSeconds = (readingS: number, applyS: number, completeS: number) =>
    (LAMBDA.start.memoryMb / 1024) * 0.2 +
    (LAMBDA.prepare.memoryMb / 1024) * prepareStep.projectedS +
    (LAMBDA.inventory.memoryMb / 1024) * readingS * regions +
    (LAMBDA.plan.memoryMb / 1024) * planStep.projectedS +
    (LAMBDA.apply.memoryMb / 1024) * applyS +
    (LAMBDA.complete.memoryMb / 1024) * completeS;
  const gbS = gbSeconds(reading.projectedS, applyProjected, completeStep.projectedS);
  const gbSFloor = gbSeconds(floor.reading, floor.apply, floor.complete);
  const lambdaRequests = sum(Object.values(invocations)) * PRICES.lambdaRequest;
  const actions = d.deprecate + d.disable + d.retire;
  const imageWrite = Math.ceil(imageBytes / 1024);
  const writeUnits =
    sum(inv.map(pieceWriteUnits)) + // readings: gzipped pieces and a head each
    plan.decisionItemBytes.writeUnits +
    2 * Math.ceil(plan.summaryItemBytes / 1024) + // the summary and its GSI1 copy
    plan.batchOutcomeItemBytes.writeUnits + // each batch's outcome, one PutItem
    actions * (2 * imageWrite + 2 * Math.ceil(auditItemBytes / 1024) + 2); // transaction: image + audit; GSI2 moved
  const readUnitsTotal =
    regions * catalogRead.units + // region steps
    catalogRead.units +
    families * 1 + // channels
    readUnits(inventoryBytes, true) +
    readUnits(prepared.previousPlanBytes, true) +
    prepared.auditReads * readUnits(30 * auditItemBytes, true) +
    batchCount * readUnits(plan.decisionItemBytes.total, true) + // each batch reads the whole plan
    actions * (1 + 0.5 + 0.5 + 1 + 1 + 1) + // image, holds x2 (index), channels, config, transition's read
    (d.disable + d.retire) * 1 + // the image read again for the batch's template read
    2 * readUnits(plan.decisionItemBytes.total, true) + // complete: the plan twice
    outcomeQuery.rru; // complete: every batch outcome, one Query
  const customEvents = actions + families;
  const cost = {
    stepFunctions: transitions.noRetries * PRICES.stateTransition,
    lambdaRequests,
    lambdaArm: gbS * PRICES.lambdaGbSecondArm + lambdaRequests,
    lambdaX86: gbS * PRICES.lambdaGbSecondX86 + lambdaRequests,
    lambdaArmFloor: gbSFloor * PRICES.lambdaGbSecondArm + lambdaRequests,
    dynamoWrites: writeUnits * PRICES.dynamoWriteUnit,
    dynamoReads: readUnitsTotal * PRICES.dynamoReadUnit,
    events: customEvents * PRICES.customEvent,
    total: 0,
    totalFloor: 0,
    writeUnits,
    readUnits: readUnitsTotal,
    lambdaGbS: gbS,
    lambdaGbSFloor: gbSFloor,
  };
  const rest = cost.stepFunctions + cost.dynamoWrites + cost.dynamoReads + cost.events;
  cost.total = rest + cost.lambdaArm;
  cost.totalFloor = rest + cost.lambdaArmFloor;
  return {
    day,
    prepared,
    plan,
    apply,
    steps,
    history,
    transitions,
    stateData,
    outcomeQuery,
    cost,
    applyMapS: { projected: applyProjected, floor: floor.apply },
    templateReadS,
    worstBatch: {
      mix: worst?.mix ?? '-',
      boundS: worst?.boundS ?? 0,
      sequentialS: worst?.sequentialS ?? 0,
      projectedS: worst?.projectedS ?? 0,
    },
  };
};

export interface ScaleBench {
  days: DayProjection[];
  wallMs: number;
  /**
   * Per retirement: EC2 calls (its re-check and acting calls), the re-check's seconds projected (each
   * region's concurrent calls in turn) and the acting calls'; the batch's template read, its calls and
   * seconds projected (every account-region pair at once) and at the paced schedule.
   */
  recheck: {
    callsPerAction: number;
    recheckS: number;
    actingS: number;
    templateCalls: number;
    templateReadS: number;
    templateReadPacedS: number;
  };
  /** A region's reading at which EC2 latency per request it reaches 900 s. */
  readingBreakEvenMs: number;
  completeBreakEvenPageMs: number;
}

export const benchDecommissionScale = async (): Promise<ScaleBench> => {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'ami-scale-'));
  try {
    const days: DayProjection[] = [];
    for (const day of ['typical', 'backlog'] as const) days.push(await projectDay(day, dir));
    const retire = actionStages('retire');
    const recheckS = await stagedSeconds(retire.slice(0, -1), true);
    const actingS = await stagedSeconds(retire.slice(-1), true);
    const template = batchTemplateStage();
    const templateReadS = await stagedSeconds([template], true);
    const templateReadPacedS = await stagedSeconds([template], false);
    const owner = readingChains(HOME)[0]!;
    const typical = days[0]!;
    const readingStep = typical.steps[1]!;
    const nonOwner = readingStep.projectedS - (await sequentialSeconds(owner, true));
    const refs = owner.filter((c) => c.action === 'DescribeImageReferences').length;
    const pages = owner.length - refs;
    const readingBreakEvenMs =
      ((LAMBDA.inventory.timeoutS - nonOwner - (pages * LATENCY.ec2PageMs) / 1000) / refs) * 1000;
    const complete = typical.steps[4]!;
    // The complete step's chains run at once: its EC2 time is its longest chain's pages.
    const cPages = Math.max(...completeStage().map((c) => c.length));
    const completeFixed = complete.projectedS - (cPages * LATENCY.ec2PageMs) / 1000;
    return {
      days,
      wallMs: performance.now() - started,
      recheck: {
        callsPerAction: actionCalls('retire').length,
        recheckS,
        actingS,
        templateCalls: template.flat().length,
        templateReadS,
        templateReadPacedS,
      },
      readingBreakEvenMs,
      completeBreakEvenPageMs: ((LAMBDA.complete.timeoutS - completeFixed) / cPages) * 1000,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

// ---- RESULTS.md section ----------------------------------------------------------------------------------

export const SCALE_HEADING = '## Decommission sweep at fleet scale (projection)';

const secs = (s: number): string =>
  s >= 7200 ? `${(s / 3600).toFixed(1)} h` : s >= 100 ? `${s.toFixed(0)} s` : `${s.toFixed(1)} s`;
const headroom = (limitS: number, s: number): string =>
  s <= 0
    ? 'n/a'
    : s <= limitS
      ? `×${(limitS / s).toFixed(1)}`
      : `**over: ×${(s / limitS).toFixed(1)} the limit**`;
const n = (x: number) => Math.round(x).toLocaleString('en');
const usd = (x: number) => (x < 0.01 ? `$${x.toFixed(4)}` : `$${x.toFixed(2)}`);
const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;

/** The calls of one action, per region copy, by EC2 action. */
const perRegionCopy = (decision: 'deprecate' | 'disable' | 'retire') => {
  const counts = new Map<string, number>();
  for (const c of actionCalls(decision)) counts.set(c.action, (counts.get(c.action) ?? 0) + 1);
  const regions = FLEET.regions.length;
  return [...counts].map(([a, k]) => `${a} ${k / regions}`).join(', ');
};

/** The section of bench/RESULTS.md: assumptions, per-step durations, history, state data, cost, limits. */
export const renderScaleSection = (r: ScaleBench, recorded: string): string[] => {
  const [typical, backlog] = r.days as [DayProjection, DayProjection];
  const both = (f: (d: DayProjection) => string) => `${f(typical)} | ${f(backlog)}`;
  const step = (d: DayProjection, i: number) => d.steps[i]!;
  const stepRow = (i: number) => {
    const t = step(typical, i);
    const b = step(backlog, i);
    const cells = (x: StepProjection) =>
      `${secs(x.boundS)} (${headroom(x.timeoutS, x.boundS)}) | ${secs(x.sequentialS)} | ${secs(x.projectedS)} (${headroom(x.timeoutS, x.projectedS)})`;
    return `| ${t.step} | ${n(t.invocations)} / ${n(b.invocations)} | ${t.memoryMb} MB, ${t.timeoutS} s | ${n(t.ec2Calls)} / ${n(b.ec2Calls)} | ${cells(t)} | ${cells(b)} |`;
  };
  const pages = (k: number) => `${k} page${k === 1 ? '' : 's'}`;
  const pct = (b: number) => `${((b / SFN_LIMITS.payloadBytes) * 100).toFixed(1)}%`;
  const largestState = Math.max(typical.stateData.finalMax, backlog.stateData.finalMax);
  const f = FLEET;
  const recheckPerRegion = 1 + f.sharedAccounts;
  const templatePerPair =
    Math.ceil(f.launchTemplatesPerAccountRegion / 200) + f.launchTemplatesPerAccountRegion;
  const pairs = f.sharedAccounts * f.regions.length;
  const day = 24 * 3600;
  const lambdaShare = (d: DayProjection) => (d.cost.lambdaArm / d.cost.total) * 100;
  const applyGbS = (d: DayProjection) => (LAMBDA.apply.memoryMb / 1024) * d.applyMapS.projected;
  const templateGbS = (d: DayProjection) => (LAMBDA.apply.memoryMb / 1024) * d.templateReadS * d.plan.batches;
  const planRereadRru = (d: DayProjection) =>
    readUnits(d.plan.decisionItemBytes.total, true) * d.plan.batches;
  const phases = Object.keys(typical.plan.phasesMs);
  const worstApply = (d: DayProjection) => step(d, 3);
  const reading = step(typical, 1);
  const complete = step(typical, 4);
  const planS = step(typical, 2);
  return [
    SCALE_HEADING,
    '',
    `${recorded} The plan step's CPU and memory are measured on this machine (\`bench/decommission-scale.ts\`, one fresh process per day and step); everything that waits on EC2 or DynamoDB is projected from the requests the code makes and the assumptions below, on a virtual clock. Bench wall time ${(r.wallMs / 1000).toFixed(1)} s.`,
    '',
    '### Assumptions',
    '',
    `- Fleet: ${n(f.images)} catalog images in ${f.families} families, each with an AMI in each of ${f.regions.length} regions (${f.regions.join(', ')}; ${n(f.images * f.regions.length)} AMIs, ${f.snapshotsPerAmi} snapshot of ${f.snapshotGiB} GiB each), every family shared with ${f.sharedAccounts} accounts (each with its role, enabled in every region) that have ${f.launchTemplatesPerAccountRegion} launch templates per region of ≤ ${f.versionsPerTemplate} versions each (one DescribeLaunchTemplateVersions page). Every filtered listing answers in one page (instances per 200 AMIs, references per 10 AMIs).`,
    `- Policy: keepLatest ${f.keepLatest} (2 of them in use, \`latest\`/\`stable\` on the newest two), ${f.disableAfterDeprecatedDays} days from deprecated to disable and from disabled to retire; of the other images kept, ${Object.entries(
      f.keepMix,
    )
      .map(([k, v]) => `${v * 5}% ${k}`)
      .join(
        ', ',
      )} (≈30% of AMIs in use, ${f.referencesPerUsedAmi} references each per region); ${typical.prepared.holds} image holds. The own-inspection discount reads one audit trail per home AMI not in use but launched lately (re-inspection): ${n(typical.prepared.auditReads)} queries.`,
    `- Days: **typical** — ${DAYS.typical.deprecate} deprecations, ${DAYS.typical.disable} disables, ${DAYS.typical.retire} retirements (1%; sweep guard raised to ${DAYS.typical.guard}: the default of 50 retirements per run would trip on any day with more than 50, i.e. above 0.3% of this fleet); **backlog** — ${n(DAYS.backlog.retire)} retirements (20%, as \`bench/decommission-sweep.ts\`) plus the same deprecations and disables, sweep guard ${n(DAYS.backlog.guard)} and each family's cap ${DAYS.backlog.familyCap}. Actions are spread round-robin over the families; \`planRetention\` decides exactly these counts on the synthetic fleet (checked: typical ${JSON.stringify(typical.plan.summary)}, backlog ${JSON.stringify(backlog.plan.summary)}).`,
    `- Latencies (assumed, not measured): EC2 ${LATENCY.ec2RequestMs} ms per filtered request, ${n(LATENCY.ec2PageMs)} ms per page of 1,000 images or snapshots; DynamoDB ${LATENCY.dynamoRequestMs} ms per request plus ${LATENCY.dynamoMsPerMb} ms per MB; PutEvents ${LATENCY.eventsMs} ms; AssumeRole ${LATENCY.stsMs} ms. EC2 request tokens per account and region as \`EC2_REQUEST_BUCKETS\`, every call paced by the product's \`Ec2Pacer\` (one per account and region, as wiring.ts builds them).`,
    `- Lambda as deployed (serverless.yml, services/decommission/functions.yml): arm64; PrepareSweep ${LAMBDA.prepare.memoryMb} MB / ${LAMBDA.prepare.timeoutS} s (the provider default: no timeout of its own), CompleteSweep ${LAMBDA.complete.memoryMb} MB / ${LAMBDA.complete.timeoutS} s, ReadRegion and PlanSweep ${LAMBDA.plan.memoryMb} MB / 900 s, ApplyBatch ${LAMBDA.apply.memoryMb} MB / 900 s. CPU measured here on one core is scaled by ${LAMBDA.fullVcpuMb} MB / memory (Lambda's one vCPU at ${LAMBDA.fullVcpuMb} MB): ×${(LAMBDA.fullVcpuMb / 1024).toFixed(2)} at 1024 MB, ×${(LAMBDA.fullVcpuMb / 512).toFixed(2)} at 512 MB.`,
    `- Prices, us-east-1 list (eu-west-1 is the same for Step Functions and Lambda, ≈13% more for DynamoDB on demand): Step Functions Standard $${(PRICES.stateTransition * 1000).toFixed(3)} per 1,000 state transitions, retries included (https://aws.amazon.com/step-functions/pricing/); Lambda $${(PRICES.lambdaRequest * 1e6).toFixed(2)} per million requests, $${PRICES.lambdaGbSecondArm} per GB-s arm64 ($${PRICES.lambdaGbSecondX86} x86) (https://aws.amazon.com/lambda/pricing/); DynamoDB on demand $${(PRICES.dynamoWriteUnit * 1e6).toFixed(3)} per million write request units, $${(PRICES.dynamoReadUnit * 1e6).toFixed(3)} per million read request units (https://aws.amazon.com/dynamodb/pricing/on-demand/); EventBridge $${(PRICES.customEvent * 1e6).toFixed(2)} per million custom events. EC2 API calls are free. Limits: 25,000 history events per execution, 262,144 bytes of state input/output (https://docs.aws.amazon.com/step-functions/latest/dg/limits.html).`,
    '',
    '### EC2 calls per action (apply-actions.ts)',
    '',
    '| action | per region copy | re-check first (stillSafe), per region | per action, 3 regions |',
    '| --- | --- | --- | ---: |',
    `| (per batch, before its first action, when it has a disable or retirement) | — | per account and region DescribeLaunchTemplates ${Math.ceil(f.launchTemplatesPerAccountRegion / 200)}, DescribeLaunchTemplateVersions ${f.launchTemplatesPerAccountRegion} = ${n(templatePerPair)}, the ${pairs} account-region pairs at once | ${n(r.recheck.templateCalls)} per batch |`,
    `| deprecate | ${perRegionCopy('deprecate')} | none | ${actionCalls('deprecate').length} |`,
    `| disable | DescribeImages 2, DisableImage 1 | DescribeImageReferences 1 (owner) + per account DescribeInstances 1 = ${n(recheckPerRegion)}, all at once; the regions in turn | ${n(actionCalls('disable').length)} |`,
    `| retire | DescribeSnapshots 2, DescribeImages 2, DeregisterImage 1 (DeleteAssociatedSnapshots leaves no snapshot to delete) | same as disable | ${n(actionCalls('retire').length)} |`,
    '',
    `\`findLaunchTemplateVersions\` lists every template of the account and every version of each, whatever the image, so \`applyActions\` reads them once per batch (\`sharedTemplateUses\`): each of the ${pairs} account-region pairs once for all the batch's disables and retirements, every pair at once, ${secs(r.recheck.templateReadS)} projected (the longest pair's ${n(templatePerPair)} calls one after another; ${secs(r.recheck.templateReadPacedS)} paced with instant requests). A disable or retirement's own re-check is then ${f.regions.length} rounds (one per region) of ${n(recheckPerRegion)} calls at once: ${secs(r.recheck.recheckS)} projected; a retirement's acting calls ${secs(r.recheck.actingS)}.`,
    '',
    '### Duration of each Lambda invocation against its timeout',
    '',
    'Three durations per step: the **token-bucket bound** (`tokenBucketBound` from bench/decommission-sweep.ts: every bucket of the step working at once, requests instant: no schedule is faster); the **paced schedule** the code makes (its calls in its order, each account and region chain concurrent where the code is, every call through its `Ec2Pacer`, requests instant); and the **projection**: that schedule with the assumed latencies, plus DynamoDB and the measured CPU. Headroom is timeout / duration.',
    '',
    '| step | invocations (typical / backlog) | Lambda | EC2 calls per invocation | typical: bound (headroom) | typical: paced schedule | typical: projected (headroom) | backlog: bound (headroom) | backlog: paced schedule | backlog: projected (headroom) |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...[0, 1, 2, 3, 4].map(stepRow),
    '',
    `Per step: ${typical.steps.map((x) => `${x.step}: ${x.note}`).join('; ')}. The worst batch is ${worstApply(typical).note.split(';')[0]} on the typical day and ${worstApply(backlog).note.split(';')[0]} on the backlog day (batches by mix: typical ${JSON.stringify(typical.plan.mixes)}, backlog ${JSON.stringify(backlog.plan.mixes)}).`,
    '',
    `The apply Map runs its batches one at a time: ${secs(typical.applyMapS.projected)} projected (${secs(typical.applyMapS.floor)} at the bound) on the typical day, ${secs(backlog.applyMapS.projected)} (${secs(backlog.applyMapS.floor)}) on the backlog day.`,
    '',
    '### The plan step, measured',
    '',
    "The stored state as DynamoDB answers it (images by state, the three readings as gzipped pieces in base64, yesterday's plan as one item per decision), decoded and planned as plan-sweep.ts does. One run per day, in a fresh process.",
    '',
    '| phase | typical | backlog |',
    '| --- | ---: | ---: |',
    ...phases.map((p) => `| ${p} | ${both((d) => `${(d.plan.phasesMs[p] ?? 0).toFixed(0)} ms`)} |`),
    `| **total CPU here** | ${both((d) => `**${(d.plan.totalMs / 1000).toFixed(1)} s**`)} |`,
    `| peak RSS (all responses held at once) | ${both((d) => `${d.plan.maxRssMb} MiB of ${LAMBDA.plan.memoryMb} MB`)} |`,
    `| readings: JSON → gzip per region, pieces | ${both((d) => `${(mean(d.prepared.inventory.map((x) => x.jsonBytes)) / 2 ** 20).toFixed(1)} MB → ${kib(mean(d.prepared.inventory.map((x) => x.gzipBytes)))}, ${d.prepared.inventory[0]!.pieces}`)} |`,
    `| \`inventoryPartToItems\` per region (ReadRegion) | ${both((d) => `${mean(d.prepared.inventory.map((x) => x.toItemsMs)).toFixed(0)} ms`)} |`,
    `| plan items written: count, bytes, WRU | ${both((d) => `${n(d.plan.decisions + 1)}, ${(d.plan.decisionItemBytes.total / 2 ** 20).toFixed(1)} MB (mean ${d.plan.decisionItemBytes.mean.toFixed(0)} B, max ${n(d.plan.decisionItemBytes.max)} B), ${n(d.plan.decisionItemBytes.writeUnits)}`)} |`,
    `| one apply batch's plan read (CPU here), RSS after | ${both((d) => `${d.apply.planReadMs.toFixed(0)} ms, ${d.apply.rssAfterMb} MiB of ${LAMBDA.apply.memoryMb} MB`)} |`,
    '',
    `Plan step projected: ${secs(planS.projectedS)} (${n(planS.dynamoRequests)} DynamoDB requests, ${secs(planS.cpuS)} of CPU at 1024 MB) against 900 s: ${headroom(900, planS.projectedS)}; memory ${headroom(LAMBDA.plan.memoryMb, typical.plan.maxRssMb)}.`,
    '',
    '### History events and state transitions (Step Functions Standard)',
    '',
    `Events per state type (HistoryEvent types, https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html): the execution ExecutionStarted + ExecutionSucceeded (2); a Lambda Task StateEntered, Scheduled, Started, Succeeded, StateExited (5; \`LambdaFunction*\` events here, since the tasks name function ARNs); each retry a failure event plus Scheduled and Started again (+3); an inline Map MapStateEntered, MapStateStarted, MapStateSucceeded, MapStateExited (4) plus per item MapIterationStarted, the item's Task and MapIterationSucceeded (2 + 5). Total 46 + 7 × batches without retries; the local cloud's engine (packages/local-cloud/src/services/sfn/engine.ts) writes the same sequence. Transitions billed: each state entered (5 top-level + 1 per region + 1 per batch), each retry one more.`,
    '',
    '| day | batches | events, no retries | events, every task retried twice | events, every task at its ASL MaxAttempts | of 25,000 (twice) | transitions | transitions, retried twice |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...[typical, backlog].map(
      (d) =>
        `| ${DAYS[d.day].label} | ${n(d.plan.batches)} | ${n(d.history.noRetries)} | ${n(d.history.twoRetries)} | ${n(d.history.maxRetries)} | ${((d.history.twoRetries / SFN_LIMITS.historyEvents) * 100).toFixed(1)}% | ${n(d.transitions.noRetries)} | ${n(d.transitions.twoRetries)} |`,
    ),
    '',
    `One execution holds ${n(typical.history.maxBatchesNoRetries)} batches (${n(typical.history.maxBatchesNoRetries * ACTIONS_PER_BATCH)} actions) without retries, ${n(typical.history.maxBatchesTwoRetries)} batches (${n(typical.history.maxBatchesTwoRetries * ACTIONS_PER_BATCH)} actions) with every task retried twice: neither day comes near 25,000.`,
    '',
    '### State data (262,144 bytes per state input or output)',
    '',
    "Each ApplyBatch stores its outcome (counts, up to 10 problem lines of at most 500 characters, freed GiB per family and region, counts per family) as one DynamoDB item `SWEEP#<sweepId>` / `BATCH#<n>` and answers only `{done, skipped, failed}`; the ApplyBatches Map has `ResultPath: null`, so no batch leaves anything in the state, and CompleteSweep's input is `{sweepId, dryRun}` (it reads the outcomes with one Query). Until the last step the state is therefore the one leaving PlanSweep — the input, PrepareSweep's answer, the inventory Map's counts per region and PlanSweep's answer — which is the ApplyBatches Map's input and output and CompleteSweep's state input; the largest state is the execution's output, which adds CompleteSweep's answer (its counts and the sweep's first 50 problem lines). The \"at most\" columns fill every bounded list: the plan step's 20 unreadable configs of 300 characters, the sweep's 50 problem lines of 500.",
    '',
    '| day | inventory Map counts (3 regions) | PlanSweep answer | state leaving PlanSweep (= through ApplyBatches) | at most | ApplyBatch answer | execution output (after CompleteSweep) | at most | at most, of 262,144 |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...[typical, backlog].map(
      (d) =>
        `| ${DAYS[d.day].label} | ${n(d.stateData.inventory)} B | ${n(d.plan.plannedOutputBytes)} B | ${n(d.stateData.planned)} B | ${n(d.stateData.plannedMax)} B | ${n(d.plan.maxBatchAnswerBytes)} B | ${n(d.stateData.final)} B | ${n(d.stateData.finalMax)} B | ${pct(d.stateData.finalMax)} |`,
    ),
    '',
    `The state no longer grows with the batches' outcomes or their problem lines: those are in the table, ${kib(typical.plan.batchOutcomeItemBytes.total)} over the typical day's ${n(typical.plan.batches)} items and ${kib(backlog.plan.batchOutcomeItemBytes.total)} over the backlog day's ${n(backlog.plan.batches)} with no problem reported (largest item ${n(Math.max(typical.plan.batchOutcomeItemBytes.max, backlog.plan.batchOutcomeItemBytes.max))} B; ${n(Math.max(typical.plan.batchOutcomeItemBytes.maxWithProblems, backlog.plan.batchOutcomeItemBytes.maxWithProblems))} B with 10 problem lines of 500 characters, far under DynamoDB's 400 KB). What still grows with the sweep is PlanSweep's \`batches\` (the numbers 0 to n − 1, ${n(backlog.plan.plannedOutputBytes - typical.plan.plannedOutputBytes)} B more on the backlog day than the typical): with every bounded list full it would take the execution's output past 262,144 bytes at about ${n(backlog.stateData.batchesAtLimit)} batches (${n(backlog.stateData.batchesAtLimit * ACTIONS_PER_BATCH)} actions), beyond the ${n(backlog.history.maxBatchesNoRetries)} that the 25,000 history events allow, so the history, not the state, bounds a sweep's size. PrepareSweep's \`holdsNotLifted\` (up to 10 lines, each a hold id and its error's whole text) is the one list of the state with no length cap per line.`,
    '',
    '### Cost per sweep',
    '',
    'Lambda at the projected durations as if no timeout stopped them ("projected"), and at the floor (EC2 at its token-bucket bound, no latency; DynamoDB and CPU as projected). DynamoDB units from the item sizes measured (image item ' +
      `${typical.prepared.imageItemBytes.toFixed(0)} B, plan decision item mean ${typical.plan.decisionItemBytes.mean.toFixed(0)} B, summary ${typical.plan.summaryItemBytes} B, reading pieces of ≤ ${n(INVENTORY_PIECE_BYTES)} B, audit record ~420 B, batch outcome items ${n(typical.plan.batchOutcomeItemBytes.total / typical.plan.batches)} B on average on the typical day and ${n(backlog.plan.batchOutcomeItemBytes.total / backlog.plan.batches)} B on the backlog day): every apply batch and CompleteSweep (twice) read the whole plan, consistently; every batch writes its outcome (one PutItem: ${n(typical.plan.batchOutcomeItemBytes.writeUnits)} and ${n(backlog.plan.batchOutcomeItemBytes.writeUnits)} WRU, ${n(typical.plan.batchOutcomeItemBytes.writeUnitsWithProblems)} and ${n(backlog.plan.batchOutcomeItemBytes.writeUnitsWithProblems)} if every batch reported 10 problem lines of 500 characters) and CompleteSweep reads them all with one consistent Query paged by 1 MB (${n(typical.outcomeQuery.rru)} and ${n(backlog.outcomeQuery.rru)} RRU, ${pages(typical.outcomeQuery.pages)} and ${pages(backlog.outcomeQuery.pages)}; ${n(typical.outcomeQuery.rruMax)} and ${n(backlog.outcomeQuery.rruMax)} RRU, ${pages(typical.outcomeQuery.pagesMax)} and ${pages(backlog.outcomeQuery.pagesMax)}, with every problem line full).`,
    '',
    '| line | typical | backlog |',
    '| --- | ---: | ---: |',
    `| Step Functions (transitions, no retries) | ${both((d) => `${usd(d.cost.stepFunctions)} (${n(d.transitions.noRetries)})`)} |`,
    `| Lambda arm64, projected (GB-s) | ${both((d) => `${usd(d.cost.lambdaArm)} (${n(d.cost.lambdaGbS)})`)} |`,
    `| Lambda arm64, floor (GB-s) | ${both((d) => `${usd(d.cost.lambdaArmFloor)} (${n(d.cost.lambdaGbSFloor)})`)} |`,
    `| Lambda x86, projected, for comparison | ${both((d) => usd(d.cost.lambdaX86))} |`,
    `| DynamoDB writes (WRU) | ${both((d) => `${usd(d.cost.dynamoWrites)} (${n(d.cost.writeUnits)})`)} |`,
    `| DynamoDB reads (RRU) | ${both((d) => `${usd(d.cost.dynamoReads)} (${n(d.cost.readUnits)})`)} |`,
    `| EventBridge (one event per action, one per family) | ${both((d) => usd(d.cost.events))} |`,
    `| **total, projected** | ${both((d) => `**${usd(d.cost.total)}**`)} |`,
    `| **total, floor** | ${both((d) => `**${usd(d.cost.totalFloor)}**`)} |`,
    '',
    `Lambda duration is ${lambdaShare(typical).toFixed(0)}% of the typical day's total and ${lambdaShare(backlog).toFixed(0)}% of the backlog day's; of its GB-s the apply batches are ${((applyGbS(typical) / typical.cost.lambdaGbS) * 100).toFixed(0)}% and ${((applyGbS(backlog) / backlog.cost.lambdaGbS) * 100).toFixed(0)}%, and of theirs the batch-level template reads ${((templateGbS(typical) / applyGbS(typical)) * 100).toFixed(0)}% and ${((templateGbS(backlog) / applyGbS(backlog)) * 100).toFixed(0)}%. On the backlog day DynamoDB reads are ${((backlog.cost.dynamoReads / backlog.cost.total) * 100).toFixed(0)}% of the total, ${((planRereadRru(backlog) / backlog.cost.readUnits) * 100).toFixed(0)}% of them the whole plan re-read by every batch. Step Functions and EventBridge are cents.`,
    '',
    '### Limits: what is exceeded, what fits, and what would keep the sweep within them',
    '',
    `- **ApplyBatch ${worstApply(typical).projectedS <= 900 && worstApply(backlog).projectedS <= 900 ? 'fits within 900 s on both days' : 'exceeds 900 s'}.** The worst batch projects ${secs(worstApply(typical).projectedS)} on the typical day (${headroom(900, worstApply(typical).projectedS)}; bound ${secs(worstApply(typical).boundS)}, paced ${secs(worstApply(typical).sequentialS)}) and ${secs(worstApply(backlog).projectedS)} on the backlog day (${headroom(900, worstApply(backlog).projectedS)}; bound ${secs(worstApply(backlog).boundS)}, paced ${secs(worstApply(backlog).sequentialS)}), ${n(worstApply(backlog).ec2Calls)} EC2 calls: the launch template versions read once for the batch (${n(r.recheck.templateCalls)} calls, ${pairs} account-region chains at once, ${secs(r.recheck.templateReadS)} projected: each pair's ${n(templatePerPair)} calls one after another at ${LATENCY.ec2RequestMs} ms, its bucket's refill of 20 a second not the limit), then per action ${secs(r.recheck.recheckS)} of re-check and ${secs(r.recheck.actingS)} of acting calls for a retirement, plus ${secs(worstApply(backlog).cpuS)} of CPU for the whole plan read first. The template read is ${((backlog.templateReadS / worstApply(backlog).projectedS) * 100).toFixed(0)}% of the batch; a batch reaches 900 s only when one account-region pair's template listing takes about ${n(((900 - (worstApply(backlog).projectedS - r.recheck.templateReadS)) / templatePerPair) * 1000)} ms per call, or at about ${n(Math.floor(((900 - (worstApply(backlog).projectedS - r.recheck.templateReadS)) * 1000) / LATENCY.ec2RequestMs / 100) * 100)} launch templates per account and region at the assumed ${LATENCY.ec2RequestMs} ms.`,
    `- **CompleteSweep ${complete.projectedS <= LAMBDA.complete.timeoutS ? 'fits' : 'exceeds'} its ${LAMBDA.complete.timeoutS} s timeout**: ${secs(complete.projectedS)} projected on the typical day, ${secs(step(backlog, 4).projectedS)} on the backlog day (${headroom(LAMBDA.complete.timeoutS, Math.max(complete.projectedS, step(backlog, 4).projectedS))}); ${complete.ec2Calls} listing pages of 1,000 in ${f.regions.length * 2} chains at once (${f.regions.length} regions × managed AMIs and snapshots, ${n(complete.ec2Calls / (f.regions.length * 2))} pages each) at ${n(LATENCY.ec2PageMs)} ms each, plus the plan read twice, the batch outcomes' Query (${backlog.outcomeQuery.pages} page${backlog.outcomeQuery.pages === 1 ? '' : 's'} of 1 MB on the backlog day, ${backlog.outcomeQuery.pagesMax} with every problem line full) and ${f.families} events. It reaches ${LAMBDA.complete.timeoutS} s at ${n(r.completeBreakEvenPageMs)} ms per page.`,
    `- **ReadRegion fits**, with ${headroom(900, reading.projectedS)} of headroom: ${secs(reading.projectedS)} projected, dominated by the owner account's ${n(Math.ceil(f.images / IMAGE_REFERENCES_BATCH))} DescribeImageReferences calls one after another (bound ${secs(reading.boundS)}); it reaches 900 s at ${r.readingBreakEvenMs.toFixed(0)} ms per DescribeImageReferences call, or at about ${n(Math.round((f.images * 900) / reading.projectedS / 1000) * 1000)} images per region at the assumed ${LATENCY.ec2RequestMs} ms. The shared accounts' chains (${step(typical, 1).note.split('; ')[1]}) are far shorter. What keeps it within beyond that: ask the references of several batches of 10 at once (the owner's bucket refills 20 a second, the chain uses 10) or split a region's reading by family.`,
    `- **PlanSweep fits**: ${secs(planS.projectedS)} (${headroom(900, planS.projectedS)}), peak RSS ${Math.max(typical.plan.maxRssMb, backlog.plan.maxRssMb)} MiB of 1024 MB (${headroom(LAMBDA.plan.memoryMb, Math.max(typical.plan.maxRssMb, backlog.plan.maxRssMb))}); the inventory is about ${((reading.projectedS + planS.projectedS) / 60).toFixed(0)} minutes old when planned (the guard allows 60; a region retried after a 900 s timeout would use a quarter of that).`,
    `- **ApplyBatch memory fits, but every batch re-reads the whole plan**: ${(typical.plan.decisionItemBytes.total / 2 ** 20).toFixed(0)} MB of decision items parsed for 20 actions (${Math.max(typical.apply.rssAfterMb, backlog.apply.rssAfterMb)} MiB of 512 MB, ${headroom(LAMBDA.apply.memoryMb, Math.max(typical.apply.rssAfterMb, backlog.apply.rssAfterMb))}; ${secs(worstApply(backlog).cpuS)} of CPU at 512 MB and ${n(readUnits(backlog.plan.decisionItemBytes.total, true))} RRU per batch, ${secs(worstApply(backlog).cpuS * backlog.plan.batches)} and ${n(readUnits(backlog.plan.decisionItemBytes.total, true) * backlog.plan.batches)} RRU over the backlog day). Passing the batch's ${ACTIONS_PER_BATCH} actions in its Map item, or storing each action under its position in the plan so a batch reads only its own, would make that constant.`,
    backlog.applyMapS.projected > day
      ? `- **The backlog day's apply phase outlasts the day**: ${secs(backlog.applyMapS.projected)} projected (${secs(backlog.applyMapS.floor)} at the token-bucket bound; ${secs(typical.applyMapS.projected)} and ${secs(typical.applyMapS.floor)} on the typical day), so the next daily sweep would start while it runs. DeregisterImage alone (refilling 5 a second per region) needs at least ${secs((DAYS.backlog.retire - 100) / 5)} per region for ${n(DAYS.backlog.retire)} retirements, the regions at once.`
      : `- **The backlog day's apply phase fits within the day**: its ${n(backlog.plan.batches)} batches one at a time take ${secs(backlog.applyMapS.projected)} projected (${((backlog.applyMapS.projected / day) * 100).toFixed(0)}% of 24 h; ${secs(backlog.applyMapS.floor)} at the token-bucket bound), the typical day's ${secs(typical.applyMapS.projected)} (${secs(typical.applyMapS.floor)}). The batch-level template reads are ${secs(backlog.templateReadS * backlog.plan.batches)} of the backlog day's; DeregisterImage's refill of 5 a second per region is not what limits it (${n(DAYS.backlog.retire)} retirements need at least ${secs((DAYS.backlog.retire - 100) / 5)} per region, the regions at once). The ApplyBatches Map runs one batch at a time (MaxConcurrency 1); a day with more than about ${n(Math.round(((day / backlog.applyMapS.projected) * DAYS.backlog.retire) / 100) * 100)} retirements at this rate would outlast it.`,
    `- **History and transitions fit**: ${n(backlog.history.twoRetries)} events on the backlog day with every task retried twice (${((backlog.history.twoRetries / SFN_LIMITS.historyEvents) * 100).toFixed(0)}% of 25,000), ${n(backlog.history.maxRetries)} at every task's MaxAttempts.`,
    `- **State data fits with wide headroom**: the batches' outcomes are stored with the sweep (one item each) and the ApplyBatches Map keeps none of them, so the state through ApplyBatches is the one leaving PlanSweep, ${kib(backlog.stateData.planned)} on the backlog day (${kib(typical.stateData.planned)} typical), and the largest, the execution's output, is at most ${kib(largestState)} with every bounded list full (${pct(largestState)} of 262,144 bytes; ${kib(Math.max(typical.stateData.final, backlog.stateData.final))} with no problem), however many batches report problems. The limit nearest now is the history's 25,000 events (${n(backlog.history.maxBatchesNoRetries)} batches without retries); PlanSweep's batch numbers would fill the state only at about ${n(backlog.stateData.batchesAtLimit)} batches.`,
    '',
  ];
};

if (require.main === module) {
  const [mode, day, dir] = process.argv.slice(2) as [string, DayName, string];
  const out =
    mode === 'prepare'
      ? prepare(day, dir)
      : mode === 'plan'
        ? measurePlan(dir)
        : mode === 'apply'
          ? measureApply(dir)
          : undefined;
  if (out === undefined) {
    benchDecommissionScale().then((r) => console.log(JSON.stringify(r, null, 2)));
  } else {
    process.stdout.write(`${JSON.stringify(out)}\n`);
  }
}
