import { InMemoryCatalog } from '@ami-lifecycle/catalog';
import type { Image, LifecycleState } from '@ami-lifecycle/core';
import { instance } from '@viz-js/viz';
import { RefusedError } from '../src/errors';
import {
  buildLineageGraph,
  formatLineageDot,
  formatLineageJson,
  formatLineageMermaid,
  formatLineageTree,
  LINEAGE_FORMATS,
  type LineageGraph,
  readCatalogImages,
  showLineage,
} from '../src/lineage-commands';

const AL = 'golden-al2023';
const UBUNTU = 'golden-ubuntu';
const PAYMENTS = 'payments-api';
const ORDERS = 'orders-worker';
const LEGACY = 'legacy-app';

let created = 0;

/** An image stored as it is given (the lineage reads states and parents, not how they were reached). */
const put = async (
  catalog: InMemoryCatalog,
  family: string,
  version: string,
  state: LifecycleState,
  parent?: { family: string; version: string },
): Promise<void> => {
  created += 1;
  const at = new Date(Date.parse('2026-01-01T00:00:00.000Z') + created * 3_600_000).toISOString();
  const image: Image = {
    family,
    version,
    state,
    stateVersion: 0,
    amiIds: { 'eu-west-1': `ami-0a${created.toString(16).padStart(15, '0')}` },
    snapshotIds: [],
    vulnerable: false,
    managed: true,
    createdAt: at,
    stateChangedAt: at,
    ...(parent === undefined ? {} : { parent }),
  };
  await catalog.createImage(image, { actor: 'test', reason: 'seeded', correlationId: `c-${created}` });
};

/**
 * Two golden families, two generations of applications, and an image whose parent the catalog no longer has:
 *
 *   golden-al2023 1.0.0 -> payments-api 1.0.0 -> orders-worker 1.0.0
 *                       -> payments-api 1.0.1
 *   golden-al2023 1.1.0 -> payments-api 1.1.0
 *   golden-ubuntu 24.04.1
 *   (golden-al2023 0.9.0, not in the catalog) -> legacy-app 0.1.0
 */
const sample = async (): Promise<InMemoryCatalog> => {
  const catalog = new InMemoryCatalog();
  await put(catalog, AL, '1.0.0', 'deprecated');
  await put(catalog, AL, '1.1.0', 'published');
  await put(catalog, UBUNTU, '24.04.1', 'published');
  await put(catalog, PAYMENTS, '1.0.0', 'published', { family: AL, version: '1.0.0' });
  await put(catalog, PAYMENTS, '1.0.1', 'rejected', { family: AL, version: '1.0.0' });
  await put(catalog, PAYMENTS, '1.1.0', 'inspecting', { family: AL, version: '1.1.0' });
  await put(catalog, ORDERS, '1.0.0', 'retired', { family: PAYMENTS, version: '1.0.0' });
  await put(catalog, LEGACY, '0.1.0', 'disabled', { family: AL, version: '0.9.0' });
  return catalog;
};

const graphOf = async (catalog: InMemoryCatalog, family?: string): Promise<LineageGraph> =>
  buildLineageGraph(await readCatalogImages(catalog), family);

const keys = (graph: LineageGraph) => graph.images.map((i) => `${i.family}@${i.version}`);

const shown = async (
  catalog: InMemoryCatalog,
  request: Partial<Parameters<typeof showLineage>[1]> = {},
): Promise<string[]> => {
  const out: string[] = [];
  await showLineage(catalog, { family: undefined, format: 'tree', color: false, ...request }, (l) =>
    out.push(l),
  );
  return out;
};

