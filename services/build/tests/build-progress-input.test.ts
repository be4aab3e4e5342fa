import { buildProgressSchema } from '../src/use-cases/build-progress';

const progress = {
  family: 'golden-al2023',
  version: '2026.03.01.1',
  buildId: 'build-golden-al2023-1',
  correlationId: 'corr-1',
  instanceId: 'i-0123456789abcdef0',
  stepIndex: 0,
  stepCount: 3,
  checks: 0,
  maxChecks: 20,
};

const refusedAt = (input: unknown): string[] => {
  const result = buildProgressSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => i.path.join('.'));
};

/** The build steps look the builder up in EC2 and the image up in the catalog by family and version. */
describe('the build progress the build steps carry', () => {
  it('takes the families and versions builds are made with', () => {
    for (const version of ['2026.03.01.1', '2026.12.31.12', '1.0.0', '3.14.0']) {
      expect(refusedAt({ ...progress, version })).toEqual([]);
    }
    for (const family of ['golden-al2023', 'payments-api', 'constructor']) {
      expect(refusedAt({ ...progress, family })).toEqual([]);
    }
  });

  it.each([
    ['version', 'golden-al2023 && curl http://169.254.169.254/'],
    ['version', 'latest'],
    ['version', '2026.03.01.1/../x'],
    ['family', 'golden al2023'],
    ['family', '../payments-api'],
    ['family', 'Golden-AL2023'],
  ])('refuses a %s of %j', (field, value) => {
    expect(refusedAt({ ...progress, [field]: value })).toEqual([field]);
  });
});
