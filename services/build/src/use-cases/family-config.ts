import {
  type CatalogPort,
  FamilyNotConfiguredError,
  loadFamilyConfig,
  parseStoredConfig,
  type StoredConfig,
} from '@ami-lifecycle/core';

/**
 * A family's config as the build service reads it from the catalog: the stored document, parsed again,
 * with its name. A `FamilyConfig` from `parsePolicy` is one too.
 */
export type BuildFamilyConfig = StoredConfig;

export interface LoadedFamilyConfig {
  config: BuildFamilyConfig;
  /** The stored config version; part of the build key. */
  version: number;
}

export { loadFamilyConfig, parseStoredConfig };

/** The config version a build started with (recorded on its image); the current one when none is recorded. */
export const loadFamilyConfigVersion = async (
  catalog: CatalogPort,
  family: string,
  version: number | undefined,
): Promise<LoadedFamilyConfig> => {
  if (version === undefined) return loadFamilyConfig(catalog, family);
  const stored = await catalog.getFamilyConfig(family, version);
  if (stored === undefined) throw new FamilyNotConfiguredError(family);
  return parseStoredConfig(family, stored);
};