describe('the lineage graph', () => {
  it('has every image of the catalog once, parents and children linked, golden images and missing parents as roots', async () => {
    const graph = await graphOf(await sample());

    expect(keys(graph)).toEqual([
      `${AL}@1.0.0`,
      `${AL}@1.1.0`,
      `${AL}@0.9.0`,
      `${UBUNTU}@24.04.1`,
      `${LEGACY}@0.1.0`,
      `${ORDERS}@1.0.0`,
      `${PAYMENTS}@1.0.0`,
      `${PAYMENTS}@1.0.1`,
      `${PAYMENTS}@1.1.0`,
    ]);
    expect(graph.roots).toEqual([
      { family: AL, version: '1.0.0' },
      { family: AL, version: '1.1.0' },
      { family: AL, version: '0.9.0' },
      { family: UBUNTU, version: '24.04.1' },
    ]);
    const al = graph.images[0]!;
    expect(al).toEqual({
      family: AL,
      version: '1.0.0',
      state: 'deprecated',
      inCatalog: true,
      amiIds: { 'eu-west-1': expect.stringMatching(/^ami-0a/) },
      createdAt: expect.any(String),
      parent: null,
      children: [
        { family: PAYMENTS, version: '1.0.0' },
        { family: PAYMENTS, version: '1.0.1' },
      ],
    });
    expect(graph.images.find((i) => i.family === AL && i.version === '0.9.0')).toEqual({
      family: AL,
      version: '0.9.0',
      state: null,
      inCatalog: false,
      amiIds: {},
      createdAt: null,
      parent: null,
      children: [{ family: LEGACY, version: '0.1.0' }],
    });
    expect(graph.images.find((i) => i.family === ORDERS)?.parent).toEqual({
      family: PAYMENTS,
      version: '1.0.0',
    });
  });

  it('of one family: its images, their ancestors and their descendants, and nothing else', async () => {
    const catalog = await sample();

    expect(keys(await graphOf(catalog, PAYMENTS))).toEqual([
      `${AL}@1.0.0`,
      `${AL}@1.1.0`,
      `${ORDERS}@1.0.0`,
      `${PAYMENTS}@1.0.0`,
      `${PAYMENTS}@1.0.1`,
      `${PAYMENTS}@1.1.0`,
    ]);
    expect(keys(await graphOf(catalog, ORDERS))).toEqual([
      `${AL}@1.0.0`,
      `${ORDERS}@1.0.0`,
      `${PAYMENTS}@1.0.0`,
    ]);
    const golden = await graphOf(catalog, AL);
    expect(keys(golden)).not.toContain(`${UBUNTU}@24.04.1`);
    expect(keys(golden)).toContain(`${LEGACY}@0.1.0`);
    // Only what is selected is a child: payments-api 1.0.1 is not orders-worker's sibling in its view.
    const orders = await graphOf(catalog, ORDERS);
    expect(orders.images[0]!.children).toEqual([{ family: PAYMENTS, version: '1.0.0' }]);
  });

  it('survives parent links that loop: every image is drawn once and the loop is marked', async () => {
    const catalog = new InMemoryCatalog();
    await put(catalog, 'loop-a', '1.0.0', 'published', { family: 'loop-b', version: '1.0.0' });
    await put(catalog, 'loop-b', '1.0.0', 'published', { family: 'loop-a', version: '1.0.0' });
    await put(catalog, 'loop-c', '1.0.0', 'built', { family: 'loop-a', version: '1.0.0' });
    await put(catalog, 'self', '1.0.0', 'built', { family: 'self', version: '1.0.0' });
    const graph = await graphOf(catalog);

    expect(graph.roots).toEqual([]);
    expect(formatLineageTree(graph, { color: false }).split('\n')).toEqual([
      'loop-a 1.0.0 (published) (in a cycle of parent links)',
      '├── loop-b 1.0.0 (published)',
      '│   └── loop-a 1.0.0 (published) (cycle: its parent links loop back here)',
      '└── loop-c 1.0.0 (built)',
      'self 1.0.0 (built) (in a cycle of parent links)',
      '└── self 1.0.0 (built) (cycle: its parent links loop back here)',
    ]);
    expect(keys(await graphOf(catalog, 'loop-b'))).toEqual(['loop-a@1.0.0', 'loop-b@1.0.0', 'loop-c@1.0.0']);
    for (const format of LINEAGE_FORMATS) await expect(shown(catalog, { format })).resolves.not.toEqual([]);
  });
});

