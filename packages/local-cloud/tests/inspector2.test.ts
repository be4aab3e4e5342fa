import {
  BatchGetFindingDetailsCommand,
  type CoveredResource,
  type FilterCriteria,
  type Finding,
  Inspector2Client,
  ListCoverageCommand,
  ListFindingAggregationsCommand,
  ListFindingsCommand,
  paginateListCoverage,
  paginateListFindings,
  ValidationException,
} from '@aws-sdk/client-inspector2';
import { PUBLIC_IMAGES, publicImageId } from '../src/services/ec2/public-images';
import {
  DEFAULT_POLL_INTERVAL_SECONDS,
  DEFAULT_SCAN_DELAY_SECONDS,
  FINDING_DETAIL_TYPE,
  INSPECTOR_SOURCE,
  Inspector2Service,
  type Inspector2ServiceOptions,
  SCAN_DETAIL_TYPE,
} from '../src/services/inspector2';
import { PACKAGE_REPOSITORIES } from '../src/services/ssm';
import { startTestEdge } from '../src/testing/edge-harness';
import type { CloudEvent, InstanceDirectory, SimInstance } from '../src/types';

const REGION = 'eu-west-1';
const ACCOUNT = '111111111111';
const AL2023 = PUBLIC_IMAGES.find((i) => i.name.startsWith('al2023'))!;
const UBUNTU = PUBLIC_IMAGES.find((i) => i.name.includes('ubuntu'))!;
const AL2023_AMI = publicImageId(REGION, AL2023.name);
const UBUNTU_AMI = publicImageId(REGION, UBUNTU.name);
/** The seeded AL2023 image against data/cve-feed.json: kernel, openssl x2, openssh, curl, glibc. */
const AL2023_FINDINGS = { CRITICAL: 0, HIGH: 3, MEDIUM: 2, TOTAL: 6 };
/** Long enough for any change to be polled and scanned. */
const RESCAN_SECONDS = DEFAULT_POLL_INTERVAL_SECONDS + DEFAULT_SCAN_DELAY_SECONDS;

/** The instances EC2 would own; each test builds its own cloud, so no test sees another's changes. */
class FakeDirectory implements InstanceDirectory {
  readonly all: SimInstance[] = [];
  private next = 0x1000;

  add(over: Partial<SimInstance> = {}): SimInstance {
    const inst: SimInstance = {
      instanceId: `i-${(this.next++).toString(16).padStart(17, '0')}`,
      accountId: ACCOUNT,
      region: REGION,
      imageId: AL2023_AMI,
      state: 'running',
      tags: new Map(),
      packages: new Map(Object.entries(AL2023.packages)),
      iamInstanceProfile: `arn:aws:iam::${ACCOUNT}:instance-profile/ssm-managed`,
      launchedAt: Date.parse('2026-03-01T00:00:00Z'),
      ...over,
    };
    this.all.push(inst);
    return inst;
  }

  find(accountId: string, region: string, instanceId: string) {
    return this.all.find(
      (i) => i.accountId === accountId && i.region === region && i.instanceId === instanceId,
    );
  }

  list(accountId: string, region: string) {
    return this.all.filter((i) => i.accountId === accountId && i.region === region);
  }
}

type Edge = Awaited<ReturnType<typeof startTestEdge>>;

let edge: Edge;
let directory: FakeDirectory;
let service: Inspector2Service;
let inspector: Inspector2Client;

const startCloud = async (options?: Inspector2ServiceOptions) => {
  directory = new FakeDirectory();
  edge = await startTestEdge((ctx) => {
    service = new Inspector2Service(ctx, directory, options);
    return [service];
  });
  inspector = new Inspector2Client({ ...edge.clientConfig, maxAttempts: 1 });
};

afterEach(async () => {
  inspector?.destroy();
  await edge?.close();
});

