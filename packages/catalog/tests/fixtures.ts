import type {
  AuditContext,
  CatalogPort,
  Hold,
  Image,
  ImageDecision,
  OrganizationConfig,
  Page,
  PageRequest,
  RefreshDecision,
  RetentionPlan,
} from '@ami-lifecycle/core';

/** Every time in these tests is derived from T0: no test reads the real clock. */
export const T0 = '2025-03-01T12:00:00.000Z';
export const at = (minutes: number): string => new Date(Date.parse(T0) + minutes * 60_000).toISOString();

export const amiId = (n: number): string => `ami-${n.toString(16).padStart(17, '0')}`;

export const auditBy = (actor = 'tester', reason = 'because the test says so'): AuditContext => ({
  actor,
  reason,
  correlationId: `corr-${actor}`,
});

export const anImage = (overrides: Partial<Image> = {}): Image => ({
  family: 'golden-al2023',
  version: '2025.03.01.1',
  state: 'building',
  stateVersion: 0,
  amiIds: {},
  snapshotIds: [],
  vulnerable: false,
  managed: true,
  createdAt: T0,
  stateChangedAt: T0,
  ...overrides,
});

/** Registers an approved image and publishes it, moving `channels`; returns the published image. */
export const publishImage = async (
  catalog: CatalogPort,
  family: string,
  version: string,
  opts: { when: string; channels?: string[]; amiIds?: Record<string, string> },
): Promise<Image> => {
  await catalog.createImage(
    anImage({
      family,
      version,
      state: 'approved',
      createdAt: opts.when,
      stateChangedAt: opts.when,
      amiIds: opts.amiIds ?? {},
    }),
    auditBy(),
  );
  return catalog.transitionImage({
    family,
    version,
    from: 'approved',
    to: 'published',
    expectedStateVersion: 0,
    at: opts.when,
    audit: auditBy('publisher', 'publication completed'),
    patch: { publishedAt: opts.when },
    moveChannels: opts.channels ?? [],
  });
};

export const aHold = (id: string, target: Hold['target'], overrides: Partial<Hold> = {}): Hold => ({
  id,
  target,
  reason: 'litigation',
  owner: 'legal@example.com',
  ticket: `LEGAL-${id}`,
  createdAt: T0,
  ...overrides,
});

/** A family's refresh decision on a parent's publication: skipped by default, see `requested`. */
export const aSkip = (triggerKey: string, overrides: Partial<RefreshDecision> = {}): RefreshDecision => ({
  family: 'golden-al2023',
  triggerKey,
  trigger: 'parent-published',
  triggerImage: { family: 'base-os', version: '2025.03.01.1' },
  outcome: 'skipped',
  skip: 'fan-out-cap',
  reason: 'the trigger already started 10 builds',
  correlationId: `corr-${triggerKey}`,
  decidedAt: T0,
  decidedBy: 'refresh',
  ...overrides,
});

/** The requested rebuild for the same trigger; `idempotencyKey` tells two requests apart. */
export const aRequest = (
  triggerKey: string,
  overrides: Partial<RefreshDecision> = {},
  idempotencyKey = `rebuild-${triggerKey}`,
): RefreshDecision => {
  const { skip: _skip, ...decision } = aSkip(triggerKey);
  return {
    ...decision,
    outcome: 'requested',
    reason: 'base-os published 2025.03.01.1; rebuilding on it',
    request: { idempotencyKey, parent: { family: 'base-os', version: '2025.03.01.1' }, force: false },
    ...overrides,
  };
};

/**
 * A plan of `n` decisions whose order differs from key order (versions count down), with the actions in
 * reverse, so a store that loses either order fails.
 */
export const aPlan = (sweepId: string, generatedAt: string, n: number): RetentionPlan => {
  const decisions: ImageDecision[] = Array.from({ length: n }, (_, i) => {
    const retire = i % 4 === 0;
    return {
      family: 'golden-al2023',
      version: `2025.01.01.${n - i}`,
      state: retire ? 'disabled' : 'published',
      decision: retire ? 'retire' : 'keep',
      reasons: [
        retire
          ? { code: 'grace-elapsed', message: 'disabled for longer than the grace period' }
          : { code: 'within-keep-latest', message: `one of the latest ${n}` },
      ],
    };
  });
  const actions = decisions.filter((d) => d.decision !== 'keep').reverse();
  return {
    sweepId,
    generatedAt,
    inventoryAt: generatedAt,
    previousSweepId: 'sweep-0',
    decisions,
    guard: { status: 'ok', reasons: [] },
    summary: { keep: n - actions.length, deprecate: 0, disable: 0, retire: actions.length },
    actions,
    diff: {
      changed: [{ family: 'golden-al2023', version: `2025.01.01.${n}`, from: 'keep', to: 'retire' }],
      added: [],
      removed: [{ family: 'golden-al2023', version: '2024.12.31.1', from: 'retire', to: null }],
      unchanged: n - 1,
    },
  };
};

/** Follows cursors to the end, bounded, and returns the pages. */
export const allPages = async <T>(
  fetch: (page: PageRequest) => Promise<Page<T>>,
  limit: number,
  maxPages = 50,
): Promise<T[][]> => {
  const pages: T[][] = [];
  let cursor: string | undefined;
  for (let i = 0; i < maxPages; i += 1) {
    const page = await fetch(cursor === undefined ? { limit } : { limit, cursor });
    pages.push(page.items);
    cursor = page.cursor;
    if (cursor === undefined) return pages;
  }
  throw new Error(`more than ${maxPages} pages`);
};

/** An organisation config as `organizationConfigOf` derives it from a policy. */
export const anOrgConfig = (overrides: Partial<OrganizationConfig> = {}): OrganizationConfig => ({
  organization: { id: 'o-testorg123', managementAccountId: '111111111111' },
  accounts: {
    tooling: { id: '111111111111', regions: ['eu-west-1'] },
    workloads: {
      id: '222222222222',
      roleArn: 'arn:aws:iam::222222222222:role/ami-lifecycle-inventory',
      regions: ['eu-west-1', 'eu-central-1'],
    },
  },
  regions: { home: 'eu-west-1', enabled: ['eu-west-1', 'eu-central-1'] },
  sweep: {
    maxRetirementsPerRun: 40,
    maxInventoryAgeMinutes: 30,
    afterPolicyChange: 'dry-run',
    snapshotPricePerGiBMonth: {},
  },
  notify: { recipients: [], originators: { domains: [], events: ['inspection-completed', 'build-failed'] } },
  ...overrides,
});
