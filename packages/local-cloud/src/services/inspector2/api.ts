import { z } from 'zod';
import {
  CoverageStringFilterSchema,
  DateFilterSchema,
  filterList,
  MapFilterSchema,
  matchDates,
  matchMaps,
  matchNumbers,
  matchPackages,
  matchStrings,
  NumberFilterSchema,
  PackageFilterSchema,
  paginate,
  parseRequest,
  queryHash,
  type Sortable,
  StringFilterSchema,
  validationError,
} from './filters';
import {
  type CoverageRecord,
  epochSeconds,
  type FindingRecord,
  renderFinding,
  severityRank,
  type WireFinding,
} from './model';
import type { Inspector2Scanner } from './scanner';

/** Who is asking: Inspector2 answers per account and region. */
export interface Caller {
  accountId: string;
  region: string;
}

const maxResults = (max: number) => z.int().min(1).max(max).optional();
const nextToken = z.string().min(1).max(1_000_000).optional();

// Only the filters the emulator implements are listed: strict objects refuse the others by name.
const CoverageFilterCriteriaSchema = z.strictObject({
  scanStatusCode: filterList(CoverageStringFilterSchema),
  scanStatusReason: filterList(CoverageStringFilterSchema),
  accountId: filterList(CoverageStringFilterSchema),
  resourceId: filterList(CoverageStringFilterSchema),
  resourceType: filterList(CoverageStringFilterSchema),
  scanType: filterList(CoverageStringFilterSchema),
  scanMode: filterList(CoverageStringFilterSchema),
  ec2InstanceTags: filterList(MapFilterSchema),
  lastScannedAt: filterList(DateFilterSchema),
});

const ListCoverageRequestSchema = z.strictObject({
  maxResults: maxResults(200),
  nextToken,
  filterCriteria: CoverageFilterCriteriaSchema.optional(),
});

const FindingFilterCriteriaSchema = z.strictObject({
  findingArn: filterList(StringFilterSchema),
  awsAccountId: filterList(StringFilterSchema),
  findingType: filterList(StringFilterSchema),
  severity: filterList(StringFilterSchema),
  findingStatus: filterList(StringFilterSchema),
  title: filterList(StringFilterSchema),
  resourceType: filterList(StringFilterSchema),
  resourceId: filterList(StringFilterSchema),
  ec2InstanceImageId: filterList(StringFilterSchema),
  vulnerabilityId: filterList(StringFilterSchema),
  vulnerabilitySource: filterList(StringFilterSchema),
  vendorSeverity: filterList(StringFilterSchema),
  relatedVulnerabilities: filterList(StringFilterSchema),
  fixAvailable: filterList(StringFilterSchema),
  exploitAvailable: filterList(StringFilterSchema),
  inspectorScore: filterList(NumberFilterSchema),
  firstObservedAt: filterList(DateFilterSchema),
  lastObservedAt: filterList(DateFilterSchema),
  updatedAt: filterList(DateFilterSchema),
  resourceTags: filterList(MapFilterSchema),
  vulnerablePackages: filterList(PackageFilterSchema),
});
type FindingFilterCriteria = z.infer<typeof FindingFilterCriteriaSchema>;

const SORT_FIELDS = [
  'AWS_ACCOUNT_ID',
  'COMPONENT_TYPE',
  'ECR_IMAGE_PUSHED_AT',
  'ECR_IMAGE_REGISTRY',
  'ECR_IMAGE_REPOSITORY_NAME',
  'EPSS_SCORE',
  'FINDING_STATUS',
  'FINDING_TYPE',
  'FIRST_OBSERVED_AT',
  'INSPECTOR_SCORE',
  'LAST_OBSERVED_AT',
  'NETWORK_PROTOCOL',
  'RESOURCE_TYPE',
  'SEVERITY',
  'VENDOR_SEVERITY',
  'VULNERABILITY_ID',
  'VULNERABILITY_SOURCE',
] as const;
type SortField = (typeof SORT_FIELDS)[number];

