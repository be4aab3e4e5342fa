import { inspectionIdFor, inspectionRequestSchema } from '../src/use-cases/inspection';

const request = {
  inspectionId: inspectionIdFor('candidate', 'golden-al2023', '2026.03.01.1', 'key-1'),
  family: 'golden-al2023',
  version: '2026.03.01.1',
  imageId: 'ami-0a1b2c3d4e5f60718',
  purpose: 'candidate',
  correlationId: 'corr-1',
};

const refusedAt = (input: unknown): string[] => {
  const result = inspectionRequestSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => i.path.join('.'));
};

/** The inspection steps search EC2 for test instances and read the catalog by the request's version. */
describe('the inspection request the inspect steps carry', () => {
  it('takes calendar and semver versions', () => {
    for (const version of ['2026.03.01.1', '1.0.0', '2.1.0-rc.1']) {
      expect(refusedAt({ ...request, version })).toEqual([]);
    }
  });

  it.each(['../../$(reboot)', 'latest', 'a'.repeat(2048), '2026.03.01.1 '])(
    'refuses the version %j',
    (version) => {
      expect(refusedAt({ ...request, version })).toEqual(['version']);
    },
  );
});
