import { EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { Inspector2Client, ListFindingsCommand } from '@aws-sdk/client-inspector2';
import { GetCommandInvocationCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { type LocalCloud, startLocalCloud } from '../src';
import { PUBLIC_IMAGES, publicImageId } from '../src/services/ec2/public-images';

/**
 * Inspector2 in the whole cloud: findings follow the packages SSM commands install on EC2 instances, and
 * the CVEs added to the feed at run time through the control API.
 */
describe('Inspector2 over EC2 and SSM', () => {
  let cloud: LocalCloud;
  let instanceId: string;
  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0, start: '2026-03-01T00:00:00.000Z' });
    const al2023 = PUBLIC_IMAGES.find((i) => i.ownerAlias === 'amazon' && i.architecture === 'x86_64')!;
    const run = await new EC2Client(cloud.clientConfig).send(
      new RunInstancesCommand({
        ImageId: publicImageId(cloud.region, al2023.name),
        MinCount: 1,
        MaxCount: 1,
        InstanceType: 't3.medium',
        IamInstanceProfile: { Name: 'ami-lifecycle-builder' },
      }),
    );
    instanceId = run.Instances![0]!.InstanceId!;
    await cloud.clock.advance(60);
  });
  afterAll(() => cloud?.stop());

  const activeFindings = async () => {
    const out = await new Inspector2Client(cloud.clientConfig).send(
      new ListFindingsCommand({
        filterCriteria: {
          resourceId: [{ comparison: 'EQUALS', value: instanceId }],
          findingStatus: [{ comparison: 'EQUALS', value: 'ACTIVE' }],
        },
      }),
    );
    return (out.findings ?? [])
      .map((f) => [f.packageVulnerabilityDetails?.vulnerabilityId, f.severity])
      .sort();
  };

  it('reports the vulnerable package a command installed after the OS update fixed the rest', async () => {
    const ssm = new SSMClient(cloud.clientConfig);
    const sent = await ssm.send(
      new SendCommandCommand({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: [instanceId],
        Parameters: {
          commands: ['dnf upgrade -y --releasever=latest', 'pkg-install httpd=2.4.58-1.amzn2023'],
        },
      }),
    );
    await cloud.clock.advance(300);
    const invocation = await ssm.send(
      new GetCommandInvocationCommand({ CommandId: sent.Command!.CommandId!, InstanceId: instanceId }),
    );
    expect(invocation.Status).toBe('Success');

    await cloud.clock.advance(600);
    expect(await activeFindings()).toEqual([['CVE-2024-38476', 'CRITICAL']]);
    const findingEvents = cloud.events.list({ source: 'aws.inspector2', detailType: 'Inspector2 Finding' });
    expect(findingEvents.some((e) => JSON.stringify(e.detail).includes('CVE-2024-38476'))).toBe(true);
  });

  it('adds a CVE through the control API: the instance gets the finding and the event at once', async () => {
    const res = await fetch(`${cloud.endpoint}/_local/inspector/cves`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        vulnerabilityId: 'CVE-2026-0001',
        packageName: 'sudo',
        family: 'rpm',
        fixedVersion: '1.9.16-1.amzn2023',
        severity: 'HIGH',
        cvssScore: 7.8,
        title: 'sudo chroot option lets a local user run commands as root',
      }),
    });
    expect(res.status).toBe(200);
    expect(JSON.stringify(await res.json())).toContain(instanceId);
    expect(await activeFindings()).toEqual([
      ['CVE-2024-38476', 'CRITICAL'],
      ['CVE-2026-0001', 'HIGH'],
    ]);
    const delivered = await (await fetch(`${cloud.endpoint}/_local/events`)).json();
    expect(JSON.stringify(delivered)).toContain('CVE-2026-0001');
  });

  it('refuses a malformed CVE and names the field', async () => {
    const res = await fetch(`${cloud.endpoint}/_local/inspector/cves`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        vulnerabilityId: 'CVE-2026-0002',
        packageName: 'sudo',
        severity: 'SEVERE',
        cvssScore: 5,
        title: 'x',
      }),
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('severity');
  });
});