const ListFindingsRequestSchema = z.strictObject({
  maxResults: maxResults(100),
  nextToken,
  filterCriteria: FindingFilterCriteriaSchema.optional(),
  sortCriteria: z.strictObject({ field: z.enum(SORT_FIELDS), sortOrder: z.enum(['ASC', 'DESC']) }).optional(),
});

const BatchGetFindingDetailsRequestSchema = z.strictObject({
  findingArns: z.array(z.string().min(1).max(100)).min(1).max(10),
});

const AGGREGATION_TYPES = [
  'ACCOUNT',
  'AMI',
  'AWS_EC2_INSTANCE',
  'AWS_ECR_CONTAINER',
  'AWS_LAMBDA_FUNCTION',
  'CODE_REPOSITORY',
  'CONTAINER_IMAGE',
  'FINDING_TYPE',
  'IMAGE_LAYER',
  'LAMBDA_LAYER',
  'PACKAGE',
  'REPOSITORY',
  'SERVERLESS_FUNCTION',
  'TITLE',
  'VM_INSTANCE',
] as const;

const ListFindingAggregationsRequestSchema = z.strictObject({
  aggregationType: z.enum(AGGREGATION_TYPES),
  nextToken,
  maxResults: maxResults(100),
  accountIds: filterList(StringFilterSchema),
  aggregationRequest: z
    .strictObject({
      amiAggregation: z
        .strictObject({
          amis: filterList(StringFilterSchema),
          sortOrder: z.enum(['ASC', 'DESC']).optional(),
          sortBy: z.enum(['CRITICAL', 'HIGH', 'ALL', 'AFFECTED_INSTANCES']).optional(),
        })
        .optional(),
      ec2InstanceAggregation: z
        .strictObject({
          amis: filterList(StringFilterSchema),
          operatingSystems: filterList(StringFilterSchema),
          instanceIds: filterList(StringFilterSchema),
          instanceTags: filterList(MapFilterSchema),
          sortOrder: z.enum(['ASC', 'DESC']).optional(),
          sortBy: z.enum(['NETWORK_FINDINGS', 'CRITICAL', 'HIGH', 'ALL']).optional(),
        })
        .optional(),
    })
    .optional(),
});

/** What AWS returns when a request leaves `maxResults` out (the API reference gives no number). */
const DEFAULT_PAGE = { coverage: 100, findings: 50, aggregations: 50 } as const;

const coverageStatusCode = (c: CoverageRecord): 'ACTIVE' | 'INACTIVE' =>
  c.reason === 'PENDING_INITIAL_SCAN' || c.reason === 'SUCCESSFUL' ? 'ACTIVE' : 'INACTIVE';

const renderCoverage = (c: CoverageRecord) => ({
  resourceType: 'AWS_EC2_INSTANCE',
  resourceId: c.resource.instanceId,
  accountId: c.resource.accountId,
  scanType: 'PACKAGE',
  scanMode: 'EC2_SSM_AGENT_BASED',
  scanStatus: { statusCode: coverageStatusCode(c), reason: c.reason },
  resourceMetadata: {
    ec2: {
      tags: { ...c.resource.tags },
      amiId: c.resource.imageId,
      platform: c.resource.family ? 'LINUX' : 'UNKNOWN',
    },
  },
  ...(c.lastScannedAt === undefined ? {} : { lastScannedAt: epochSeconds(c.lastScannedAt) }),
});

