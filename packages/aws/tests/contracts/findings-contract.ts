import type { ComputePort, FindingsPort } from '@ami-lifecycle/core';

export interface FindingsSubject {
  port: FindingsPort;
  compute: ComputePort;
  advance(seconds: number): Promise<void>;
  /** A running instance, on the simulated clock, with the AMI it runs; tagged as a builder unless `tags` are given. */
  launchRunning(tags?: Record<string, string>): Promise<{ instanceId: string; imageId: string }>;
  /**
   * Gives the instance the critical httpd vulnerability (CVE-2024-38476, fixable): the real side installs
   * the vulnerable package over SSM, the fake records the finding.
   */
  makeVulnerable(instanceId: string): Promise<void>;
  close?(): Promise<void>;
}

/** The behaviour every `FindingsPort` adapter must have; the subject is shared by the suite's tests. */
export const describeFindingsContract = (name: string, makeSubject: () => Promise<FindingsSubject>): void => {
  describe(`${name} (findings contract)`, () => {
    let s: FindingsSubject;
    let findings: FindingsPort;
    beforeAll(async () => {
      s = await makeSubject();
      findings = s.port;
    });
    afterAll(async () => {
      await s?.close?.();
    });

    const launchWithVulnerableHttpd = async (tags?: Record<string, string>) => {
      const launched = await s.launchRunning(tags);
      await s.makeVulnerable(launched.instanceId);
      return launched;
    };
    const httpd = {
      id: expect.stringMatching(/^arn:aws:inspector2:/),
      cve: 'CVE-2024-38476',
      severity: 'CRITICAL',
      fixAvailable: true,
      status: 'ACTIVE',
    };

    it('reports coverage pending until the first scan, then scanned', async () => {
      const { instanceId } = await s.launchRunning();

      const before = await findings.coverage(instanceId);
      await s.advance(300);

      expect(before).toBe('pending');
      expect(await findings.coverage(instanceId)).toBe('scanned');
    });

    it('reports no coverage for an instance Inspector does not know', async () => {
      expect(await findings.coverage('i-0123456789abcdef0')).toBe('none');
    });

    it('lists no findings for an instance or image it knows nothing of', async () => {
      expect(await findings.listFindingsForInstance('i-0123456789abcdef0')).toEqual([]);
      expect(await findings.listFindingsForImage('ami-0123456789abcdef0')).toEqual([]);
    });

    it('lists the critical httpd finding for the instance and for its image', async () => {
      const { instanceId, imageId } = await launchWithVulnerableHttpd();
      await s.advance(600);

      const forInstance = await findings.listFindingsForInstance(instanceId);
      const forImage = await findings.listFindingsForImage(imageId);

      expect(forInstance).toContainEqual(httpd);
      expect(forImage).toContainEqual({ ...httpd, instanceId, instanceTags: expect.any(Object) });
    });

    it("names each image finding's instance with the tags Inspector saw on it, ours or none", async () => {
      // A child image's builder runs the AMI with our tags for the child; a workload runs it untagged.
      const childBuilder = {
        Name: 'payments-api-1.4.0-builder',
        'ami-lifecycle:managed': 'true',
        'ami-lifecycle:family': 'payments-api',
        'ami-lifecycle:version': '1.4.0',
      };
      const builder = await launchWithVulnerableHttpd(childBuilder);
      const workload = await launchWithVulnerableHttpd({});
      await s.advance(600);

      const forImage = await findings.listFindingsForImage(builder.imageId);

      expect(workload.imageId).toBe(builder.imageId);
      expect(forImage).toContainEqual({
        ...httpd,
        instanceId: builder.instanceId,
        instanceTags: childBuilder,
      });
      expect(forImage).toContainEqual({ ...httpd, instanceId: workload.instanceId, instanceTags: {} });
    });

    it('closes the findings of a terminated instance', async () => {
      const { instanceId } = await launchWithVulnerableHttpd();
      await s.advance(600);

      await s.compute.terminateInstance(instanceId);
      await s.advance(120);

      const left = await findings.listFindingsForInstance(instanceId);
      expect(left.length).toBeGreaterThan(0);
      expect(left.every((f) => f.status === 'CLOSED')).toBe(true);
    });
  });
};