const allFindings = async (filterCriteria?: FilterCriteria, maxResults?: number): Promise<Finding[]> => {
  const out: Finding[] = [];
  for await (const page of paginateListFindings(
    { client: inspector, pageSize: maxResults },
    { filterCriteria, maxResults },
  )) {
    out.push(...(page.findings ?? []));
  }
  return out;
};

const coverageOf = async (instanceId: string): Promise<CoveredResource | undefined> => {
  const res = await inspector.send(
    new ListCoverageCommand({
      filterCriteria: { resourceId: [{ comparison: 'EQUALS', value: instanceId }] },
    }),
  );
  return res.coveredResources?.[0];
};

const eq = (value: string) => [{ comparison: 'EQUALS' as const, value }];

const eventsOf = (detailType: string): CloudEvent[] =>
  edge.emitted.filter((e) => e.source === INSPECTOR_SOURCE && e.detailType === detailType);

/** Covers `inst` now (a request syncs the directory) and runs its initial scan on the simulated clock. */
const scanned = async (inst: SimInstance): Promise<SimInstance> => {
  await coverageOf(inst.instanceId);
  await edge.clock.advance(DEFAULT_SCAN_DELAY_SECONDS);
  return inst;
};

describe('Inspector2 emulator: coverage and scans', () => {
  beforeEach(() => startCloud());

  it('covers a running instance at once and completes its first scan only when the clock reaches the delay', async () => {
    // Arrange
    const inst = directory.add({ tags: new Map([['family', 'golden-al2023']]) });

    // Act
    const before = await coverageOf(inst.instanceId);
    await edge.clock.advance(DEFAULT_SCAN_DELAY_SECONDS - 1);
    const almost = await coverageOf(inst.instanceId);
    await edge.clock.advance(1);
    const after = await coverageOf(inst.instanceId);

    // Assert
    expect(before).toMatchObject({
      resourceType: 'AWS_EC2_INSTANCE',
      resourceId: inst.instanceId,
      accountId: ACCOUNT,
      scanType: 'PACKAGE',
      scanStatus: { statusCode: 'ACTIVE', reason: 'PENDING_INITIAL_SCAN' },
      resourceMetadata: { ec2: { amiId: AL2023_AMI, tags: { family: 'golden-al2023' } } },
    });
    expect(before?.lastScannedAt).toBeUndefined();
    expect(almost?.scanStatus?.reason).toBe('PENDING_INITIAL_SCAN');
    expect(after?.scanStatus).toEqual({ statusCode: 'ACTIVE', reason: 'SUCCESSFUL' });
    expect(after?.lastScannedAt).toEqual(edge.clock.now());
  });

  it('emits Inspector2 Scan with the active severity counts when the initial scan completes, and not on rescans', async () => {
    // Arrange
    const inst = await scanned(directory.add());

    // Act
    inst.packages.set('openssl', PACKAGE_REPOSITORIES.rpm.openssl!);
    await edge.clock.advance(RESCAN_SECONDS);

    // Assert
    expect(eventsOf(SCAN_DETAIL_TYPE)).toEqual([
      {
        source: 'aws.inspector2',
        detailType: 'Inspector2 Scan',
        detail: {
          'scan-status': 'INITIAL_SCAN_COMPLETE',
          'finding-severity-counts': AL2023_FINDINGS,
          'instance-id': inst.instanceId,
          version: '1.0',
        },
        accountId: ACCOUNT,
        region: REGION,
        resources: [inst.instanceId],
        time: '2026-03-01T00:02:00.000Z',
      },
    ]);
  });

  it('scans instances of a configured region without any request, on the simulated clock', async () => {
    // Arrange
    inspector.destroy();
    await edge.close();
    await startCloud({ regions: [REGION], scanDelaySeconds: 30 });
    const inst = directory.add();

    // Act: the first poll runs at the next advance, the scan 30 s after it.
    await edge.clock.advance(29);
    const early = eventsOf(SCAN_DETAIL_TYPE).length;
    await edge.clock.advance(1);

    // Assert
    expect(early).toBe(0);
    expect(eventsOf(SCAN_DETAIL_TYPE).map((e) => e.detail['instance-id'])).toEqual([inst.instanceId]);
  });

  it('rescans when told the inventory changed, without waiting for the poll', async () => {
    // Arrange
    const inst = await scanned(directory.add());
    inst.packages.set('openssl', PACKAGE_REPOSITORIES.rpm.openssl!);

    // Act
    service.notifyInventoryChanged(inst);
    await edge.clock.advance(DEFAULT_SCAN_DELAY_SECONDS);

    // Assert: without the hint, the next poll (60 s on) would have scanned only at 180 s.
    const openssl = await allFindings({ vulnerablePackages: [{ name: eq('openssl')[0] }] });
    expect(openssl.map((f) => f.status)).toEqual(['CLOSED', 'CLOSED']);
  });

  it('filters coverage by instance tags, resource id and scan status', async () => {
    // Arrange
    const golden = await scanned(directory.add({ tags: new Map([['stage', 'golden']]) }));
    const app = directory.add({ tags: new Map([['stage', 'app']]) });

    // Act
    const byTag = await inspector.send(
      new ListCoverageCommand({
        filterCriteria: { ec2InstanceTags: [{ comparison: 'EQUALS', key: 'stage', value: 'golden' }] },
      }),
    );
    const pending = await inspector.send(
      new ListCoverageCommand({
        filterCriteria: {
          scanStatusReason: eq('PENDING_INITIAL_SCAN'),
          resourceType: eq('AWS_EC2_INSTANCE'),
        },
      }),
    );
    const notGolden = await inspector.send(
      new ListCoverageCommand({
        filterCriteria: { resourceId: [{ comparison: 'NOT_EQUALS', value: golden.instanceId }] },
      }),
    );

    // Assert
    expect(byTag.coveredResources?.map((c) => c.resourceId)).toEqual([golden.instanceId]);
    expect(pending.coveredResources?.map((c) => c.resourceId)).toEqual([app.instanceId]);
    expect(notGolden.coveredResources?.map((c) => c.resourceId)).toEqual([app.instanceId]);
  });

  it('keeps the findings of a stopped instance and marks its coverage EC2_INSTANCE_STOPPED', async () => {
    // Arrange
    const inst = await scanned(directory.add());

    // Act
    inst.state = 'stopped';
    const coverage = await coverageOf(inst.instanceId);
    const findings = await allFindings({ resourceId: eq(inst.instanceId) });

    // Assert
    expect(coverage?.scanStatus).toEqual({ statusCode: 'INACTIVE', reason: 'EC2_INSTANCE_STOPPED' });
    expect(findings).toHaveLength(AL2023_FINDINGS.TOTAL);
    expect(new Set(findings.map((f) => f.status))).toEqual(new Set(['ACTIVE']));
  });

  it('closes the findings of a terminated instance and drops its coverage', async () => {
    // Arrange
    const inst = await scanned(directory.add());
    const eventsBefore = eventsOf(FINDING_DETAIL_TYPE).length;

    // Act
    inst.state = 'terminated';
    await edge.clock.advance(DEFAULT_POLL_INTERVAL_SECONDS);

    // Assert
    const findings = await allFindings({ resourceId: eq(inst.instanceId) });
    expect(findings).toHaveLength(AL2023_FINDINGS.TOTAL);
    expect(new Set(findings.map((f) => f.status))).toEqual(new Set(['CLOSED']));
    expect(await coverageOf(inst.instanceId)).toBeUndefined();
    const closedEvents = eventsOf(FINDING_DETAIL_TYPE).slice(eventsBefore);
    expect(closedEvents.map((e) => e.detail.status)).toEqual(Array(AL2023_FINDINGS.TOTAL).fill('CLOSED'));
  });

  it('deletes closed findings of a terminated instance after three days', async () => {
    // Arrange
    const inst = await scanned(directory.add());
    directory.all.splice(directory.all.indexOf(inst), 1);
    await edge.clock.advance(DEFAULT_POLL_INTERVAL_SECONDS);

    // Act
    await edge.clock.advance(3 * 86_400);

    // Assert
    expect(await allFindings({ resourceId: eq(inst.instanceId) })).toEqual([]);
  });

  it('leaves an instance without an instance profile unscanned when managed instances are required', async () => {
    // Arrange
    inspector.destroy();
    await edge.close();
    await startCloud({ requireManagedInstances: true });
    const inst = directory.add({ iamInstanceProfile: undefined });

    // Act
    await coverageOf(inst.instanceId);
    await edge.clock.advance(RESCAN_SECONDS);

    // Assert
    expect((await coverageOf(inst.instanceId))?.scanStatus).toEqual({
      statusCode: 'INACTIVE',
      reason: 'UNMANAGED_EC2_INSTANCE',
    });
    expect(await allFindings({ resourceId: eq(inst.instanceId) })).toEqual([]);
  });
});

