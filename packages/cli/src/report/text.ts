import { LIFECYCLE_STATES } from '@ami-lifecycle/core';
import { json, minutes } from '../output';
import { formatGiB, formatUsd } from './html';
import type { ReportData } from './types';

/** `report --json`: the report's data as it is (see `ReportData`). */
export const formatReportJson = (data: ReportData): string => json(data);

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * The report in a few terminal lines: families and images by state, the lineage, the last sweep, snapshot
 * storage and what past sweeps freed; then the file written, or how to write one.
 */
export const reportText = (data: ReportData, written?: string): string => {
  const images = data.families.reduce((n, f) => n + f.images.length, 0);
  const byState = LIFECYCLE_STATES.map(
    (s) => [s, data.families.reduce((n, f) => n + f.counts[s], 0)] as const,
  )
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  const { lineage, lastSweep, storage, sweeps } = data;
  const links = lineage.images.filter((i) => i.parent !== null).length;
  const missing = lineage.images.filter((i) => !i.inCatalog).length;
  const lines = [
    `report as of ${minutes(data.generatedAt)}`,
    `families: ${data.families.length} (${plural(images, 'image')}${byState === '' ? '' : `: ${byState}`})`,
    `lineage: ${plural(lineage.roots.length, 'root')}, ${plural(links, 'parent link')}${
      missing > 0 ? `, ${plural(missing, 'parent')} not in the catalog` : ''
    }`,
    lastSweep === null
      ? 'last sweep: none stored'
      : `last sweep: ${lastSweep.sweepId} (${minutes(lastSweep.generatedAt)}): ${lastSweep.summary.deprecate} deprecate, ` +
        `${lastSweep.summary.disable} disable, ${lastSweep.summary.retire} retire, ${lastSweep.summary.keep} keep; guard ${lastSweep.guard.status}`,
    `snapshot storage: ${formatGiB(storage.total.gib)} GiB, ${formatUsd(storage.total.monthlyCost)} a month (${
      storage.basis === 'inventory'
        ? `EC2's snapshot sizes in ${storage.regions.join(', ') || 'no region'}`
        : 'estimated from the root volume sizes of the family configs'
    })${storage.unsized.length > 0 ? `; ${plural(storage.unsized.length, 'image')} not sized` : ''}`,
    `past sweeps: ${sweeps.stored} stored${
      sweeps.rows.length < sweeps.stored ? ` (the newest ${sweeps.rows.length} counted)` : ''
    }, ${formatGiB(sweeps.total.gibFreed)} GiB freed, ${formatUsd(sweeps.total.monthlyCostSaved)} a month saved`,
    written === undefined
      ? 'the whole report, with the lineage graph and every image’s timeline: amictl report --html FILE'
      : `written: ${written}`,
  ];
  return lines.join('\n');
};
