import { callAws, collectPages } from '@ami-lifecycle/aws';
import { SEVERITIES, type Severity } from '@ami-lifecycle/core';
import { type Finding, type Inspector2Client, ListFindingsCommand } from '@aws-sdk/client-inspector2';
import type { FindingDetail, FindingDetailsPort } from '../use-cases/ports';

const isSeverity = (s: string | undefined): s is Severity =>
  (SEVERITIES as readonly (string | undefined)[]).includes(s);
const STATUSES = ['ACTIVE', 'SUPPRESSED', 'CLOSED'] as const;
const statusOf = (s: string | undefined): FindingDetail['status'] =>
  (STATUSES as readonly (string | undefined)[]).includes(s) ? (s as FindingDetail['status']) : 'ACTIVE';

/** `1:2.4.58-1.amzn2023`: epoch (when there is one), version and release, as rpm writes a build. */
const build = (p: { epoch?: number; version?: string; release?: string }): string =>
  `${p.epoch ? `${p.epoch}:` : ''}${p.version ?? '?'}${p.release ? `-${p.release}` : ''}`;

export const toFindingDetail = (f: Finding): FindingDetail => {
  const resource = f.resources?.find((r) => r.type === 'AWS_EC2_INSTANCE');
  const vulnerability = f.packageVulnerabilityDetails;
  return {
    findingArn: f.findingArn ?? '',
    vulnerabilityId: vulnerability?.vulnerabilityId ?? f.title ?? f.findingArn ?? '?',
    severity: isSeverity(f.severity) ? f.severity : 'UNTRIAGED',
    status: statusOf(f.status),
    fixAvailable: f.fixAvailable === 'YES' || f.fixAvailable === 'PARTIAL',
    ...(f.inspectorScore === undefined ? {} : { score: f.inspectorScore }),
    ...(resource?.id ? { instanceId: resource.id } : {}),
    instanceTags: { ...resource?.tags },
    ...(f.awsAccountId ? { accountId: f.awsAccountId } : {}),
    packages: (vulnerability?.vulnerablePackages ?? []).map((p) => ({
      name: p.name ?? '?',
      installed: build(p),
      ...(p.fixedInVersion && p.fixedInVersion !== 'NotAvailable' ? { fixedIn: p.fixedInVersion } : {}),
    })),
    ...(f.title ? { title: f.title } : {}),
  };
};

/** Pages of ListFindings read for one AMI (100 findings a page): a message needs the worst, not all. */
const MAX_PAGES = 20;
/** Values Inspector takes in one of ListFindings' filter lists. */
const MAX_FILTER_VALUES = 10;

/** `FindingDetailsPort` over Amazon Inspector (v2): the findings of every instance launched from an AMI. */
export class InspectorFindingDetails implements FindingDetailsPort {
  constructor(private readonly inspector: Inspector2Client) {}

  async findingsOfImage(amiId: string, vulnerabilityIds?: readonly string[]): Promise<FindingDetail[]> {
    // An image in wide use has findings on every instance: asking only for the event's vulnerabilities keeps
    // a message about them within the pages read.
    const ids = [...new Set(vulnerabilityIds ?? [])];
    const byVulnerability =
      ids.length > 0 && ids.length <= MAX_FILTER_VALUES
        ? { vulnerabilityId: ids.map((value) => ({ comparison: 'EQUALS' as const, value })) }
        : {};
    const found = await collectPages(
      'inspector2:ListFindings',
      async (nextToken) => {
        const out = await callAws('inspector2', 'ListFindings', () =>
          this.inspector.send(
            new ListFindingsCommand({
              filterCriteria: {
                ec2InstanceImageId: [{ comparison: 'EQUALS', value: amiId }],
                ...byVulnerability,
              },
              maxResults: 100,
              nextToken,
            }),
          ),
        );
        return { items: out.findings, nextToken: out.nextToken };
      },
      MAX_PAGES,
    );
    return found.map(toFindingDetail);
  }
}
