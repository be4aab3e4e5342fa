import { type ImageRef, imageKey } from './model';

interface LineageNode {
  family: string;
  version: string;
  parent?: ImageRef | undefined;
}

/** Parent and child links between images, indexed once for repeated questions. */
export interface Lineage {
  parentOf(key: string): string | undefined;
  childrenOf(key: string): readonly string[];
  /** Nearest first: parent, grandparent, ... Stops at an unknown image or a cycle in corrupt data. */
  ancestors(key: string): string[];
  /** Breadth first, each once. */
  descendants(key: string): string[];
}

/** Indexes the parent links of `images` by `imageKey`. A parent outside the set is still a valid link. */
export const buildLineage = (images: Iterable<LineageNode>): Lineage => {
  const parent = new Map<string, string>();
  const children = new Map<string, string[]>();
  for (const img of images) {
    if (!img.parent) continue;
    const key = imageKey(img);
    const p = imageKey(img.parent);
    parent.set(key, p);
    const list = children.get(p);
    if (list) list.push(key);
    else children.set(p, [key]);
  }
  return {
    parentOf: (key) => parent.get(key),
    childrenOf: (key) => children.get(key) ?? [],
    ancestors: (key) => {
      const out: string[] = [];
      const seen = new Set([key]);
      for (let p = parent.get(key); p !== undefined && !seen.has(p); p = parent.get(p)) {
        seen.add(p);
        out.push(p);
      }
      return out;
    },
    descendants: (key) => {
      const out: string[] = [];
      const seen = new Set([key]);
      const queue = [key];
      for (let i = 0; i < queue.length; i++) {
        for (const c of children.get(queue[i]!) ?? []) {
          if (seen.has(c)) continue;
          seen.add(c);
          out.push(c);
          queue.push(c);
        }
      }
      return out;
    },
  };
};

/**
 * True when an image was built on a parent that its parent family's channel no longer points to, so a
 * refresh would build it on something newer. Golden images (no parent) are never outdated this way.
 */
export const isBuiltOnOutdatedParent = (
  image: { parent?: ImageRef | undefined },
  parentChannel: { family: string; version: string } | undefined,
): boolean =>
  image.parent !== undefined &&
  parentChannel !== undefined &&
  parentChannel.family === image.parent.family &&
  parentChannel.version !== image.parent.version;

/**
 * Families built on `family`, directly or through other families, parents before children: the order
 * a refresh rebuilds them in. Assumes the config was validated acyclic; guards anyway.
 */
export const descendantFamilies = (
  families: Iterable<{ name: string; parent?: { family: string } | undefined }>,
  family: string,
): string[] => {
  const children = new Map<string, string[]>();
  for (const f of families) {
    if (!f.parent) continue;
    const list = children.get(f.parent.family);
    if (list) list.push(f.name);
    else children.set(f.parent.family, [f.name]);
  }
  const out: string[] = [];
  const seen = new Set([family]);
  const queue = [family];
  for (let i = 0; i < queue.length; i++) {
    for (const c of (children.get(queue[i]!) ?? []).sort()) {
      if (seen.has(c)) continue;
      seen.add(c);
      out.push(c);
      queue.push(c);
    }
  }
  return out;
};
