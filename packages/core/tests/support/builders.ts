import {
  DAY_MS,
  type Hold,
  type Image,
  type PlanInput,
  type RetentionPolicy,
  type RetentionPolicyInput,
  retentionPolicySchema,
  sweepGuardsSchema,
  type UsageFact,
} from '@ami-lifecycle/core';

export const NOW = new Date('2026-06-01T00:00:00.000Z');
export const daysAgo = (d: number, now = NOW): string => new Date(now.getTime() - d * DAY_MS).toISOString();

let amiCounter = 0;
export const nextAmiId = (): string => `ami-${(0x10000000 + amiCounter++).toString(16).padStart(8, '0')}`;

/** A managed, published image created `ageDays` ago, with one AMI in eu-west-1. */
export const image = (
  over: Partial<Image> & { family: string; version: string; ageDays?: number },
): Image => {
  const { ageDays = 10, ...rest } = over;
  return {
    state: 'published',
    stateVersion: 3,
    amiIds: { 'eu-west-1': nextAmiId() },
    snapshotIds: [],
    vulnerable: false,
    managed: true,
    createdAt: daysAgo(ageDays),
    stateChangedAt: daysAgo(ageDays),
    ...rest,
  };
};

export const policy = (over: RetentionPolicyInput = { keepLatest: 2 }): RetentionPolicy =>
  retentionPolicySchema.parse(over);

/** Facts saying every AMI of these images is unused and never launched. */
export const unusedFacts = (images: readonly Image[]): UsageFact[] =>
  images.flatMap((i) => Object.values(i.amiIds).map((amiId) => ({ amiId, inUse: false, references: [] })));

export const planInput = (over: Partial<PlanInput> & { images: Image[] }): PlanInput => ({
  sweepId: 'sweep-1',
  usage: unusedFacts(over.images),
  holds: [],
  channels: [],
  families: [...new Set(over.images.map((i) => i.family))].map((name) => ({ name, retention: policy() })),
  guards: sweepGuardsSchema.parse({}),
  inventoryAt: NOW,
  now: NOW,
  ...over,
});

export const hold = (target: Hold['target'], over: Partial<Hold> = {}): Hold => ({
  id: `hold-${Math.random().toString(36).slice(2)}`,
  target,
  reason: 'litigation',
  owner: 'legal@example.com',
  ticket: 'LEGAL-1',
  createdAt: daysAgo(30),
  ...over,
});