const matchesFinding = (f: WireFinding, c: FindingFilterCriteria | undefined): boolean => {
  if (!c) return true;
  const pvd = f.packageVulnerabilityDetails;
  return (
    matchStrings(c.findingArn, [f.findingArn]) &&
    matchStrings(c.awsAccountId, [f.awsAccountId]) &&
    matchStrings(c.findingType, [f.type]) &&
    matchStrings(c.severity, [f.severity]) &&
    matchStrings(c.findingStatus, [f.status]) &&
    matchStrings(c.title, [f.title]) &&
    matchStrings(
      c.resourceType,
      f.resources.map((r) => r.type),
    ) &&
    matchStrings(
      c.resourceId,
      f.resources.map((r) => r.id),
    ) &&
    matchStrings(
      c.ec2InstanceImageId,
      f.resources.map((r) => r.details.awsEc2Instance.imageId),
    ) &&
    matchStrings(c.vulnerabilityId, [pvd.vulnerabilityId]) &&
    matchStrings(c.vulnerabilitySource, [pvd.source]) &&
    matchStrings(c.vendorSeverity, [pvd.vendorSeverity]) &&
    matchStrings(c.relatedVulnerabilities, pvd.relatedVulnerabilities) &&
    matchStrings(c.fixAvailable, [f.fixAvailable]) &&
    matchStrings(c.exploitAvailable, [f.exploitAvailable]) &&
    matchNumbers(c.inspectorScore, f.inspectorScore) &&
    matchDates(c.firstObservedAt, f.firstObservedAt) &&
    matchDates(c.lastObservedAt, f.lastObservedAt) &&
    matchDates(c.updatedAt, f.updatedAt) &&
    (!c.resourceTags || f.resources.some((r) => matchMaps(c.resourceTags, r.tags))) &&
    matchPackages(c.vulnerablePackages, pvd.vulnerablePackages)
  );
};

/** The value a sort field orders by; fields that don't apply to EC2 package findings order nothing. */
const sortKey = (f: WireFinding, field: SortField): string | number => {
  switch (field) {
    case 'AWS_ACCOUNT_ID':
      return f.awsAccountId;
    case 'FINDING_STATUS':
      return f.status;
    case 'FINDING_TYPE':
      return f.type;
    case 'FIRST_OBSERVED_AT':
      return f.firstObservedAt;
    case 'LAST_OBSERVED_AT':
      return f.lastObservedAt;
    case 'INSPECTOR_SCORE':
      return f.inspectorScore;
    case 'RESOURCE_TYPE':
      return f.resources[0]?.type ?? '';
    case 'SEVERITY':
      return severityRank(f.severity);
    case 'VENDOR_SEVERITY':
      return f.packageVulnerabilityDetails.vendorSeverity;
    case 'VULNERABILITY_ID':
      return f.packageVulnerabilityDetails.vulnerabilityId;
    case 'VULNERABILITY_SOURCE':
      return f.packageVulnerabilityDetails.source;
    default:
      return 0;
  }
};

interface SeverityTally {
  all: number;
  critical: number;
  high: number;
  medium: number;
}

const tally = (findings: readonly FindingRecord[]): SeverityTally => {
  const t: SeverityTally = { all: 0, critical: 0, high: 0, medium: 0 };
  for (const f of findings) {
    t.all++;
    if (f.entry.severity === 'CRITICAL') t.critical++;
    else if (f.entry.severity === 'HIGH') t.high++;
    else if (f.entry.severity === 'MEDIUM') t.medium++;
  }
  return t;
};

const groupBy = <K>(
  items: readonly FindingRecord[],
  key: (f: FindingRecord) => K,
): Map<K, FindingRecord[]> => {
  const out = new Map<K, FindingRecord[]>();
  for (const f of items) {
    const k = key(f);
    const list = out.get(k);
    if (list) list.push(f);
    else out.set(k, [f]);
  }
  return out;
};

/**
 * The Inspector2 operations the local cloud implements. Each syncs the caller's account and region with
 * the instance directory first, so an answer never lags behind EC2 by a poll interval.
 */
export class Inspector2Api {
  constructor(private readonly scanner: Inspector2Scanner) {}

