import type { CloudEvent } from '../../types';
import { type CoverageRecord, eventTimestamp, type FindingRecord, renderFinding } from './model';

export const INSPECTOR_SOURCE = 'aws.inspector2';
export const FINDING_DETAIL_TYPE = 'Inspector2 Finding';
export const SCAN_DETAIL_TYPE = 'Inspector2 Scan';

/**
 * `Inspector2 Finding`: the whole finding as the detail, timestamps in Inspector's event text, and the
 * instance id as the event's resource, as the Inspector user guide's EC2 example shows.
 */
export const findingEvent = (f: FindingRecord, nowMs: number): CloudEvent => ({
  source: INSPECTOR_SOURCE,
  detailType: FINDING_DETAIL_TYPE,
  detail: renderFinding(f, eventTimestamp),
  accountId: f.resource.accountId,
  region: f.resource.region,
  resources: [f.resource.instanceId],
  time: new Date(nowMs).toISOString(),
});

export interface SeverityCounts {
  CRITICAL: number;
  HIGH: number;
  MEDIUM: number;
  TOTAL: number;
}

/**
 * `Inspector2 Scan` for an EC2 instance's initial scan. AWS sends it once per resource (not on rescans)
 * with `scan-status: INITIAL_SCAN_COMPLETE`, counts of the active findings (CRITICAL, HIGH, MEDIUM and a
 * TOTAL that includes the lower severities) and the detail's schema `version`.
 */
export const initialScanEvent = (c: CoverageRecord, counts: SeverityCounts, nowMs: number): CloudEvent => ({
  source: INSPECTOR_SOURCE,
  detailType: SCAN_DETAIL_TYPE,
  detail: {
    'scan-status': 'INITIAL_SCAN_COMPLETE',
    'finding-severity-counts': counts,
    'instance-id': c.resource.instanceId,
    version: '1.0',
  },
  accountId: c.resource.accountId,
  region: c.resource.region,
  resources: [c.resource.instanceId],
  time: new Date(nowMs).toISOString(),
});
