import { imageApproved } from '@ami-lifecycle/contracts';
import {
  ImageNotPublishableError,
  type PublicationRequest,
  type PublicationStarter,
  requestPublication,
} from '../src';
import { candidate, createWorld, HOME, START, type World } from './support/world';

const FAMILY = 'golden-al2023';
const VERSION = '2026.03.01.1';

/** Step Functions as far as starting goes: one execution per name, a second start answers `duplicate`. */
class MemoryStarter implements PublicationStarter {
  readonly executions = new Map<string, PublicationRequest>();
  async start(request: PublicationRequest) {
    const executionName = request.publicationId;
    if (this.executions.has(executionName)) return { outcome: 'duplicate' as const, executionName };
    this.executions.set(executionName, request);
    return { outcome: 'started' as const, executionName };
  }
}

const approvedEvent = (family: string, version: string, imageId: string, idempotencyKey = 'approved-1') =>
  imageApproved.schema.parse({
    schemaVersion: 1,
    family,
    version,
    correlationId: `corr-${family}-${version}`,
    idempotencyKey,
    occurredAt: START,
    imageId,
    approver: { kind: 'auto' },
    reason: 'gate passed',
  });

describe('requestPublication', () => {
  let world: World;
  let publications: MemoryStarter;
  const deps = () => ({ ...world.deps, publications });
  const auditActions = async (version = VERSION) =>
    (await world.catalog.listAudit(FAMILY, version, { limit: 50 })).items.map((a) => a.action ?? a.to);

  beforeEach(async () => {
    world = await createWorld();
    publications = new MemoryStarter();
  });

  it('asks for one execution however often the same Image Approved is delivered', async () => {
    const { request } = await candidate(world, FAMILY, VERSION);
    const event = approvedEvent(FAMILY, VERSION, request.imageId);

    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push((await requestPublication(event, deps())).outcome);

    expect(outcomes).toEqual(['started', 'duplicate', 'duplicate']);
    expect([...publications.executions.values()]).toEqual([
      expect.objectContaining({ family: FAMILY, version: VERSION, imageId: request.imageId }),
    ]);
  });

  it('starts nothing and writes nothing for an Image Approved naming another AMI, an unknown image, or an image no longer approved', async () => {
    const { request, image } = await candidate(world, FAMILY, VERSION);
    const stale = await candidate(world, FAMILY, '2026.03.01.2');
    const rejected = await world.catalog.transitionImage({
      family: FAMILY,
      version: stale.image.version,
      from: 'approved',
      to: 'rejected',
      expectedStateVersion: stale.image.stateVersion,
      at: world.clock.now().toISOString(),
      audit: { actor: 'bob', reason: 'no', correlationId: 'c' },
    });
    const before = { forged: await auditActions(), stale: await auditActions(rejected.version) };

    const forged = requestPublication(approvedEvent(FAMILY, VERSION, 'ami-0fffffffffffffff0'), deps());
    const unknown = requestPublication(approvedEvent(FAMILY, '2099.01.01.1', request.imageId), deps());
    const notApproved = requestPublication(
      approvedEvent(FAMILY, rejected.version, stale.request.imageId),
      deps(),
    );

    await expect(forged).rejects.toBeInstanceOf(ImageNotPublishableError);
    await expect(forged).rejects.toThrow(
      `its AMI in ${HOME} is ${image.amiIds[HOME]}, not ami-0fffffffffffffff0`,
    );
    await expect(unknown).rejects.toThrow('the catalog has no such image');
    await expect(notApproved).rejects.toThrow('it is rejected, and only an approved image is published');
    expect(publications.executions.size).toBe(0);
    expect({ forged: await auditActions(), stale: await auditActions(rejected.version) }).toEqual(before);
  });

  it('answers a late redelivery of the event that published the image as a duplicate, starting nothing', async () => {
    const { request, image } = await candidate(world, FAMILY, VERSION);
    await world.catalog.transitionImage({
      family: FAMILY,
      version: VERSION,
      from: 'approved',
      to: 'published',
      expectedStateVersion: image.stateVersion,
      at: world.clock.now().toISOString(),
      audit: { actor: 'publish', reason: 'published', correlationId: 'c' },
    });

    const late = await requestPublication(approvedEvent(FAMILY, VERSION, request.imageId), deps());

    expect(late.outcome).toBe('duplicate');
    expect(publications.executions.size).toBe(0);
  });
});
