import { Ec2Compute, InspectorFindings, SsmCommands } from '../src';
import { launchRunning, startTestCloud, type TestCloud } from './support/cloud';

describe('InspectorFindings', () => {
  let t: TestCloud;
  let findings: InspectorFindings;
  beforeAll(async () => {
    t = await startTestCloud();
    findings = new InspectorFindings(t.clients.inspector2);
  });
  afterAll(() => t.cloud.stop());

  const launchWithVulnerableHttpd = async () => {
    const launched = await launchRunning(t);
    const commands = new SsmCommands(t.clients.ssm);
    const { commandId } = await commands.runCommands({
      instanceId: launched.instanceId,
      commands: ['pkg-install httpd=2.4.58-1.amzn2023'],
      timeoutSeconds: 600,
    });
    await t.cloud.clock.advance(60);
    expect((await commands.getInvocation(commandId, launched.instanceId)).status).toBe('success');
    return launched;
  };

  it('reports coverage pending until the first scan, then scanned', async () => {
    const { instanceId } = await launchRunning(t);

    const before = await findings.coverage(instanceId);
    await t.cloud.clock.advance(300);

    expect(before).toBe('pending');
    expect(await findings.coverage(instanceId)).toBe('scanned');
  });

  it('reports no coverage for an instance Inspector does not know', async () => {
    expect(await findings.coverage('i-0123456789abcdef0')).toBe('none');
  });

  it('lists the critical httpd finding for the instance and for its image', async () => {
    const { instanceId, imageId } = await launchWithVulnerableHttpd();
    await t.cloud.clock.advance(600);

    const forInstance = await findings.listFindingsForInstance(instanceId);
    const forImage = await findings.listFindingsForImage(imageId);

    const httpd = {
      id: expect.stringMatching(/^arn:aws:inspector2:/),
      cve: 'CVE-2024-38476',
      severity: 'CRITICAL',
      fixAvailable: true,
      status: 'ACTIVE',
    };
    expect(forInstance).toContainEqual(httpd);
    expect(forImage).toContainEqual(httpd);
  });

  it('closes the findings of a terminated instance', async () => {
    const { instanceId } = await launchWithVulnerableHttpd();
    await t.cloud.clock.advance(600);

    await new Ec2Compute(t.clients.ec2).terminateInstance(instanceId);
    await t.cloud.clock.advance(120);

    const left = await findings.listFindingsForInstance(instanceId);
    expect(left.length).toBeGreaterThan(0);
    expect(left.every((f) => f.status === 'CLOSED')).toBe(true);
  });
});
