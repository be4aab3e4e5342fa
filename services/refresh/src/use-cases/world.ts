import { listAll } from '@ami-lifecycle/catalog';
import {
  type CatalogPort,
  type Image,
  imageKey,
  parseStoredConfig,
  type StoredConfig,
} from '@ami-lifecycle/core';
import type { FamilyView } from '../plan';

// Bounds on what one decision reads; more is a data problem to surface, not to page through forever.
const MAX_FAMILY_PAGES = 20;
const MAX_IMAGE_PAGES = 100;
/** Deeper lineages than this are corrupt data (the policy refuses cycles); the walk stops there. */
const MAX_LINEAGE_DEPTH = 16;

/** A stored config that no longer parses: the family is left out of every decision, and said so. */
export interface UnreadableFamily {
  family: string;
  error: string;
}

export interface LoadedFamilies {
  views: FamilyView[];
  unreadable: UnreadableFamily[];
}

/**
 * The families whose current config passes `wanted`, each with its images and channels. Configs are read
 * once; images and channels only for the families wanted.
 */
export const loadFamilies = async (
  catalog: CatalogPort,
  wanted: (config: StoredConfig) => boolean = () => true,
): Promise<LoadedFamilies> => {
  const stored = await listAll('family configs', (page) => catalog.listFamilyConfigs(page), MAX_FAMILY_PAGES);
  const views: FamilyView[] = [];
  const unreadable: UnreadableFamily[] = [];
  for (const s of stored) {
    let parsed: ReturnType<typeof parseStoredConfig>;
    try {
      parsed = parseStoredConfig(s.family, s);
    } catch (err) {
      unreadable.push({ family: s.family, error: (err as Error).message });
      continue;
    }
    if (!wanted(parsed.config)) continue;
    views.push(await loadView(catalog, parsed.config, parsed.version));
  }
  return { views, unreadable };
};

export const loadView = async (
  catalog: CatalogPort,
  config: StoredConfig,
  configVersion: number,
): Promise<FamilyView> => {
  const [images, channels] = await Promise.all([
    listAll(
      `images of family ${config.name}`,
      (page) => catalog.listImagesByFamily(config.name, page),
      MAX_IMAGE_PAGES,
    ),
    catalog.listChannels(config.name),
  ]);
  return { name: config.name, config, configVersion, images, channels };
};

/**
 * The families `image` descends from, its own included: none of them may be rebuilt because of it. Walks
 * the recorded parents in the catalog, at most `MAX_LINEAGE_DEPTH` steps, stopping at a repeat.
 */
export const lineageFamilies = async (catalog: CatalogPort, image: Image): Promise<Set<string>> => {
  const families = new Set([image.family]);
  const seen = new Set([imageKey(image)]);
  let parent = image.parent;
  for (let depth = 0; parent !== undefined && depth < MAX_LINEAGE_DEPTH; depth++) {
    families.add(parent.family);
    if (seen.has(imageKey(parent))) break;
    seen.add(imageKey(parent));
    parent = (await catalog.getImage(parent.family, parent.version))?.parent;
  }
  return families;
};