  listCoverage(caller: Caller, body: unknown) {
    const req = parseRequest(ListCoverageRequestSchema, body);
    this.scanner.sync(caller.accountId, caller.region);
    const c = req.filterCriteria;
    const items = this.scanner
      .coverageIn(caller.accountId, caller.region)
      .map((rec) => ({ rec, wire: renderCoverage(rec) }))
      .filter(
        ({ wire }) =>
          !c ||
          (matchStrings(c.scanStatusCode, [wire.scanStatus.statusCode]) &&
            matchStrings(c.scanStatusReason, [wire.scanStatus.reason]) &&
            matchStrings(c.accountId, [wire.accountId]) &&
            matchStrings(c.resourceId, [wire.resourceId]) &&
            matchStrings(c.resourceType, [wire.resourceType]) &&
            matchStrings(c.scanType, [wire.scanType]) &&
            matchStrings(c.scanMode, [wire.scanMode]) &&
            matchMaps(c.ec2InstanceTags, wire.resourceMetadata.ec2.tags) &&
            matchDates(c.lastScannedAt, wire.lastScannedAt)),
      )
      .map(({ rec, wire }) => ({ item: wire, key: 0, seq: rec.seq }));
    const { page, nextToken } = paginate(items, {
      descending: false,
      maxResults: req.maxResults ?? DEFAULT_PAGE.coverage,
      nextToken: req.nextToken,
      listing: 'coverage',
      query: queryHash(c),
    });
    return { coveredResources: page, ...(nextToken ? { nextToken } : {}) };
  }

  listFindings(caller: Caller, body: unknown) {
    const req = parseRequest(ListFindingsRequestSchema, body);
    this.scanner.sync(caller.accountId, caller.region);
    const field = req.sortCriteria?.field;
    const items = this.scanner
      .findingsIn(caller.accountId, caller.region)
      .map((rec) => ({ rec, wire: renderFinding(rec, epochSeconds) }))
      .filter(({ wire }) => matchesFinding(wire, req.filterCriteria))
      .map(({ rec, wire }) => ({ item: wire, key: field ? sortKey(wire, field) : 0, seq: rec.seq }));
    const { page, nextToken } = paginate(items, {
      descending: req.sortCriteria?.sortOrder === 'DESC',
      maxResults: req.maxResults ?? DEFAULT_PAGE.findings,
      nextToken: req.nextToken,
      listing: 'findings',
      query: queryHash({ f: req.filterCriteria, s: req.sortCriteria }),
    });
    return { findings: page, ...(nextToken ? { nextToken } : {}) };
  }

  batchGetFindingDetails(caller: Caller, body: unknown) {
    const req = parseRequest(BatchGetFindingDetailsRequestSchema, body);
    this.scanner.sync(caller.accountId, caller.region);
    const byArn = new Map(this.scanner.findingsIn(caller.accountId, caller.region).map((f) => [f.arn, f]));
    const findingDetails = [];
    const errors = [];
    for (const arn of req.findingArns) {
      const f = byArn.get(arn);
      if (!f) {
        errors.push({
          findingArn: arn,
          errorCode: 'FINDING_DETAILS_NOT_FOUND',
          errorMessage: 'No finding with this ARN in the account and region.',
        });
        continue;
      }
      findingDetails.push({
        findingArn: arn,
        referenceUrls: f.entry.referenceUrls ?? [`https://nvd.nist.gov/vuln/detail/${f.vulnerabilityId}`],
        cwes: [],
        tools: [],
        ttps: [],
      });
    }
    return { findingDetails, errors };
  }

