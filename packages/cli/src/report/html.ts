import { imageKey, LIFECYCLE_STATES, type LifecycleState } from '@ami-lifecycle/core';
import { instance, type Viz } from '@viz-js/viz';
import { formatLineageDot, type LineageGraph, lineageEdges, STATE_STYLE } from '../lineage-commands';
import { minutes } from '../output';
import type { ReportData, ReportFamily, ReportImage, ReportPlan, ReportStorage, ReportSweeps } from './types';

/** Text or an attribute value, with every character HTML could read as markup written as an entity. */
export const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
const h = escapeHtml;

/** `8`, `12.5`: at most two decimals. */
export const formatGiB = (gib: number): string => String(Number(gib.toFixed(2)));
/** `USD 1.20`. */
export const formatUsd = (usd: number): string => `USD ${usd.toFixed(2)}`;

const time = (iso: string | null): string =>
  iso === null ? '-' : `<time datetime="${h(iso)}">${h(minutes(iso))}</time>`;

const badge = (state: LifecycleState | null): string =>
  `<span class="badge state-${state ?? 'missing'}">${h(state ?? 'not in catalog')}</span>`;

let viz: Promise<Viz> | undefined;

/** Graphviz's SVG without its XML prolog, doctype, comments and namespace declarations (HTML needs none). */
const inlineSvg = (svg: string): string =>
  svg
    .replace(/<\?xml[\s\S]*?\?>/g, '')
    .replace(/<!DOCTYPE[\s\S]*?>/g, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/\s+xmlns(:\w+)?="[^"]*"/g, '')
    .trim();

/**
 * The lineage as an SVG drawn now by Graphviz (`@viz-js/viz`, WebAssembly, no process and no network):
 * the DOT of `lineage --format dot`, each node's `<g class="node">` then marked `data-image` (its
 * `family@version`), `data-state` and `data-in-catalog`, each edge's `<g class="edge">` `data-parent` and
 * `data-child`. Throws when Graphviz fails or a node or edge cannot be found in its output.
 */
export const renderLineageSvg = async (graph: LineageGraph): Promise<string> => {
  viz ??= instance().catch((error: unknown) => {
    viz = undefined;
    throw error;
  });
  const result = (await viz).render(formatLineageDot(graph, { ids: true }), { format: 'svg', engine: 'dot' });
  if (result.status !== 'success')
    throw new Error(`Graphviz could not draw the lineage: ${result.errors.map((e) => e.message).join('; ')}`);
  let marked = 0;
  const edges = lineageEdges(graph);
  const svg = inlineSvg(result.output)
    .replace(/<g id="lineage_node_(\d+)" class="node">/g, (whole, n: string) => {
      const node = graph.images[Number(n)];
      if (node === undefined) return whole;
      marked += 1;
      return `<g id="lineage_node_${n}" class="node" data-image="${h(imageKey(node))}" data-state="${h(node.state ?? 'missing')}" data-in-catalog="${node.inCatalog}">`;
    })
    .replace(/<g id="lineage_edge_(\d+)" class="edge">/g, (whole, n: string) => {
      const edge = edges[Number(n)];
      if (edge === undefined) return whole;
      marked += 1;
      return `<g id="lineage_edge_${n}" class="edge" data-parent="${h(imageKey(edge.parent))}" data-child="${h(imageKey(edge.child))}">`;
    });
  if (marked !== graph.images.length + edges.length)
    throw new Error(
      `Graphviz's SVG of the lineage has ${marked} of its ${graph.images.length} nodes and ${edges.length} edges where expected`,
    );
  return svg;
};

