import { recipientOfFilterPolicy } from '@ami-lifecycle/aws';
import type { DetailOf } from '@ami-lifecycle/contracts';
import {
  buildIdFor,
  type CatalogPort,
  type FamilyNotify,
  originatorAddress,
  parseStoredConfig,
  type StoredFamilyConfig,
} from '@ami-lifecycle/core';
import { subscribeMissing } from './deliver';
import { familyConfig, organizationNotify, policyAddresses } from './policy';
import type { NotifyDeps } from './ports';

/** How long a build's originator is kept: past any build, inspection and approval a person waits for. */
export const ORIGINATOR_DAYS = 14;

export interface OriginatorResult {
  /** The address recorded and subscribed; undefined when `requestedBy` is nobody the policy tells. */
  address?: string;
  skipped?: string;
  subscribed: string[];
}

/**
 * `Build Requested`: when its `requestedBy` is an address of a domain the policy lists under
 * `notify.originators.domains`, records it by the build's correlation id (the outcome events of the build
 * carry the same one) and subscribes it at once, so that its confirmation request arrives before the
 * outcome does, with whoever else the policy tells about the family and has no subscription yet. Anyone else
 * (a service, a user name, another domain) is neither recorded nor subscribed.
 */
export const onBuildRequested = async (
  d: DetailOf<'Build Requested'>,
  deps: Pick<NotifyDeps, 'catalog' | 'store' | 'topic' | 'topicArn' | 'clock' | 'report'>,
): Promise<OriginatorResult> => {
  const organization = await organizationNotify(deps.catalog);
  const address = originatorAddress(d.requestedBy, organization);
  if (address === undefined) {
    return { skipped: 'requestedBy is no address of a domain the policy tells', subscribed: [] };
  }
  const now = deps.clock.now();
  await deps.store.putOriginator({
    correlationId: d.correlationId,
    address,
    family: d.family,
    buildId: buildIdFor(d.family, d.idempotencyKey),
    requestedAt: d.occurredAt,
    expiresAt: new Date(now.getTime() + ORIGINATOR_DAYS * 86_400_000).toISOString(),
  });
  // The family's and the organisation's recipients too: an address the policy gained since the last
  // reconcile would otherwise get its confirmation request with this build's outcome, and miss the outcome.
  const family = await familyConfig(deps.catalog, d.family).catch(() => undefined);
  const others = [...policyAddresses(organization, family === undefined ? [] : [family.notify])].filter(
    (a) => a !== address,
  );
  const { subscribed } = await subscribeMissing([address, ...others.sort()], deps);
  return { address, subscribed };
};

export interface ReconcileResult {
  /** Every address the policy and the open builds' originators name. */
  wanted: string[];
  subscribed: string[];
  /** Subscriptions of wanted addresses whose filter policy was not the one naming their address. */
  fixed: string[];
  unsubscribed: string[];
  /** Email subscriptions of addresses nobody wants that the service did not make: never touched. */
  leftAlone: string[];
  /** Subscriptions SNS would not read or change this time, with why; the next run tries again. */
  failed?: { address: string; error: string }[];
  /** Why removals were skipped this time (a family whose stored config no longer parses). */
  removalsSkipped?: string;
}

/** Pages of family configs read at most: a fleet of 10,000 families at the catalog's page size. */
const MAX_FAMILY_PAGES = 500;

const everyFamilyConfig = async (catalog: Pick<CatalogPort, 'listFamilyConfigs'>) => {
  const all: StoredFamilyConfig[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_FAMILY_PAGES; page++) {
    const out = await catalog.listFamilyConfigs(cursor === undefined ? {} : { cursor });
    all.push(...out.items);
    cursor = out.cursor;
    if (cursor === undefined) return all;
  }
  throw new Error(`more than ${MAX_FAMILY_PAGES} pages of family configs; refusing to page further`);
};

/**
 * Keeps the stage topic's email subscriptions as the policy says (the scheduled reconciler): every address
 * of the organisation's and every family's `notify`, and the originators of builds still open, has a
 * subscription with the filter policy naming it (missing ones are made, a wrong filter policy is set right);
 * a subscription the service made (its filter policy has exactly that shape) for an address nobody names
 * any more is removed. A subscription of another shape, for an address nobody names, was made by someone
 * else: it is left alone (and the topic policy lets no one else subscribe). A pending subscription has no
 * ARN to act on: it waits for its confirmation, or expires. When a family's stored config no longer parses,
 * its addresses are unknown: nothing is removed that time.
 */
export const reconcileSubscriptions = async (
  deps: Pick<NotifyDeps, 'catalog' | 'store' | 'topic' | 'topicArn' | 'clock' | 'report'>,
): Promise<ReconcileResult> => {
  const organization = await organizationNotify(deps.catalog);
  const families: FamilyNotify[] = [];
  const unreadable: string[] = [];
  for (const stored of await everyFamilyConfig(deps.catalog)) {
    try {
      const { config } = parseStoredConfig(stored.family, stored);
      families.push((config.notify as FamilyNotify | undefined) ?? { recipients: [] });
    } catch (error) {
      unreadable.push(stored.family);
      deps.report?.('a stored family config does not parse: its recipients are unknown', {
        family: stored.family,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  const wanted = policyAddresses(organization, families);
  for (const o of await deps.store.listOriginators(deps.clock.now())) {
    const address = originatorAddress(o.address, organization);
    if (address !== undefined) wanted.add(address);
  }
  const removalsSkipped =
    unreadable.length === 0
      ? undefined
      : `the stored config of ${unreadable.join(', ')} does not parse, so its recipients are unknown`;

  const subscriptions = await deps.topic.listSubscriptions(deps.topicArn);
  const fixed: string[] = [];
  const unsubscribed: string[] = [];
  const leftAlone: string[] = [];
  const failed: { address: string; error: string }[] = [];
  for (const s of subscriptions) {
    if (s.protocol !== 'email' || s.pending || s.subscriptionArn === undefined) continue;
    const address = s.endpoint.toLowerCase();
    // One subscription SNS will not read or change must not keep the others (and the missing addresses
    // below) from being reconciled: it is reported, and tried again on the next run.
    try {
      const attributes = await deps.topic.filterPolicyOf(s.subscriptionArn);
      if (attributes === undefined) continue;
      const named = recipientOfFilterPolicy(attributes.filterPolicy, attributes.scope);
      if (wanted.has(address)) {
        if (named !== address) {
          await deps.topic.setRecipientFilter(s.subscriptionArn, address);
          fixed.push(address);
        }
      } else if (named === address && removalsSkipped === undefined) {
        await deps.topic.unsubscribe(s.subscriptionArn);
        unsubscribed.push(address);
      } else if (named !== address) {
        leftAlone.push(address);
      }
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      failed.push({ address, error: text });
      deps.report?.('could not reconcile a subscription', { address, error: text });
    }
  }
  const { subscribed } = await subscribeMissing([...wanted].sort(), deps, subscriptions);
  return {
    wanted: [...wanted].sort(),
    subscribed,
    fixed: fixed.sort(),
    unsubscribed: unsubscribed.sort(),
    leftAlone: leftAlone.sort(),
    ...(failed.length === 0 ? {} : { failed }),
    ...(removalsSkipped === undefined ? {} : { removalsSkipped }),
  };
};
