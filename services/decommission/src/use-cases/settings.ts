import { type CatalogPort, parseStoredOrganizationConfig } from '@ami-lifecycle/core';
import { OrganizationNotConfiguredError } from '../errors';
import type { SweepSettings } from './deps';

/** The sweep's settings from the stored organisation config: regions, accounts with their roles, guards. */
export const loadSweepSettings = async (
  catalog: Pick<CatalogPort, 'getOrganizationConfig'>,
): Promise<SweepSettings> => {
  const stored = await catalog.getOrganizationConfig();
  if (stored === undefined) throw new OrganizationNotConfiguredError();
  const { config, version } = parseStoredOrganizationConfig(stored);
  return {
    version,
    afterPolicyChange: config.sweep.afterPolicyChange,
    regions: config.regions.enabled,
    accounts: Object.values(config.accounts).map((a) => ({
      id: a.id,
      ...(a.roleArn === undefined ? {} : { roleArn: a.roleArn }),
      regions: a.regions,
    })),
    guards: config.sweep,
    prices: config.sweep.snapshotPricePerGiBMonth,
  };
};
