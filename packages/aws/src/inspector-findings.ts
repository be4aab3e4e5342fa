import {
  type FindingsPort,
  type GateFinding,
  type ImageFinding,
  type ScanCoverage,
  SEVERITIES,
  type Severity,
} from '@ami-lifecycle/core';
import {
  type FilterCriteria,
  type Finding,
  type Inspector2Client,
  ListCoverageCommand,
  ListFindingsCommand,
} from '@aws-sdk/client-inspector2';
import { sharedInspector2Client } from './clients/inspector2';
import { callAws } from './errors';
import { collectPages } from './paginate';

const isSeverity = (s: string | undefined): s is Severity =>
  (SEVERITIES as readonly (string | undefined)[]).includes(s);
const STATUSES = ['ACTIVE', 'SUPPRESSED', 'CLOSED'] as const;
type FindingStatus = (typeof STATUSES)[number];
const isStatus = (s: string | undefined): s is FindingStatus =>
  (STATUSES as readonly (string | undefined)[]).includes(s);

const toGateFinding = (f: Finding): GateFinding => ({
  id: f.findingArn ?? '',
  cve: f.packageVulnerabilityDetails?.vulnerabilityId,
  severity: isSeverity(f.severity) ? f.severity : 'UNTRIAGED',
  // PARTIAL: a fix exists for some of the vulnerable packages, so there is something to apply.
  fixAvailable: f.fixAvailable === 'YES' || f.fixAvailable === 'PARTIAL',
  ...(isStatus(f.status) ? { status: f.status } : {}),
});

/** The finding with the instance it is on and the instance's tags (`resources[].tags`, as Inspector saw them). */
const toImageFinding = (f: Finding): ImageFinding => {
  const resource = f.resources?.find((r) => r.type === 'AWS_EC2_INSTANCE');
  return {
    ...toGateFinding(f),
    ...(resource?.id ? { instanceId: resource.id } : {}),
    instanceTags: { ...resource?.tags },
  };
};

/** `FindingsPort` over Amazon Inspector (v2), EC2 package scanning. */
export class InspectorFindings implements FindingsPort {
  constructor(private readonly inspector: Inspector2Client = sharedInspector2Client()) {}

  async coverage(instanceId: string): Promise<ScanCoverage> {
    const resources = await collectPages('inspector2:ListCoverage', async (nextToken) => {
      const out = await callAws('inspector2', 'ListCoverage', () =>
        this.inspector.send(
          new ListCoverageCommand({
            filterCriteria: { resourceId: [{ comparison: 'EQUALS', value: instanceId }] },
            nextToken,
          }),
        ),
      );
      return { items: out.coveredResources, nextToken: out.nextToken };
    });
    const resource = resources.find((r) => r.resourceId === instanceId);
    if (!resource) return 'none';
    const status = resource.scanStatus;
    if (status?.statusCode === 'ACTIVE')
      return status.reason === 'PENDING_INITIAL_SCAN' ? 'pending' : 'scanned';
    // Inactive (stopped, unmanaged): its findings stand only if it was ever scanned.
    return resource.lastScannedAt ? 'scanned' : 'none';
  }

  async listFindingsForImage(amiId: string): Promise<ImageFinding[]> {
    const found = await this.list({ ec2InstanceImageId: [{ comparison: 'EQUALS', value: amiId }] });
    return found.map(toImageFinding);
  }

  async listFindingsForInstance(instanceId: string): Promise<GateFinding[]> {
    const found = await this.list({ resourceId: [{ comparison: 'EQUALS', value: instanceId }] });
    return found.map(toGateFinding);
  }

  private list(filterCriteria: FilterCriteria): Promise<Finding[]> {
    return collectPages('inspector2:ListFindings', async (nextToken) => {
      const out = await callAws('inspector2', 'ListFindings', () =>
        this.inspector.send(new ListFindingsCommand({ filterCriteria, maxResults: 100, nextToken })),
      );
      return { items: out.findings, nextToken: out.nextToken };
    });
  }
}
