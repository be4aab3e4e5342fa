import {
  type CatalogPort,
  defaultOrganizationNotify,
  type FamilyNotify,
  type OrganizationNotify,
  parseStoredConfig,
  parseStoredOrganizationConfig,
  type StoredConfig,
  StoredConfigInvalidError,
  ValidationError,
} from '@ami-lifecycle/core';

/**
 * The organisation's `notify` section as stored by `amictl config apply`; the defaults (nobody told, no
 * originator domain) when no organisation config is stored. A stored config that no longer parses is
 * `StoredConfigInvalidError`: the data or the deployment is wrong, and the event is retried.
 */
export const organizationNotify = async (catalog: Pick<CatalogPort, 'getOrganizationConfig'>) => {
  const stored = await catalog.getOrganizationConfig();
  if (stored === undefined) return defaultOrganizationNotify();
  try {
    return parseStoredOrganizationConfig(stored).config.notify as OrganizationNotify;
  } catch (error) {
    // Retried, like a family config that does not parse (the deployment may be behind the config): a
    // refusal for good would send every message, and the dead-letter check itself, to the dead letters.
    if (error instanceof ValidationError) {
      throw new StoredConfigInvalidError(
        `stored organization config (version ${stored.version})`,
        error.issues,
      );
    }
    throw error;
  }
};

/**
 * A family's stored config and its `notify` section (`{ recipients: [] }` when it has none); undefined for
 * a family without a stored config. A config that no longer parses is `StoredConfigInvalidError`.
 */
export const familyConfig = async (
  catalog: Pick<CatalogPort, 'getFamilyConfig'>,
  family: string,
  version?: number,
): Promise<{ config: StoredConfig; version: number; notify: FamilyNotify } | undefined> => {
  const stored = await catalog.getFamilyConfig(family, version);
  if (stored === undefined) return undefined;
  const parsed = parseStoredConfig(family, stored);
  return { ...parsed, notify: (parsed.config.notify as FamilyNotify | undefined) ?? { recipients: [] } };
};

/** Every address the policy names anywhere: the organisation's recipients and every family's. */
export const policyAddresses = (organization: OrganizationNotify, families: readonly FamilyNotify[]) => {
  const all = new Set<string>();
  for (const r of organization.recipients) all.add(r.address.toLowerCase());
  for (const f of families) for (const r of f.recipients) all.add(r.address.toLowerCase());
  return all;
};
