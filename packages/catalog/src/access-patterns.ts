import type { HoldTarget, LifecycleState } from '@ami-lifecycle/core';
import {
  amiGsiPk,
  auditPk,
  channelHistoryPrefix,
  type EntityName,
  FAMILIES_GSI1PK,
  familyPk,
  HOLDS_GSI2PK,
  holdTargetGsiPk,
  type IndexName,
  inventoryPk,
  type KeyAttribute,
  PLANS_GSI1PK,
  PREFIX,
  planPk,
  refreshGsiPk,
  regionGsiPk,
  stateGsiPk,
  sweepPk,
} from './keys';

/**
 * One query of the table: which index, which partition, which sort-key prefix, what it returns and in
 * which order. Both adapters read their queries from here, so the DynamoDB query, the in-memory order
 * and the cursor checks cannot drift apart.
 */
export interface AccessPattern {
  index?: IndexName;
  partition: { attribute: 'PK' | 'GSI1PK' | 'GSI2PK'; value: string };
  sortAttribute: 'SK' | 'GSI1SK' | 'GSI2SK';
  sortPrefix?: string;
  entities: readonly EntityName[];
  descending?: boolean;
}

const table = (
  pk: string,
  sortPrefix: string | undefined,
  entity: EntityName,
  descending = false,
): AccessPattern => ({
  partition: { attribute: 'PK', value: pk },
  sortAttribute: 'SK',
  ...(sortPrefix === undefined ? {} : { sortPrefix }),
  entities: [entity],
  descending,
});

const gsi1 = (pk: string, entity: EntityName, descending = false): AccessPattern => ({
  index: 'GSI1',
  partition: { attribute: 'GSI1PK', value: pk },
  sortAttribute: 'GSI1SK',
  entities: [entity],
  descending,
});

const gsi2 = (pk: string, entity: EntityName, descending = false): AccessPattern => ({
  index: 'GSI2',
  partition: { attribute: 'GSI2PK', value: pk },
  sortAttribute: 'GSI2SK',
  entities: [entity],
  descending,
});

export const patterns = {
  /** Oldest version first. */
  familyConfigVersions: (family: string) => table(familyPk(family), PREFIX.configVersion, 'family-config'),
  /** The current config of every family, by family name. */
  familyConfigs: () => gsi1(FAMILIES_GSI1PK, 'family-config'),
  /** By version string (byte order, not semantic order). */
  familyImages: (family: string) => table(familyPk(family), PREFIX.image, 'image'),
  /** By family, then creation time. */
  imagesByState: (state: LifecycleState) => gsi2(stateGsiPk(state), 'image'),
  /** Pointer items, by family, then creation time. */
  imagesByRegion: (region: string) => gsi2(regionGsiPk(region), 'ami-pointer'),
  imagesByAmiId: (amiId: string) => gsi1(amiGsiPk(amiId), 'ami-pointer'),
  /** Oldest first. */
  audit: (family: string, version: string) => table(auditPk(family, version), undefined, 'audit'),
  channels: (family: string) => table(familyPk(family), PREFIX.channel, 'channel'),
  /** Newest revision first: the rollback candidates come first. */
  channelHistory: (family: string, name: string) =>
    table(familyPk(family), channelHistoryPrefix(name), 'channel-history', true),
  /** Newest `decidedAt` first; equal times by trigger key, descending. */
  refreshDecisions: (family: string) => gsi2(refreshGsiPk(family), 'refresh-decision', true),
  holdsForTarget: (target: HoldTarget) => gsi1(holdTargetGsiPk(target), 'hold'),
  /** Every hold in force, across families: oldest `createdAt` first, equal times by id. */
  activeHolds: () => gsi2(HOLDS_GSI2PK, 'hold'),
  planItems: (sweepId: string): AccessPattern => ({
    partition: { attribute: 'PK', value: planPk(sweepId) },
    sortAttribute: 'SK',
    entities: ['plan-summary', 'plan-decision'],
  }),
  /** By batch number. */
  batchOutcomes: (sweepId: string) => table(sweepPk(sweepId), PREFIX.batch, 'batch-outcome'),
  inventoryItems: (sweepId: string): AccessPattern => ({
    partition: { attribute: 'PK', value: inventoryPk(sweepId) },
    sortAttribute: 'SK',
    entities: ['inventory-part', 'inventory-piece'],
  }),
  /** Newest first. */
  plans: () => gsi1(PLANS_GSI1PK, 'plan-summary', true),
} as const;

/** The attributes DynamoDB needs to resume a query: the table key, plus the index key on an index. */
export const cursorAttributes = (pattern: AccessPattern): KeyAttribute[] =>
  pattern.index === undefined
    ? ['PK', 'SK']
    : ['PK', 'SK', pattern.partition.attribute, pattern.sortAttribute];
