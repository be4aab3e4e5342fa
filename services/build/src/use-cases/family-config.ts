import {
  type CatalogPort,
  familyConfigSchema,
  type StoredFamilyConfig,
  ValidationError,
} from '@ami-lifecycle/core';
import { FamilyNotConfiguredError } from '../errors';

/**
 * A family's config as the build service reads it from the catalog: the stored document, parsed again,
 * with its name. A `FamilyConfig` from `parsePolicy` is one too.
 */
export type BuildFamilyConfig = ReturnType<typeof familyConfigSchema.parse> & { name: string };

export interface LoadedFamilyConfig {
  config: BuildFamilyConfig;
  /** The stored config version; part of the build key. */
  version: number;
}

/** The family's current config; a stored document that no longer parses is refused with its paths. */
export const loadFamilyConfig = async (catalog: CatalogPort, family: string): Promise<LoadedFamilyConfig> => {
  const stored = await catalog.getFamilyConfig(family);
  if (stored === undefined) throw new FamilyNotConfiguredError(family);
  return parseStoredConfig(family, stored);
};

/** One stored config version, parsed again; refused with its paths when it no longer parses. */
export const parseStoredConfig = (family: string, stored: StoredFamilyConfig): LoadedFamilyConfig => {
  const subject = `stored config of family ${family} (version ${stored.version})`;
  const parsed = familyConfigSchema.safeParse(stored.config);
  if (!parsed.success) {
    throw new ValidationError(
      subject,
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  if (parsed.data.name !== undefined && parsed.data.name !== family) {
    throw new ValidationError(subject, [{ path: 'name', message: `must be ${family}` }]);
  }
  return { config: { ...parsed.data, name: family }, version: stored.version };
};

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