const STYLE = `
:root { color-scheme: light; --ink: #212529; --muted: #6c757d; --line: #dee2e6; --soft: #f8f9fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink); background: #fff; }
header { padding: 20px 32px 12px; border-bottom: 1px solid var(--line); background: var(--soft); }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: var(--muted); }
nav { margin-top: 8px; display: flex; gap: 16px; flex-wrap: wrap; }
nav a { color: #1c7ed6; text-decoration: none; }
main { padding: 8px 32px 40px; }
section > h2 { margin: 28px 0 8px; font-size: 18px; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
section.family { border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; margin: 12px 0; }
section.family h3 { margin: 0 0 4px; font-size: 16px; }
.meta { color: var(--muted); margin: 2px 0 8px; }
.note { color: var(--muted); max-width: 70em; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; padding: 0; list-style: none; }
.cards li { border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; min-width: 9em; background: var(--soft); }
.cards b { display: block; font-size: 20px; }
ul.counts { display: flex; flex-wrap: wrap; gap: 8px; list-style: none; padding: 0; margin: 6px 0 10px; }
table { border-collapse: collapse; margin: 8px 0 12px; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: 600; border-top: 2px solid var(--line); }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
.badge { display: inline-block; padding: 0 6px; border-radius: 10px; border: 1px solid; font-size: 12px; white-space: nowrap; }
${[...LIFECYCLE_STATES, 'missing' as const].map((s) => `.state-${s} { background: ${STATE_STYLE[s].fill}; border-color: ${STATE_STYLE[s].stroke}; }`).join('\n')}
.decision-keep { color: #2b8a3e; } .decision-deprecate { color: #e67700; } .decision-disable { color: #9c36b5; } .decision-retire { color: #c92a2a; }
details summary { cursor: pointer; color: #1c7ed6; }
td ul { margin: 0; padding-left: 16px; }
#plan td:first-child { white-space: nowrap; }
ol.timeline { margin: 4px 0; padding-left: 18px; }
ol.timeline li { margin: 2px 0; }
.graph { overflow: auto; border: 1px solid var(--line); border-radius: 8px; padding: 8px; }
.graph svg { max-width: 100%; height: auto; }
.guard-tripped { color: #c92a2a; font-weight: 600; }
`;

const imageRow = (image: ReportImage): string => {
  const amis = Object.entries(image.amiIds)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([region, id]) => `<div><span class="mono">${h(region)}</span> <code>${h(id)}</code></div>`)
    .join('');
  const timeline = image.timeline
    .map(
      (t) =>
        `<li data-action="${h(t.action)}">${time(t.at)} <b>${h(t.to ?? t.action)}</b>${
          t.from || t.to ? ` <span class="meta">(${h(t.from ?? '-')} &rarr; ${h(t.to ?? '-')})</span>` : ''
        } by ${h(t.actor)}: ${h(t.reason)}</li>`,
    )
    .join('');
  return `<tr data-image="${h(imageKey(image))}" data-state="${h(image.state)}">
<td>${h(image.version)}</td><td>${badge(image.state)}</td><td>${h(image.verdict ?? '-')}${image.vulnerable ? ' <b>vulnerable</b>' : ''}</td>
<td>${h(image.channels.join(', ') || '-')}</td><td>${image.parent ? h(imageKey(image.parent)) : '-'}</td>
<td>${time(image.createdAt)}</td><td>${amis || '-'}</td>
<td class="num">${image.snapshotGiB === null ? '-' : h(formatGiB(image.snapshotGiB))}</td>
<td><details class="timeline"><summary>${image.timeline.length} event${image.timeline.length === 1 ? '' : 's'}</summary><ol class="timeline">${timeline}</ol></details></td>
</tr>`;
};

const familySection = (family: ReportFamily): string => {
  const counts = LIFECYCLE_STATES.filter((s) => family.counts[s] > 0)
    .map((s) => `<li data-state="${s}">${badge(s)} <b>${family.counts[s]}</b></li>`)
    .join('');
  const channels =
    Object.entries(family.channels)
      .map(([c, v]) => `${h(c)} &rarr; ${h(v)}`)
      .join(', ') || 'none';
  const config =
    family.configVersion === null
      ? 'no stored config'
      : `config v${family.configVersion}${family.configError === null ? '' : ` (does not parse: ${h(family.configError)})`}`;
  return `<section class="family" id="family-${h(family.name)}" data-family="${h(family.name)}">
<h3>${h(family.name)}</h3>
<p class="meta">${h(family.kind ?? 'kind unknown')} &middot; ${config} &middot; channels: ${channels} &middot; ${family.images.length} image${family.images.length === 1 ? '' : 's'}</p>
${counts === '' ? '<p class="meta">No images.</p>' : `<ul class="counts">${counts}</ul>`}
${
  family.images.length === 0
    ? ''
    : `<table class="images"><thead><tr><th>Version</th><th>State</th><th>Verdict</th><th>Channels</th><th>Parent</th><th>Created</th><th>AMIs</th><th class="num">Snapshot GiB</th><th>Timeline</th></tr></thead>
<tbody>${family.images.map(imageRow).join('\n')}</tbody></table>`
}
</section>`;
};

