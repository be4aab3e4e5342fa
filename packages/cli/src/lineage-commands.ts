import {
  type CatalogPort,
  type Image,
  imageKey,
  LIFECYCLE_STATES,
  type LifecycleState,
} from '@ami-lifecycle/core';
import { RefusedError } from './errors';
import { allPages, json } from './output';

/** The formats `lineage --format` takes. */
export const LINEAGE_FORMATS = ['tree', 'mermaid', 'dot', 'json'] as const;
export type LineageFormat = (typeof LINEAGE_FORMATS)[number];

/** An image named by family and version. */
export interface LineageRef {
  family: string;
  version: string;
}

/** One node of the lineage: an image of the catalog, or a parent the catalog no longer has. */
export interface LineageImage {
  family: string;
  version: string;
  /** The image's state; null when it is not in the catalog (a parent named by a child, since deleted). */
  state: LifecycleState | null;
  inCatalog: boolean;
  /** Region -> AMI id ({} for a parent not in the catalog). */
  amiIds: Record<string, string>;
  /** Null for a parent not in the catalog. */
  createdAt: string | null;
  /** The image it was built on; null for a golden image (and for a parent not in the catalog). */
  parent: LineageRef | null;
  /** The images built on it, ordered as `images`. */
  children: LineageRef[];
}

/**
 * The lineage of a set of images: `lineage --format json` prints it as it is. `images` are ordered by
 * family, then creation time (parents not in the catalog last in their family), then version; `roots`
 * are the images without a parent (golden images, and parents not in the catalog), in the same order.
 * Images whose parent links loop (corrupt data) have a parent and so are no root.
 */
export interface LineageGraph {
  images: LineageImage[];
  roots: LineageRef[];
}

/** One catalog query per lifecycle state, every page: every image of the catalog, retired ones included. */
export const readCatalogImages = async (catalog: CatalogPort): Promise<Image[]> => {
  const perState = await Promise.all(
    LIFECYCLE_STATES.map((state) =>
      allPages(`the ${state} images`, (page) => catalog.listImagesByState(state, page)),
    ),
  );
  return perState.flat();
};

const byFamilyCreationVersion = (a: LineageImage, b: LineageImage): number =>
  a.family.localeCompare(b.family) ||
  (a.createdAt ?? '\uffff').localeCompare(b.createdAt ?? '\uffff') ||
  a.version.localeCompare(b.version);

const refOf = (i: { family: string; version: string }): LineageRef => ({
  family: i.family,
  version: i.version,
});

/**
 * The lineage of `images` (pure): all of them, or with `family` that family's images, their ancestors
 * and their descendants. A parent an image names that is not among `images` becomes a node of its own,
 * `inCatalog: false`. Parent links that loop are kept as they are; nothing here follows them without a
 * guard.
 */
export const buildLineageGraph = (images: readonly Image[], family?: string): LineageGraph => {
  const known = new Map(images.map((i) => [imageKey(i), i]));
  const childrenOf = new Map<string, string[]>();
  for (const image of images) {
    if (image.parent === undefined) continue;
    const parent = imageKey(image.parent);
    const list = childrenOf.get(parent);
    if (list === undefined) childrenOf.set(parent, [imageKey(image)]);
    else list.push(imageKey(image));
  }

  let selected: Set<string>;
  if (family === undefined) selected = new Set(known.keys());
  else {
    selected = new Set<string>();
    // The family's images, and the versions of it that its children name but the catalog no longer has.
    const seeds = [
      ...new Set([
        ...images.filter((i) => i.family === family).map(imageKey),
        ...[...childrenOf.keys()].filter((key) => !known.has(key) && key.startsWith(`${family}@`)),
      ]),
    ];
    for (const seed of seeds) {
      // Ancestors, up to a golden image, a parent not in the catalog (added below), or a loop.
      let image: Image | undefined = known.get(seed);
      while (image !== undefined && !selected.has(imageKey(image))) {
        selected.add(imageKey(image));
        image = image.parent === undefined ? undefined : known.get(imageKey(image.parent));
      }
    }
    // Descendants, breadth first, each once.
    const queue = [...seeds];
    const queued = new Set(seeds);
    for (let i = 0; i < queue.length; i += 1) {
      for (const child of childrenOf.get(queue[i]!) ?? []) {
        if (queued.has(child)) continue;
        queued.add(child);
        selected.add(child);
        queue.push(child);
      }
    }
  }

  const nodes = new Map<string, LineageImage>();
  for (const key of selected) {
    const image = known.get(key);
    if (image === undefined) continue;
    nodes.set(key, {
      family: image.family,
      version: image.version,
      state: image.state,
      inCatalog: true,
      amiIds: { ...image.amiIds },
      createdAt: image.createdAt,
      parent: image.parent === undefined ? null : refOf(image.parent),
      children: [],
    });
  }
  // Parents named by a selected image that the catalog does not have.
  for (const node of [...nodes.values()]) {
    if (node.parent === null) continue;
    const key = imageKey(node.parent);
    if (nodes.has(key)) continue;
    nodes.set(key, {
      ...refOf(node.parent),
      state: null,
      inCatalog: false,
      amiIds: {},
      createdAt: null,
      parent: null,
      children: [],
    });
  }
  const ordered = [...nodes.values()].sort(byFamilyCreationVersion);
  for (const node of ordered) {
    if (node.parent === null) continue;
    nodes.get(imageKey(node.parent))?.children.push(refOf(node));
  }
  return {
    images: ordered,
    roots: ordered.filter((n) => n.parent === null).map(refOf),
  };
};