describe('lineage formats', () => {
  it('tree: one tree per root, drawn with box-drawing characters, a missing parent marked', async () => {
    const tree = formatLineageTree(await graphOf(await sample()), { color: false });

    expect(tree.split('\n')).toEqual([
      'golden-al2023 1.0.0 (deprecated)',
      '├── payments-api 1.0.0 (published)',
      '│   └── orders-worker 1.0.0 (retired)',
      '└── payments-api 1.0.1 (rejected)',
      'golden-al2023 1.1.0 (published)',
      '└── payments-api 1.1.0 (inspecting)',
      'golden-al2023 0.9.0 (not in catalog)',
      '└── legacy-app 0.1.0 (disabled)',
      'golden-ubuntu 24.04.1 (published)',
    ]);
    expect(tree).not.toContain('\u001b[');
  });

  it('tree: coloured by state only when asked, the drawing left plain', async () => {
    const graph = await graphOf(await sample());

    const lines = formatLineageTree(graph, { color: true }).split('\n');

    expect(lines[0]).toBe('\u001b[33mgolden-al2023 1.0.0 (deprecated)\u001b[0m');
    expect(lines[1]).toBe('├── \u001b[32mpayments-api 1.0.0 (published)\u001b[0m');
    expect(lines[2]).toBe('│   └── \u001b[90morders-worker 1.0.0 (retired)\u001b[0m');
    expect(lines[3]).toBe('└── \u001b[31mpayments-api 1.0.1 (rejected)\u001b[0m');
    expect(lines[6]).toBe('\u001b[2mgolden-al2023 0.9.0 (not in catalog)\u001b[0m');
    const ansi = new RegExp(`${String.fromCharCode(27)}\\[\\d+m`, 'g');
    expect(lines.map((l) => l.replace(ansi, ''))).toEqual(
      formatLineageTree(graph, { color: false }).split('\n'),
    );
  });

  it('mermaid: a subgraph per family, a node per image with an escaped id, an edge per parent link', async () => {
    const graph = await graphOf(await sample());

    const mermaid = formatLineageMermaid(graph).split('\n');

    expect(mermaid[0]).toBe('flowchart LR');
    expect(mermaid.filter((l) => /^ {2}subgraph /.test(l))).toEqual([
      '  subgraph fam_golden_2d_al2023["golden-al2023"]',
      '  subgraph fam_golden_2d_ubuntu["golden-ubuntu"]',
      '  subgraph fam_legacy_2d_app["legacy-app"]',
      '  subgraph fam_orders_2d_worker["orders-worker"]',
      '  subgraph fam_payments_2d_api["payments-api"]',
    ]);
    expect(mermaid).toContain(
      '    img_golden_2d_al2023_40_1_2e_0_2e_0["golden-al2023 1.0.0<br/>deprecated"]',
    );
    expect(mermaid).toContain(
      '    img_golden_2d_al2023_40_0_2e_9_2e_0["golden-al2023 0.9.0<br/>not in catalog"]',
    );
    const edges = mermaid.filter((l) => l.includes(' --> '));
    expect(edges).toHaveLength(graph.images.filter((i) => i.parent !== null).length);
    expect(edges).toContain('  img_payments_2d_api_40_1_2e_0_2e_0 --> img_orders_2d_worker_40_1_2e_0_2e_0');
    expect(mermaid.filter((l) => /^ {4}img_/.test(l))).toHaveLength(graph.images.length);
    expect(mermaid).toContain('  class img_golden_2d_al2023_40_0_2e_9_2e_0 missing');
  });

  it('dot: a digraph Graphviz lays out, one node per image clustered by family, an edge per parent link', async () => {
    const graph = await graphOf(await sample());

    const dot = formatLineageDot(graph);

    expect(dot).toMatch(/^digraph lineage \{/);
    expect(dot).toContain('  subgraph "cluster_payments-api" {');
    expect(dot).toContain('  "golden-al2023@1.0.0" -> "payments-api@1.0.0";');
    expect(dot).toContain('"golden-al2023@0.9.0" [label="golden-al2023 0.9.0\\n(not in catalog)"');
    const viz = await instance();
    const drawn = viz.renderJSON(dot) as { objects: { name: string; nodes?: number[] }[]; edges: unknown[] };
    const nodes = drawn.objects.filter((o) => o.nodes === undefined).map((o) => o.name);
    expect(nodes.sort()).toEqual(keys(graph).sort());
    expect(drawn.edges).toHaveLength(graph.images.filter((i) => i.parent !== null).length);
    const clusters = drawn.objects.filter((o) => o.nodes !== undefined).map((o) => o.name);
    expect(clusters.sort()).toEqual([AL, UBUNTU, LEGACY, ORDERS, PAYMENTS].map((f) => `cluster_${f}`).sort());
  });

  it('json: the graph in its documented shape', async () => {
    const graph = await graphOf(await sample());

    const parsed = JSON.parse(formatLineageJson(graph));

    expect(Object.keys(parsed)).toEqual(['images', 'roots']);
    expect(parsed).toEqual(graph);
    for (const image of parsed.images)
      expect(Object.keys(image)).toEqual([
        'family',
        'version',
        'state',
        'inCatalog',
        'amiIds',
        'createdAt',
        'parent',
        'children',
      ]);
  });

  it('escapes what a version may hold, in every format', async () => {
    const catalog = new InMemoryCatalog();
    // Anything but '#', which separates the catalog's key parts.
    const odd = '1.0.0"<b>&x\\';
    await put(catalog, 'odd-family', odd, 'published');
    await put(catalog, 'odd-child', '1.0.0', 'built', { family: 'odd-family', version: odd });
    const graph = await graphOf(catalog);

    const mermaid = formatLineageMermaid(graph);
    expect(mermaid).toContain('["odd-family 1.0.0#34;#60;b#62;#38;x\\<br/>published"]');
    expect(mermaid).not.toMatch(/<b>|&x/);
    const ids = [...mermaid.matchAll(/^\s+(img_\S+)\[/gm)].map((m) => m[1]!);
    expect(ids.every((id) => /^img_[A-Za-z0-9_]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(2);

    const dot = formatLineageDot(graph);
    expect(dot).toContain('"odd-family@1.0.0\\"<b>&x\\\\" -> "odd-child@1.0.0"');
    const viz = await instance();
    const svg = viz.renderString(dot, { format: 'svg' });
    // Graphviz read the label back as it was: the version in full, nothing of it taken as markup.
    expect(svg).toContain('odd&#45;family 1.0.0&quot;&lt;b&gt;&amp;x\\');
    expect(svg).not.toContain('<b>');
  });
});

describe('showLineage', () => {
  it('prints the chosen format line by line', async () => {
    const catalog = await sample();

    expect(await shown(catalog)).toEqual(
      formatLineageTree(await graphOf(catalog), { color: false }).split('\n'),
    );
    expect(JSON.parse((await shown(catalog, { format: 'json', family: ORDERS })).join('\n'))).toEqual(
      await graphOf(catalog, ORDERS),
    );
    expect((await shown(catalog, { format: 'dot' }))[0]).toBe('digraph lineage {');
    expect((await shown(catalog, { format: 'mermaid' }))[0]).toBe('flowchart LR');
  });

  it('refuses a family with no config and no images, naming the families there are', async () => {
    const catalog = await sample();
    await catalog.putFamilyConfig(
      'configured-only',
      {},
      { expectedCurrent: null, at: '2026-01-01T00:00:00Z', by: 't' },
    );

    const refused = shown(catalog, { family: 'nope' });

    await expect(refused).rejects.toBeInstanceOf(RefusedError);
    await expect(refused).rejects.toThrow(
      'family nope is unknown: it has no stored config and no images; the families are ' +
        'configured-only, golden-al2023, golden-ubuntu, legacy-app, orders-worker, payments-api',
    );
    expect(await shown(catalog, { family: 'configured-only' })).toEqual([
      'family configured-only has no images yet',
    ]);
    expect(await shown(new InMemoryCatalog())).toEqual(['no images']);
    await expect(shown(new InMemoryCatalog(), { family: 'nope' })).rejects.toThrow(
      'family nope is unknown: it has no stored config and no images; there are no families yet',
    );
  });
});
