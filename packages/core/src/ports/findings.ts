import type { GateFinding } from '../gate';

/** `pending`: covered, first scan not done; `scanned`: findings are meaningful; `none`: not covered. */
export type ScanCoverage = 'pending' | 'scanned' | 'none';

/** Vulnerability findings (Amazon Inspector) as the gate sees them. */
export interface FindingsPort {
  coverage(instanceId: string): Promise<ScanCoverage>;
  /** Findings of every instance launched from the AMI, any status; the gate counts active ones. */
  listFindingsForImage(amiId: string): Promise<GateFinding[]>;
  listFindingsForInstance(instanceId: string): Promise<GateFinding[]>;
}