// --- formats ---------------------------------------------------------------------------------------------

/** ANSI colours by state, for the terminal tree. */
const STATE_COLOURS: Record<LifecycleState, string> = {
  building: '36',
  built: '36',
  inspecting: '36',
  approved: '34',
  published: '32',
  deprecated: '33',
  disabled: '35',
  retired: '90',
  rejected: '31',
  failed: '31',
};
const MISSING_COLOUR = '2';

/** `golden-al2023 1.0.0 (published)`, or `(not in catalog)`. */
const nodeText = (node: LineageImage): string =>
  `${node.family} ${node.version} (${node.state ?? 'not in catalog'})`;

const colourise = (node: LineageImage, text: string, color: boolean): string => {
  if (!color) return text;
  const code = node.state === null ? MISSING_COLOUR : STATE_COLOURS[node.state];
  return `\u001b[${code}m${text}\u001b[0m`;
};

/**
 * A terminal tree drawn with box-drawing characters: one tree per root, children under their parent.
 * Images whose parent links loop (never reached from a root) follow, each loop started at its first
 * image and marked; a link back into the path being drawn is printed once, marked, and not followed.
 */
export const formatLineageTree = (graph: LineageGraph, options: { color: boolean }): string => {
  const nodes = new Map(graph.images.map((n) => [imageKey(n), n]));
  const drawn = new Set<string>();
  const lines: string[] = [];
  const draw = (key: string, head: string, rest: string, path: readonly string[], note = '') => {
    const node = nodes.get(key);
    if (node === undefined) return;
    drawn.add(key);
    lines.push(`${head}${colourise(node, nodeText(node), options.color)}${note}`);
    node.children.forEach((child, i) => {
      const last = i === node.children.length - 1;
      const childKey = imageKey(child);
      const branch = `${rest}${last ? '└── ' : '├── '}`;
      const childNode = nodes.get(childKey);
      if (childNode === undefined) return;
      if (path.includes(childKey)) {
        lines.push(
          `${branch}${colourise(childNode, nodeText(childNode), options.color)} (cycle: its parent links loop back here)`,
        );
        return;
      }
      draw(childKey, branch, `${rest}${last ? '    ' : '│   '}`, [...path, childKey]);
    });
  };
  for (const root of graph.roots) draw(imageKey(root), '', '', [imageKey(root)]);
  for (const node of graph.images) {
    const key = imageKey(node);
    if (!drawn.has(key)) draw(key, '', '', [key], ' (in a cycle of parent links)');
  }
  return lines.join('\n');
};

/** An identifier made of letters, digits and `_` that names `text` alone: any other character is `_<hex>_`. */
const safeId = (text: string): string =>
  [...text].map((c) => (/^[A-Za-z0-9]$/.test(c) ? c : `_${c.codePointAt(0)!.toString(16)}_`)).join('');