const planSection = (plan: ReportPlan | null): string => {
  if (plan === null)
    return '<p class="meta">No retention plan is stored yet (amictl retention apply starts a sweep).</p>';
  const s = plan.summary;
  const guard =
    plan.guard.status === 'ok'
      ? '<p>Guard: ok.</p>'
      : `<p class="guard-tripped">Guard tripped, no action is taken: ${h(plan.guard.reasons.join('; '))}</p>`;
  const withheld = plan.withheld.map((w) => `<li><b>${h(w.family)}</b>: ${h(w.reason)}</li>`).join('');
  const rows = plan.decisions
    .map(
      (d) => `<tr data-decision="${h(d.decision)}" data-image="${h(imageKey(d))}">
<td>${h(imageKey(d))}</td><td>${badge(d.state)}</td><td class="decision-${h(d.decision)}"><b>${h(d.decision)}</b></td>
<td>${d.decision === 'keep' ? '-' : d.action ? 'yes' : 'no'}</td>
<td><ul>${d.reasons.map((r) => `<li><code>${h(r.code)}</code> ${h(r.message)}</li>`).join('')}</ul></td>
<td>${d.now === null ? 'not in the catalog' : badge(d.now)}</td></tr>`,
    )
    .join('\n');
  return `<p class="meta">Sweep <b>${h(plan.sweepId)}</b>, planned ${time(plan.generatedAt)} from the inventory read ${time(plan.inventoryAt)}${
    plan.previousSweepId === null ? '' : `; the plan before it: ${h(plan.previousSweepId)}`
  }.</p>
${guard}
<p>Decisions: ${s.deprecate} deprecate, ${s.disable} disable, ${s.retire} retire, ${s.keep} keep.</p>
${withheld === '' ? '' : `<p>Only planned, not acted on, for:</p><ul class="withheld">${withheld}</ul>`}
<table id="plan"><thead><tr><th>Image</th><th>State then</th><th>Decision</th><th>Action</th><th>Reasons</th><th>Now</th></tr></thead>
<tbody>${rows}</tbody></table>`;
};

