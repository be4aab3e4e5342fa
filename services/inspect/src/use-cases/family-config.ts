import { loadFamilyConfig, type StoredConfig } from '@ami-lifecycle/core';

/** A family's config as the inspect service reads it: the stored document, parsed again, with its name. */
export type InspectFamilyConfig = StoredConfig;

export { loadFamilyConfig };