/** Text inside a Mermaid `["..."]` label: the characters Mermaid or HTML would read as markup, as entity codes. */
const mermaidText = (text: string): string =>
  text.replace(/[\r\n]+/g, ' ').replace(/[#"<>&`]/g, (c) => `#${c.codePointAt(0)};`);

/** Fill and stroke per state, shared by the Mermaid and Graphviz formats. */
export const STATE_STYLE: Record<LifecycleState | 'missing', { fill: string; stroke: string }> = {
  building: { fill: '#e7f5ff', stroke: '#1c7ed6' },
  built: { fill: '#e7f5ff', stroke: '#1c7ed6' },
  inspecting: { fill: '#e7f5ff', stroke: '#1c7ed6' },
  approved: { fill: '#edf2ff', stroke: '#4263eb' },
  published: { fill: '#d3f9d8', stroke: '#2b8a3e' },
  deprecated: { fill: '#fff3bf', stroke: '#e67700' },
  disabled: { fill: '#f3d9fa', stroke: '#9c36b5' },
  retired: { fill: '#e9ecef', stroke: '#868e96' },
  rejected: { fill: '#ffe3e3', stroke: '#c92a2a' },
  failed: { fill: '#ffe3e3', stroke: '#c92a2a' },
  missing: { fill: '#ffffff', stroke: '#868e96' },
};

const styleKey = (node: LineageImage): LifecycleState | 'missing' => node.state ?? 'missing';

/** The families of the graph in order, each with its nodes. */
const byFamily = (graph: LineageGraph): [string, LineageImage[]][] => {
  const families = new Map<string, LineageImage[]>();
  for (const node of graph.images) {
    const list = families.get(node.family);
    if (list === undefined) families.set(node.family, [node]);
    else list.push(node);
  }
  return [...families];
};

const edgesOf = (graph: LineageGraph): { parent: string; child: string }[] =>
  graph.images.flatMap((n) =>
    n.parent === null ? [] : [{ parent: imageKey(n.parent), child: imageKey(n) }],
  );

/**
 * A Mermaid flowchart: a subgraph per family, a node per image (id `img_` and the image's key with every
 * character but letters and digits written `_<hex>_`), an edge from each parent to its child, a class per state.
 */
export const formatLineageMermaid = (graph: LineageGraph): string => {
  const id = (key: string) => `img_${safeId(key)}`;
  const lines = ['flowchart LR'];
  for (const [family, nodes] of byFamily(graph)) {
    lines.push(`  subgraph fam_${safeId(family)}["${mermaidText(family)}"]`);
    for (const node of nodes) {
      const second = node.state ?? 'not in catalog';
      lines.push(
        `    ${id(imageKey(node))}["${mermaidText(`${node.family} ${node.version}`)}<br/>${mermaidText(second)}"]`,
      );
    }
    lines.push('  end');
  }
  for (const edge of edgesOf(graph)) lines.push(`  ${id(edge.parent)} --> ${id(edge.child)}`);
  const used = new Map<string, string[]>();
  for (const node of graph.images) {
    const list = used.get(styleKey(node));
    if (list === undefined) used.set(styleKey(node), [id(imageKey(node))]);
    else list.push(id(imageKey(node)));
  }
  for (const [state, ids] of used) {
    const { fill, stroke } = STATE_STYLE[state as LifecycleState | 'missing'];
    const dashed = state === 'missing' ? ',stroke-dasharray:5 5' : '';
    lines.push(`  classDef ${state} fill:${fill},stroke:${stroke},color:#212529${dashed}`);
    lines.push(`  class ${ids.join(',')} ${state}`);
  }
  return lines.join('\n');
};

/** A double-quoted DOT string: `\` and `"` escaped, line breaks as `\n`. */
export const dotString = (text: string): string =>
  `"${text
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\r\n|\r|\n/g, '\\n')}"`;

/**
 * A Graphviz digraph: a cluster per family, one node per image named `family@version`, labelled with the
 * family, version and state and filled by state (a parent not in the catalog dashed, "(not in catalog)"),
 * and an edge from each parent to its child. With `ids`, each node and edge also gets an `id` attribute
 * (`lineage_node_<n>`, `lineage_edge_<n>`, numbered as `images` and as the edges are listed), which
 * Graphviz writes on the SVG element it draws for it.
 */
export const formatLineageDot = (graph: LineageGraph, options: { ids?: boolean } = {}): string => {
  const index = new Map(graph.images.map((n, i) => [imageKey(n), i]));
  const lines = [
    'digraph lineage {',
    '  graph [rankdir=LR, fontname="Helvetica", fontsize=12, nodesep=0.3, ranksep=0.6];',
    '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
    '  edge [color="#495057", arrowsize=0.7];',
  ];
  for (const [family, nodes] of byFamily(graph)) {
    lines.push(`  subgraph ${dotString(`cluster_${family}`)} {`);
    lines.push(`    label=${dotString(family)};`);
    lines.push('    style="rounded"; color="#adb5bd";');
    for (const node of nodes) {
      const key = imageKey(node);
      const { fill, stroke } = STATE_STYLE[styleKey(node)];
      const attributes = [
        `label=${dotString(`${node.family} ${node.version}\n${node.state ?? '(not in catalog)'}`)}`,
        `fillcolor=${dotString(fill)}`,
        `color=${dotString(stroke)}`,
        ...(node.inCatalog ? [] : ['style="rounded,dashed"']),
        ...(options.ids ? [`id=${dotString(`lineage_node_${index.get(key)}`)}`] : []),
      ];
      lines.push(`    ${dotString(key)} [${attributes.join(', ')}];`);
    }
    lines.push('  }');
  }
  edgesOf(graph).forEach((edge, i) => {
    const id = options.ids ? ` [id=${dotString(`lineage_edge_${i}`)}]` : '';
    lines.push(`  ${dotString(edge.parent)} -> ${dotString(edge.child)}${id};`);
  });
  lines.push('}');
  return lines.join('\n');
};

/** The parent -> child links of the graph, in the order `formatLineageDot` numbers its edges. */
export const lineageEdges = (graph: LineageGraph): { parent: LineageRef; child: LineageRef }[] =>
  graph.images.flatMap((n) => (n.parent === null ? [] : [{ parent: n.parent, child: refOf(n) }]));

/** `lineage --format json`: the graph as it is (see `LineageGraph`). */
export const formatLineageJson = (graph: LineageGraph): string => json(graph);

/** The graph in one of `LINEAGE_FORMATS`; `color` only changes the tree. */
export const formatLineage = (
  graph: LineageGraph,
  format: LineageFormat,
  options: { color: boolean },
): string => {
  switch (format) {
    case 'tree':
      return formatLineageTree(graph, options);
    case 'mermaid':
      return formatLineageMermaid(graph);
    case 'dot':
      return formatLineageDot(graph);
    case 'json':
      return formatLineageJson(graph);
  }
};

/** Families with a stored config or with images, by name. */
const knownFamilies = async (catalog: CatalogPort, images: readonly Image[]): Promise<string[]> => {
  const configs = await allPages('the families', (page) => catalog.listFamilyConfigs(page));
  return [...new Set([...configs.map((c) => c.family), ...images.map((i) => i.family)])].sort();
};

/**
 * `lineage [--family F] [--format tree|mermaid|dot|json]`: every image of the catalog (or F's images, their
 * ancestors and descendants) as a lineage. The whole catalog is read (one query per state) either way: an
 * image of another family built on one of F's can only be found among all of them. A family with no
 * stored config and no images is refused, naming the families there are.
 */
export const showLineage = async (
  catalog: CatalogPort,
  request: { family: string | undefined; format: LineageFormat; color: boolean },
  out: (line: string) => void,
): Promise<void> => {
  const images = await readCatalogImages(catalog);
  const { family } = request;
  if (
    family !== undefined &&
    !images.some((i) => i.family === family) &&
    (await catalog.getFamilyConfig(family)) === undefined
  ) {
    const known = await knownFamilies(catalog, images);
    throw new RefusedError(
      `family ${family} is unknown: it has no stored config and no images; ` +
        (known.length === 0 ? 'there are no families yet' : `the families are ${known.join(', ')}`),
    );
  }
  const graph = buildLineageGraph(images, family);
  if (request.format === 'tree' && graph.images.length === 0) {
    out(family === undefined ? 'no images' : `family ${family} has no images yet`);
    return;
  }
  for (const line of formatLineage(graph, request.format, request).split('\n')) out(line);
};