const storageSection = (storage: ReportStorage): string => {
  const owner = storage.ownerAccount;
  const ownerText =
    owner.id === null
      ? 'the account that owns the images (not named: give it, or keep exactly one account without a roleArn in the policy)'
      : `${owner.name === null ? '' : `${h(owner.name)} `}<code>${h(owner.id)}</code>`;
  const rows = storage.rows
    .map(
      (r) => `<tr data-family="${h(r.family)}" data-region="${h(r.region)}">
<td>${r.account === null ? '-' : `<code>${h(r.account)}</code>`}</td><td>${h(r.family)}</td><td>${h(r.region)}</td>
<td class="num">${r.snapshots}</td><td class="num">${h(formatGiB(r.gib))}</td><td class="num">${r.pricePerGiBMonth}</td><td class="num">${h(formatUsd(r.monthlyCost))}</td></tr>`,
    )
    .join('\n');
  const families = storage.families
    .map(
      (f) =>
        `<tr data-family="${h(f.family)}"><td>${h(f.family)}</td><td class="num">${h(formatGiB(f.gib))}</td><td class="num">${h(formatUsd(f.monthlyCost))}</td></tr>`,
    )
    .join('\n');
  const shared = storage.sharedAccounts
    .map(
      (a) =>
        `<li>${a.name === null ? '' : `${h(a.name)} `}<code>${h(a.id)}</code> (${h(a.families.join(', '))}): no snapshots of its own for these images, so 0 GiB</li>`,
    )
    .join('');
  const unsized = storage.unsized
    .map((u) => `<li>${h(`${u.family}@${u.version}`)}: ${h(u.why)}</li>`)
    .join('');
  return `<p class="note">Based on: ${h(storage.basedOn)}</p>
<p>Owner account: ${ownerText}. Its snapshots are billed to it alone.</p>
<table id="storage-rows"><thead><tr><th>Account</th><th>Family</th><th>Region</th><th class="num">${
    storage.basis === 'inventory' ? 'Snapshots' : 'AMI copies'
  }</th><th class="num">GiB</th><th class="num">USD per GiB-month</th><th class="num">Per month</th></tr></thead>
<tbody>${rows}</tbody></table>
<table id="storage-families"><thead><tr><th>Family</th><th class="num">GiB</th><th class="num">Per month</th></tr></thead>
<tbody>${families}
<tr class="total"><td>Total</td><td class="num">${h(formatGiB(storage.total.gib))}</td><td class="num">${h(formatUsd(storage.total.monthlyCost))}</td></tr></tbody></table>
${shared === '' ? '' : `<p>Accounts the images are shared with launch from the owner account's snapshots:</p><ul class="shared">${shared}</ul>`}
${unsized === '' ? '' : `<p>Not counted (no size known):</p><ul class="unsized">${unsized}</ul>`}`;
};

const savingsSection = (sweeps: ReportSweeps): string => {
  if (sweeps.rows.length === 0) return '<p class="meta">No sweep is stored yet.</p>';
  const rows = sweeps.rows
    .map(
      (r) => `<tr data-sweep="${h(r.sweepId)}">
<td>${h(r.sweepId)}</td><td>${time(r.generatedAt)}</td><td class="${r.guard === 'ok' ? '' : 'guard-tripped'}">${h(r.guard)}</td>
<td class="num">${r.planned.deprecate}/${r.planned.disable}/${r.planned.retire}/${r.planned.keep}</td>
<td class="num">${r.done}</td><td class="num">${r.skipped}</td><td class="num">${r.failed}</td>
<td class="num">${h(formatGiB(r.gibFreed))}</td><td class="num">${h(formatUsd(r.monthlyCostSaved))}</td></tr>`,
    )
    .join('\n');
  const left = sweeps.stored - sweeps.rows.length;
  return `<p class="note">Based on: ${h(sweeps.basedOn)}</p>
<table id="savings-rows"><thead><tr><th>Sweep</th><th>Planned</th><th>Guard</th><th class="num">Deprecate/disable/retire/keep</th><th class="num">Done</th><th class="num">Skipped</th><th class="num">Failed</th><th class="num">GiB freed</th><th class="num">Saved per month</th></tr></thead>
<tbody>${rows}
<tr class="total"><td colspan="7">Total of these ${sweeps.rows.length} sweep${sweeps.rows.length === 1 ? '' : 's'}</td><td class="num">${h(formatGiB(sweeps.total.gibFreed))}</td><td class="num">${h(formatUsd(sweeps.total.monthlyCostSaved))}</td></tr></tbody></table>
${left > 0 ? `<p class="meta">${left} older stored sweep${left === 1 ? ' is' : 's are'} left out.</p>` : ''}`;
};

/**
 * The report as one self-contained HTML file: inline CSS, the lineage as inline SVG drawn now, no script,
 * and nothing fetched when it is viewed (its Content-Security-Policy forbids any fetch and any script).
 * Every text from the catalog is escaped.
 */
export const renderReportHtml = async (data: ReportData): Promise<string> => {
  const images = data.families.reduce((n, f) => n + f.images.length, 0);
  const totals = LIFECYCLE_STATES.map(
    (s) => [s, data.families.reduce((n, f) => n + f.counts[s], 0)] as const,
  ).filter(([, n]) => n > 0);
  const graph =
    data.lineage.images.length === 0
      ? '<p class="meta">No images yet.</p>'
      : `<div class="graph">${await renderLineageSvg(data.lineage)}</div>`;
  const missing = data.lineage.images.filter((i) => !i.inCatalog).length;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>AMI lifecycle report ${h(minutes(data.generatedAt))}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>AMI lifecycle report</h1>
<p>Made ${time(data.generatedAt)} from the catalog${data.storage.basis === 'inventory' ? ' and EC2' : ''}.</p>
<nav><a href="#summary">Summary</a><a href="#families">Families</a><a href="#lineage">Lineage</a><a href="#sweep">Last sweep</a><a href="#storage">Storage</a><a href="#savings">Savings</a></nav>
</header>
<main>
<section id="summary"><h2>Summary</h2>
<ul class="cards">
<li>Families<b>${data.families.length}</b></li>
<li>Images<b>${images}</b></li>
<li>Snapshot storage<b>${h(formatGiB(data.storage.total.gib))} GiB</b>${h(formatUsd(data.storage.total.monthlyCost))} a month</li>
<li>Freed by sweeps<b>${h(formatGiB(data.sweeps.total.gibFreed))} GiB</b>${h(formatUsd(data.sweeps.total.monthlyCostSaved))} a month</li>
</ul>
<ul class="counts">${totals.map(([s, n]) => `<li data-state="${s}">${badge(s)} <b>${n}</b></li>`).join('')}</ul>
</section>
<section id="families"><h2>Families</h2>
${data.families.length === 0 ? '<p class="meta">No families: apply a policy first (amictl config apply FILE).</p>' : data.families.map(familySection).join('\n')}
</section>
<section id="lineage"><h2>Lineage</h2>
<p class="note">Each image is a node, grouped by family; an arrow goes from the image a build was based on to the image built on it.${
    missing > 0
      ? ` Dashed: ${missing} parent${missing === 1 ? '' : 's'} an image names that the catalog no longer has.`
      : ''
  }</p>
<ul class="counts">${[...LIFECYCLE_STATES, null].map((s) => `<li>${badge(s)}</li>`).join('')}</ul>
${graph}
</section>
<section id="sweep"><h2>Last retention sweep</h2>
${planSection(data.lastSweep)}
</section>
<section id="storage"><h2>Snapshot storage</h2>
${storageSection(data.storage)}
</section>
<section id="savings"><h2>Savings of past sweeps</h2>
${savingsSection(data.sweeps)}
</section>
</main>
</body>
</html>
`;
};