  listFindingAggregations(caller: Caller, body: unknown) {
    const req = parseRequest(ListFindingAggregationsRequestSchema, body);
    if (req.aggregationType !== 'AMI' && req.aggregationType !== 'AWS_EC2_INSTANCE') {
      throw validationError(
        `aggregationType ${req.aggregationType} is not supported by the local cloud's Inspector2 (AMI and AWS_EC2_INSTANCE are).`,
        [{ name: 'aggregationType', message: 'not supported by the local cloud' }],
      );
    }
    const other = req.aggregationType === 'AMI' ? 'ec2InstanceAggregation' : 'amiAggregation';
    if (req.aggregationRequest?.[other]) {
      throw validationError(
        `aggregationRequest.${other} does not match aggregationType ${req.aggregationType}.`,
        [{ name: `aggregationRequest.${other}`, message: 'does not match aggregationType' }],
      );
    }
    this.scanner.sync(caller.accountId, caller.region);
    // Aggregations count active findings only, as the console's dashboards do.
    const active = this.scanner
      .findingsIn(caller.accountId, caller.region)
      .filter((f) => f.status === 'ACTIVE' && matchStrings(req.accountIds, [f.resource.accountId]));
    const rows: Sortable<object>[] =
      req.aggregationType === 'AMI' ? this.amiRows(active, req) : this.instanceRows(active, req);
    // Aggregations are recomputed per call, so their tokens are plain offsets into the sorted rows.
    const { page, nextToken } = paginate(rows, {
      descending: false,
      maxResults: req.maxResults ?? DEFAULT_PAGE.aggregations,
      nextToken: req.nextToken,
      listing: `aggregations/${req.aggregationType}`,
      query: queryHash({ a: req.accountIds, r: req.aggregationRequest }),
    });
    return { aggregationType: req.aggregationType, responses: page, ...(nextToken ? { nextToken } : {}) };
  }

  private amiRows(active: FindingRecord[], req: z.infer<typeof ListFindingAggregationsRequestSchema>) {
    const spec = req.aggregationRequest?.amiAggregation;
    const rows = [...groupBy(active, (f) => f.resource.imageId)]
      .filter(([ami]) => matchStrings(spec?.amis, [ami]))
      .map(([ami, findings]) => {
        const severityCounts = tally(findings);
        const affectedInstances = new Set(findings.map((f) => f.resource.instanceId)).size;
        const by = spec?.sortBy ?? 'ALL';
        const rank =
          by === 'AFFECTED_INSTANCES'
            ? affectedInstances
            : by === 'CRITICAL'
              ? severityCounts.critical
              : by === 'HIGH'
                ? severityCounts.high
                : severityCounts.all;
        return {
          rank,
          id: ami,
          row: {
            amiAggregation: {
              ami,
              accountId: findings[0]!.resource.accountId,
              severityCounts,
              affectedInstances,
            },
          },
        };
      });
    return orderRows(rows, spec?.sortOrder ?? 'DESC');
  }

  private instanceRows(active: FindingRecord[], req: z.infer<typeof ListFindingAggregationsRequestSchema>) {
    const spec = req.aggregationRequest?.ec2InstanceAggregation;
    const rows = [...groupBy(active, (f) => f.resource.instanceId)]
      .map(([instanceId, findings]) => ({ instanceId, findings, r: findings[0]!.resource }))
      .filter(
        ({ instanceId, r }) =>
          matchStrings(spec?.amis, [r.imageId]) &&
          matchStrings(spec?.instanceIds, [instanceId]) &&
          matchStrings(spec?.operatingSystems, [r.platform]) &&
          matchMaps(spec?.instanceTags, r.tags),
      )
      .map(({ instanceId, findings, r }) => {
        const severityCounts = tally(findings);
        const by = spec?.sortBy ?? 'ALL';
        const rank =
          by === 'CRITICAL'
            ? severityCounts.critical
            : by === 'HIGH'
              ? severityCounts.high
              : by === 'NETWORK_FINDINGS'
                ? 0
                : severityCounts.all;
        return {
          rank,
          id: instanceId,
          row: {
            ec2InstanceAggregation: {
              instanceId,
              ami: r.imageId,
              ...(r.platform ? { operatingSystem: r.platform } : {}),
              instanceTags: { ...r.tags },
              accountId: r.accountId,
              severityCounts,
              networkFindings: 0,
            },
          },
        };
      });
    return orderRows(rows, spec?.sortOrder ?? 'DESC');
  }
}

/** Rows by rank in the asked order, ties by id; the position becomes the page cursor's sequence. */
const orderRows = <R>(rows: Array<{ rank: number; id: string; row: R }>, order: 'ASC' | 'DESC') =>
  rows
    .sort((a, b) => (order === 'DESC' ? b.rank - a.rank : a.rank - b.rank) || (a.id < b.id ? -1 : 1))
    .map((r, i) => ({ item: r.row, key: 0, seq: i }));
