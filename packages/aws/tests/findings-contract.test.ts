import { createMemoryCloud } from '../src/memory';
import { describeFindingsContract } from './contracts/findings-contract';
import { localFindings } from './contracts/local-cloud-subjects';
import { memoryFindings } from './contracts/memory-subjects';

describeFindingsContract('InspectorFindings on the local cloud', localFindings);
describeFindingsContract('MemoryFindings', memoryFindings);

describe('MemoryFindings test controls', () => {
  it('lists an added finding for its image, with the tags it was given, and follows a status change', async () => {
    const cloud = createMemoryCloud();
    const finding = cloud.findings.addFinding({
      instanceId: 'i-0123456789abcdef0',
      imageId: 'ami-0123456789abcdef0',
      instanceTags: { Name: 'web' },
      severity: 'HIGH',
    });
    cloud.findings.instance = undefined;

    cloud.findings.setFindingStatus(finding.id, 'SUPPRESSED');

    expect(await cloud.findings.listFindingsForImage('ami-0123456789abcdef0')).toEqual([
      { ...finding, status: 'SUPPRESSED', instanceId: 'i-0123456789abcdef0', instanceTags: { Name: 'web' } },
    ]);
  });
});