describe('Inspector2 emulator: findings', () => {
  beforeEach(() => startCloud());

  it('finds the vulnerable packages of the seeded AL2023 image, filterable by image id, severity and status', async () => {
    // Arrange
    const al = await scanned(directory.add());
    await scanned(directory.add({ imageId: UBUNTU_AMI, packages: new Map(Object.entries(UBUNTU.packages)) }));

    // Act
    const onAl = await allFindings({ ec2InstanceImageId: eq(AL2023_AMI) });
    const high = await allFindings({ ec2InstanceImageId: eq(AL2023_AMI), severity: eq('HIGH') });
    const closed = await allFindings({ findingStatus: eq('CLOSED') });
    const openssl = await allFindings({
      ec2InstanceImageId: eq(AL2023_AMI),
      vulnerabilityId: [{ comparison: 'PREFIX', value: 'CVE-2024-' }],
      severity: [{ comparison: 'NOT_EQUALS', value: 'LOW' }],
      vulnerablePackages: [{ name: eq('openssl')[0] }],
    });

    // Assert
    expect(onAl.map((f) => f.packageVulnerabilityDetails?.vulnerabilityId).sort()).toEqual([
      'CVE-2024-11053',
      'CVE-2024-2961',
      'CVE-2024-50264',
      'CVE-2024-6119',
      'CVE-2024-9143',
      'CVE-2025-26465',
    ]);
    expect(onAl.every((f) => f.resources?.[0]?.id === al.instanceId)).toBe(true);
    expect(high.map((f) => f.title).sort()).toEqual([
      'CVE-2024-2961 - glibc',
      'CVE-2024-50264 - kernel',
      'CVE-2024-6119 - openssl',
    ]);
    expect(closed).toEqual([]);
    expect(openssl.map((f) => f.title).sort()).toEqual([
      'CVE-2024-6119 - openssl',
      'CVE-2024-9143 - openssl',
    ]);
  });

  it('shapes a finding as AWS does', async () => {
    // Arrange
    const inst = await scanned(
      directory.add({ iamInstanceProfile: 'ssm-managed', tags: new Map([['Name', 'builder']]) }),
    );

    // Act
    const [finding] = await allFindings({ vulnerabilityId: eq('CVE-2024-6119') });

    // Assert
    const scannedAt = edge.clock.now();
    expect(finding).toEqual({
      findingArn: expect.stringMatching(/^arn:aws:inspector2:eu-west-1:111111111111:finding\/[a-f0-9]{32}$/),
      awsAccountId: ACCOUNT,
      type: 'PACKAGE_VULNERABILITY',
      title: 'CVE-2024-6119 - openssl',
      description: expect.stringContaining('OpenSSL'),
      remediation: { recommendation: { text: 'Update openssl to 3.0.8-1.amzn2023.0.15 or later.' } },
      severity: 'HIGH',
      firstObservedAt: scannedAt,
      lastObservedAt: scannedAt,
      updatedAt: scannedAt,
      status: 'ACTIVE',
      resources: [
        {
          type: 'AWS_EC2_INSTANCE',
          id: inst.instanceId,
          partition: 'aws',
          region: REGION,
          tags: { Name: 'builder' },
          details: {
            awsEc2Instance: {
              imageId: AL2023_AMI,
              launchedAt: new Date('2026-03-01T00:00:00Z'),
              platform: 'AMAZON_LINUX_2023',
              iamInstanceProfileArn: `arn:aws:iam::${ACCOUNT}:instance-profile/ssm-managed`,
            },
          },
        },
      ],
      inspectorScore: 7.5,
      inspectorScoreDetails: {
        adjustedCvss: {
          scoreSource: 'AMAZON_CVE',
          cvssSource: 'NVD',
          version: '3.1',
          score: 7.5,
          scoringVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H',
          adjustments: [],
        },
      },
      packageVulnerabilityDetails: {
        vulnerabilityId: 'CVE-2024-6119',
        vulnerablePackages: [
          {
            name: 'openssl',
            version: '3.0.8',
            release: '1.amzn2023.0.14',
            epoch: 0,
            packageManager: 'OS',
            fixedInVersion: '0:3.0.8-1.amzn2023.0.15',
            remediation: 'dnf update -y --releasever=latest openssl',
          },
        ],
        source: 'AMAZON_CVE',
        sourceUrl: 'https://alas.aws.amazon.com/cve/html/CVE-2024-6119.html',
        cvss: [
          {
            baseScore: 7.5,
            scoringVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H',
            version: '3.1',
            source: 'NVD',
          },
        ],
        relatedVulnerabilities: [],
        vendorSeverity: 'Important',
        vendorCreatedAt: new Date('2024-09-03T16:15:00Z'),
        referenceUrls: ['https://nvd.nist.gov/vuln/detail/CVE-2024-6119'],
      },
      fixAvailable: 'YES',
      exploitAvailable: 'NO',
    });
  });

  it('closes a finding when its package is upgraded past the fix, and reopens the same finding on a downgrade', async () => {
    // Arrange
    const inst = await scanned(directory.add());
    const [before] = await allFindings({ vulnerabilityId: eq('CVE-2024-6119') });
    const eventsBefore = eventsOf(FINDING_DETAIL_TYPE).length;

    // Act: what `dnf update -y openssl` does through the SSM shell.
    inst.packages.set('openssl', PACKAGE_REPOSITORIES.rpm.openssl!);
    await edge.clock.advance(RESCAN_SECONDS);
    const afterUpgrade = await allFindings({ resourceId: eq(inst.instanceId), findingStatus: eq('ACTIVE') });
    const [closed] = await allFindings({ vulnerabilityId: eq('CVE-2024-6119') });
    inst.packages.set('openssl', AL2023.packages.openssl!);
    await edge.clock.advance(RESCAN_SECONDS);
    const [reopened] = await allFindings({ vulnerabilityId: eq('CVE-2024-6119') });

    // Assert
    expect(afterUpgrade.map((f) => f.title)).not.toContain('CVE-2024-6119 - openssl');
    expect(afterUpgrade).toHaveLength(AL2023_FINDINGS.TOTAL - 2);
    expect(closed).toMatchObject({ findingArn: before?.findingArn, status: 'CLOSED' });
    expect(reopened).toMatchObject({ findingArn: before?.findingArn, status: 'ACTIVE' });
    const statusEvents = eventsOf(FINDING_DETAIL_TYPE)
      .slice(eventsBefore)
      .filter((e) => (e.detail as { title: string }).title === 'CVE-2024-6119 - openssl')
      .map((e) => e.detail.status);
    expect(statusEvents).toEqual(['CLOSED', 'ACTIVE']);
  });

  it('creates findings and emits Inspector2 Finding at once when a CVE is added to the feed at run time', async () => {
    // Arrange
    const inst = await scanned(directory.add());
    const eventsBefore = eventsOf(FINDING_DETAIL_TYPE).length;

    // Act
    const result = service.addCve({
      vulnerabilityId: 'CVE-2026-0001',
      packageName: 'sudo',
      family: 'rpm',
      fixedVersion: '1.9.17-1.p1.amzn2023.0.1',
      severity: 'CRITICAL',
      cvssScore: 9.3,
      title: 'sudo chroot option lets a local user run commands as root',
    });
    const [finding] = await allFindings({ vulnerabilityId: eq('CVE-2026-0001') });

    // Assert
    expect(result).toMatchObject({ replaced: false, affectedInstances: [inst.instanceId] });
    expect(finding).toMatchObject({
      status: 'ACTIVE',
      severity: 'CRITICAL',
      fixAvailable: 'YES',
      firstObservedAt: edge.clock.now(),
    });
    const [event] = eventsOf(FINDING_DETAIL_TYPE).slice(eventsBefore);
    expect(event).toMatchObject({
      source: 'aws.inspector2',
      detailType: 'Inspector2 Finding',
      accountId: ACCOUNT,
      region: REGION,
      resources: [inst.instanceId],
      detail: {
        findingArn: finding?.findingArn,
        awsAccountId: ACCOUNT,
        severity: 'CRITICAL',
        status: 'ACTIVE',
        type: 'PACKAGE_VULNERABILITY',
        firstObservedAt: 'Sun Mar 01 00:02:00.000 UTC 2026',
        resources: [{ id: inst.instanceId, details: { awsEc2Instance: { imageId: AL2023_AMI } } }],
        packageVulnerabilityDetails: { vulnerabilityId: 'CVE-2026-0001' },
      },
    });
  });

  it('reports fixAvailable NO for a vulnerability without a fix', async () => {
    // Arrange
    directory.add({ packages: new Map([...Object.entries(AL2023.packages), ['jq', '1.7.1-49.amzn2023']]) });
    await coverageOf(directory.all[0]!.instanceId);
    await edge.clock.advance(DEFAULT_SCAN_DELAY_SECONDS);

    // Act
    const [jq] = await allFindings({ fixAvailable: eq('NO') });

    // Assert
    expect(jq).toMatchObject({
      title: 'CVE-2024-53427 - jq',
      packageVulnerabilityDetails: { vulnerablePackages: [{ name: 'jq', fixedInVersion: 'NotAvailable' }] },
      remediation: { recommendation: { text: 'None Provided' } },
    });
  });

  it('pages findings and coverage with maxResults and nextToken, without repeats or gaps', async () => {
    // Arrange
    for (let i = 0; i < 3; i++) directory.add();
    await coverageOf(directory.all[0]!.instanceId);
    await edge.clock.advance(DEFAULT_SCAN_DELAY_SECONDS);

    // Act
    const first = await inspector.send(new ListFindingsCommand({ maxResults: 4 }));
    const paged = await allFindings(undefined, 4);
    const coverage: string[] = [];
    let pages = 0;
    for await (const page of paginateListCoverage({ client: inspector, pageSize: 2 }, { maxResults: 2 })) {
      pages++;
      coverage.push(...(page.coveredResources ?? []).map((c) => c.resourceId!));
    }

    // Assert
    expect(first.findings).toHaveLength(4);
    expect(first.nextToken).toEqual(expect.any(String));
    expect(paged).toHaveLength(3 * AL2023_FINDINGS.TOTAL);
    expect(new Set(paged.map((f) => f.findingArn)).size).toBe(paged.length);
    expect(pages).toBe(2);
    expect(coverage).toEqual(directory.all.map((i) => i.instanceId));
  });

  it('sorts findings by severity, most severe first', async () => {
    // Arrange
    await scanned(directory.add());

    // Act
    const res = await inspector.send(
      new ListFindingsCommand({ sortCriteria: { field: 'SEVERITY', sortOrder: 'DESC' } }),
    );

    // Assert
    expect(res.findings?.map((f) => f.severity)).toEqual(['HIGH', 'HIGH', 'HIGH', 'MEDIUM', 'MEDIUM', 'LOW']);
  });

  it('refuses a page token issued for another filter', async () => {
    // Arrange
    for (let i = 0; i < 2; i++) directory.add();
    await coverageOf(directory.all[0]!.instanceId);
    await edge.clock.advance(DEFAULT_SCAN_DELAY_SECONDS);
    const { nextToken } = await inspector.send(new ListFindingsCommand({ maxResults: 1 }));

    // Act
    const reuse = inspector.send(
      new ListFindingsCommand({ maxResults: 1, nextToken, filterCriteria: { severity: eq('HIGH') } }),
    );

    // Assert
    await expect(reuse).rejects.toBeInstanceOf(ValidationException);
  });

  it('aggregates active findings per AMI', async () => {
    // Arrange
    await scanned(directory.add());
    await scanned(directory.add());

    // Act
    const res = await inspector.send(
      new ListFindingAggregationsCommand({
        aggregationType: 'AMI',
        aggregationRequest: { amiAggregation: { amis: eq(AL2023_AMI) } },
      }),
    );

    // Assert
    expect(res.responses).toEqual([
      {
        amiAggregation: {
          ami: AL2023_AMI,
          accountId: ACCOUNT,
          severityCounts: { all: 12, critical: 0, high: 6, medium: 4 },
          affectedInstances: 2,
        },
      },
    ]);
  });

  it('returns finding details by ARN and reports the ARNs it does not know', async () => {
    // Arrange
    await scanned(directory.add());
    const [finding] = await allFindings({ vulnerabilityId: eq('CVE-2024-6119') });
    const unknown = `arn:aws:inspector2:${REGION}:${ACCOUNT}:finding/${'0'.repeat(32)}`;

    // Act
    const res = await inspector.send(
      new BatchGetFindingDetailsCommand({ findingArns: [finding!.findingArn!, unknown] }),
    );

    // Assert
    expect(res.findingDetails?.map((d) => d.findingArn)).toEqual([finding!.findingArn]);
    expect(res.errors).toEqual([
      { findingArn: unknown, errorCode: 'FINDING_DETAILS_NOT_FOUND', errorMessage: expect.any(String) },
    ]);
  });
});

