import { type CatalogPort, familyConfigSchema, ValidationError } from '@ami-lifecycle/core';
import { FamilyNotConfiguredError } from '../errors';

/** A family's config as the inspect service reads it: the stored document, parsed again, with its name. */
export type InspectFamilyConfig = ReturnType<typeof familyConfigSchema.parse> & { name: string };

/** The family's current config; a stored document that no longer parses is refused with its paths. */
export const loadFamilyConfig = async (
  catalog: CatalogPort,
  family: string,
): Promise<{ config: InspectFamilyConfig; version: number }> => {
  const stored = await catalog.getFamilyConfig(family);
  if (stored === undefined) throw new FamilyNotConfiguredError(family);
  const parsed = familyConfigSchema.safeParse(stored.config);
  if (!parsed.success) {
    throw new ValidationError(
      `stored config of family ${family} (version ${stored.version})`,
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  return { config: { ...parsed.data, name: family }, version: stored.version };
};
