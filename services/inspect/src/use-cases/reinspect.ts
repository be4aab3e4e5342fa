import { type CatalogPort, DAY_MS, type Image } from '@ami-lifecycle/core';
import type { InspectDeps, InspectionStarter } from './deps';
import { type InspectFamilyConfig, loadFamilyConfig } from './family-config';
import { allPages, correlationOf } from './images';
import { type InspectionRequest, inspectionIdFor } from './inspection';

export interface ReinspectResult {
  started: InspectionRequest[];
  /** Images whose re-inspection of the day was already started (a repeated schedule run). */
  duplicates: string[];
  notDue: string[];
  /** Published images that cannot be re-inspected (no AMI in the home region, no family config). */
  skipped: { image: string; reason: string }[];
}

// Bounds on what one run reads; more is a data problem to surface, not to page through forever.
const MAX_IMAGE_PAGES = 50;
const MAX_AUDIT_PAGES = 20;

/** Audit actions that mark a completed inspection of an image. */
const isInspection = (r: { action: string; from?: string }) =>
  r.action === 'reinspected' ||
  r.action === 'inspection-recorded' ||
  (r.action === 'transition' && r.from === 'inspecting');

/** When the image was last inspected, from its audit trail; its publication (or creation) when never. */
export const lastInspectedAt = async (catalog: CatalogPort, image: Image): Promise<string> => {
  const audit = await allPages(`audit of ${image.family}@${image.version}`, MAX_AUDIT_PAGES, (page) =>
    catalog.listAudit(image.family, image.version, { limit: 100, ...page }),
  );
  let last: string | undefined;
  for (const r of audit) if (isInspection(r) && (last === undefined || r.at > last)) last = r.at;
  return last ?? image.publishedAt ?? image.createdAt;
};

/**
 * The daily sweep: every published image whose last inspection is at least the family's
 * `reinspectEveryDays` old is re-inspected (purpose `reinspection`: the state machine launches a test
 * instance, Inspector scans it against today's feed, and only findings and the vulnerable flag change).
 * `now` is the schedule event's time. One inspection per image and day: the request is keyed by the day.
 */
export const reinspectDue = async (
  input: { now: Date },
  deps: Pick<InspectDeps, 'catalog' | 'region'> & { inspections: InspectionStarter },
): Promise<ReinspectResult> => {
  const result: ReinspectResult = { started: [], duplicates: [], notDue: [], skipped: [] };
  const configs = new Map<string, InspectFamilyConfig | Error>();
  const day = input.now.toISOString().slice(0, 10);
  const published = await allPages('published images', MAX_IMAGE_PAGES, (page) =>
    deps.catalog.listImagesByState('published', page),
  );
  for (const image of published) {
    const key = `${image.family}@${image.version}`;
    const amiId = image.amiIds[deps.region];
    if (!image.managed || amiId === undefined) {
      result.skipped.push({ image: key, reason: `no managed AMI in ${deps.region}` });
      continue;
    }
    if (!configs.has(image.family)) {
      configs.set(
        image.family,
        await loadFamilyConfig(deps.catalog, image.family).then(
          (c) => c.config,
          (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
        ),
      );
    }
    const config = configs.get(image.family)!;
    if (config instanceof Error) {
      result.skipped.push({ image: key, reason: config.message });
      continue;
    }
    const last = Date.parse(await lastInspectedAt(deps.catalog, image));
    if (input.now.getTime() - last < config.inspect.reinspectEveryDays * DAY_MS) {
      result.notDue.push(key);
      continue;
    }
    const request: InspectionRequest = {
      inspectionId: inspectionIdFor('reinspection', image.family, image.version, `${key}:${day}`),
      family: image.family,
      version: image.version,
      imageId: amiId,
      purpose: 'reinspection',
      correlationId: await correlationOf(deps.catalog, image),
    };
    const { outcome } = await deps.inspections.start(request);
    if (outcome === 'started') result.started.push(request);
    else result.duplicates.push(key);
  }
  return result;
};