describe('Inspector2 emulator: errors', () => {
  beforeEach(() => startCloud());

  it('refuses a filter it does not implement with ValidationException naming the field', async () => {
    // Act
    const res = inspector.send(new ListFindingsCommand({ filterCriteria: { ecrImageTags: eq('latest') } }));

    // Assert
    await expect(res).rejects.toBeInstanceOf(ValidationException);
    await expect(res).rejects.toMatchObject({
      reason: 'FIELD_VALIDATION_FAILED',
      fields: [{ name: 'filterCriteria.ecrImageTags', message: expect.stringContaining('not supported') }],
    });
  });

  it('refuses maxResults above the API limit', async () => {
    await expect(inspector.send(new ListFindingsCommand({ maxResults: 101 }))).rejects.toBeInstanceOf(
      ValidationException,
    );
  });

  it('answers an unknown route with 404 ResourceNotFoundException in REST-JSON form', async () => {
    // Act
    const res = await fetch(`${edge.endpoint}/disable`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization:
          'AWS4-HMAC-SHA256 Credential=test/20260301/eu-west-1/inspector2/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: '{}',
    });

    // Assert
    expect(res.status).toBe(404);
    expect(res.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
    expect(await res.json()).toEqual({ message: expect.stringContaining('POST /disable') });
  });
});
