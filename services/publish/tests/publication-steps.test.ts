import { PublicSharingRefusedError } from '@ami-lifecycle/core';
import {
  BlockPublicAccessOffError,
  CopyFailedError,
  checkCopies,
  completePublication,
  copyToRegions,
  ImageNotPublishableError,
  MAX_WRITES,
  ParameterNotUpdatedError,
  planPublication,
  recordPublicationFailure,
  shareImage,
  writeParameters,
} from '../src';
import { candidate, createWorld, HOME, OTHER, planFor, WORKLOADS, type World } from './support/world';

const FAMILY = 'golden-al2023';
const VERSION = '2026.03.01.1';

/** Runs the parameter step as the machine does (wait, then again) until it is done; at most `max` calls. */
const parametersUntilDone = async (world: World, input: Parameters<typeof writeParameters>[0], max = 20) => {
  let result = await writeParameters(input, world.deps);
  for (let i = 1; result.next !== 'done' && i < max; i++) {
    world.advance(5);
    result = await writeParameters({ ...input, progress: result.progress }, world.deps);
  }
  return result;
};

describe('the publish steps', () => {
  let world: World;
  beforeEach(async () => {
    world = await createWorld();
  });

  it('plans from the stored config: home first, the alias key in each region, the workloads account, one parameter per region and channel', async () => {
    const { request } = await candidate(world, FAMILY, VERSION);

    const plan = await planPublication({ request }, world.deps);

    expect(plan).toMatchObject({
      homeRegion: HOME,
      regions: [HOME, OTHER],
      copyRegions: [OTHER],
      kmsKeyIds: { [HOME]: 'alias/ami-lifecycle', [OTHER]: 'alias/ami-lifecycle' },
      grants: { accountIds: [WORKLOADS], organizationArns: [], organizationalUnitArns: [] },
      configVersion: 1,
    });
    expect(plan.parameters.map((p) => `${p.region} ${p.name}`)).toEqual([
      `${HOME} /ami-lifecycle/${FAMILY}/latest`,
      `${HOME} /ami-lifecycle/${FAMILY}/stable`,
      `${OTHER} /ami-lifecycle/${FAMILY}/latest`,
      `${OTHER} /ami-lifecycle/${FAMILY}/stable`,
    ]);
  });

  it('refuses to plan for an image that is not approved, or whose home AMI is not the one asked for', async () => {
    const { request } = await candidate(world, FAMILY, VERSION, 'inspecting');

    await expect(planPublication({ request }, world.deps)).rejects.toBeInstanceOf(ImageNotPublishableError);
    await expect(
      planPublication({ request: { ...request, imageId: 'ami-0123456789abcdef0' } }, world.deps),
    ).rejects.toThrow(/not ami-0123456789abcdef0/);
  });

  it('copies into the other region once, encrypted with its key and tagged like the source, and records the copy', async () => {
    const { request } = await candidate(world, FAMILY, VERSION);
    const plan = planFor(world, FAMILY);

    const first = await copyToRegions({ request, plan }, world.deps);
    const again = await copyToRegions({ request, plan }, world.deps);

    const image = (await world.catalog.getImage(FAMILY, VERSION))!;
    const copyId = image.amiIds[OTHER]!;
    expect(first.next).toBe('wait');
    expect(again.next).toBe('wait');
    const copy = world.region(OTHER).images.image(copyId)!;
    expect(copy).toMatchObject({ name: `${FAMILY}-${VERSION}`, state: 'pending' });
    expect(copy.tags).toMatchObject({ 'ami-lifecycle:managed': 'true', 'cost-center': 'platform' });
    expect((await world.region(OTHER).images.findImagesByName(`${FAMILY}-*`, ['self'])).length).toBe(1);
  });

  it('adopts a copy that a crashed attempt made before recording it, instead of copying twice', async () => {
    const { request } = await candidate(world, FAMILY, VERSION);
    const plan = planFor(world, FAMILY);
    // The crash: CopyImage went through, the catalog never heard of it.
    const orphan = await world.region(OTHER).images.copyImage({
      sourceImageId: request.imageId,
      sourceRegion: HOME,
      name: `${FAMILY}-${VERSION}`,
      description: 'first attempt',
      kmsKeyId: 'alias/ami-lifecycle',
      tags: (await world.region(HOME).images.describeImage(request.imageId))!.tags,
      clientToken: 'another-token',
    });

    await copyToRegions({ request, plan }, world.deps);

    expect((await world.catalog.getImage(FAMILY, VERSION))?.amiIds[OTHER]).toBe(orphan.imageId);
    expect((await world.region(OTHER).images.findImagesByName(`${FAMILY}-*`, ['self'])).length).toBe(1);
  });

  it('waits for the copy, then reports it available; a failed copy fails the publication', async () => {
    const { request } = await candidate(world, FAMILY, VERSION);
    const plan = planFor(world, FAMILY);
    await copyToRegions({ request, plan }, world.deps);

    expect((await checkCopies({ request, plan, checks: 0 }, world.deps)).next).toBe('wait');
    world.advance(600);
    expect(await checkCopies({ request, plan, checks: 1 }, world.deps)).toEqual({ next: 'done', checks: 2 });

    const other = await candidate(world, FAMILY, '2026.03.01.2');
    await copyToRegions({ request: other.request, plan }, world.deps);
    const copyId = (await world.catalog.getImage(FAMILY, '2026.03.01.2'))!.amiIds[OTHER]!;
    world.region(OTHER).images.completeImage(copyId, 'failed');
    await expect(checkCopies({ request: other.request, plan, checks: 0 }, world.deps)).rejects.toBeInstanceOf(
      CopyFailedError,
    );
  });

  it("gives up on a copy still pending after the plan's bound", async () => {
    const { request } = await candidate(world, FAMILY, VERSION);
    const plan = { ...planFor(world, FAMILY), maxCopyChecks: 3 };
    await copyToRegions({ request, plan }, world.deps);

    await expect(checkCopies({ request, plan, checks: 2 }, world.deps)).rejects.toThrow(
      /still pending after 3 checks/,
    );
  });

  it('shares with exactly the allow-listed account in both regions, taking away a hand-made grant and a public one', async () => {
    const { request } = await candidate(world, FAMILY, VERSION);
    const plan = planFor(world, FAMILY);
    await copyToRegions({ request, plan }, world.deps);
    world.advance(600);
    const home = world.region(HOME).images;
    await home.modifyLaunchPermissions(request.imageId, {
      add: { accountIds: ['333333333333'], organizationArns: [], organizationalUnitArns: [] },
      remove: { accountIds: [], organizationArns: [], organizationalUnitArns: [] },
    });
    // Made public by someone else before the account turned block public access on.
    home.setImageBlockPublicAccess(false);
    home.setPublic(request.imageId, true);
    home.setImageBlockPublicAccess(true);

    const result = await shareImage({ request, plan }, world.deps);

    const image = (await world.catalog.getImage(FAMILY, VERSION))!;
    for (const region of [HOME, OTHER]) {
      expect(await world.region(region).images.getLaunchPermissions(image.amiIds[region]!)).toEqual({
        accountIds: [WORKLOADS],
        organizationArns: [],
        organizationalUnitArns: [],
        public: false,
      });
    }
    expect(result.changes.find((c) => c.region === HOME)?.removed).toEqual([
      '333333333333',
      'public (Group=all)',
    ]);
    // A retry finds everything in place and changes nothing.
    expect((await shareImage({ request, plan }, world.deps)).changes).toEqual([]);
  });

  it('shares nothing anywhere when image block public access is off in one region', async () => {
    const { request } = await candidate(world, FAMILY, VERSION);
    const plan = planFor(world, FAMILY);
    await copyToRegions({ request, plan }, world.deps);
    world.advance(600);
    world.region(OTHER).images.setImageBlockPublicAccess(false);

    await expect(shareImage({ request, plan }, world.deps)).rejects.toBeInstanceOf(BlockPublicAccessOffError);

    expect((await world.region(HOME).images.getLaunchPermissions(request.imageId)).accountIds).toEqual([]);
  });

  it('never shares publicly, whatever the plan says', async () => {
    const { request } = await candidate(world, FAMILY, VERSION);
    const plan = planFor(world, FAMILY);
    const publicPlan = {
      ...plan,
      regions: [HOME],
      copyRegions: [],
      grants: { ...plan.grants, accountIds: ['all'] },
    };

    await expect(shareImage({ request, plan: publicPlan }, world.deps)).rejects.toBeInstanceOf(
      PublicSharingRefusedError,
    );
    expect(await world.region(HOME).images.getLaunchPermissions(request.imageId)).toMatchObject({
      accountIds: [],
      public: false,
    });
  });

  it('writes each parameter, waits for SSM to validate it, and is done once every read shows it', async () => {
    const { request } = await candidate(world, FAMILY, VERSION);
    const plan = planFor(world, FAMILY);
    await copyToRegions({ request, plan }, world.deps);
    world.advance(600);

    const first = await writeParameters({ request, plan }, world.deps);
    expect(first.next).toBe('wait');
    const done = await parametersUntilDone(world, { request, plan, progress: first.progress });

    expect(done.next).toBe('done');
    const image = (await world.catalog.getImage(FAMILY, VERSION))!;
    for (const region of [HOME, OTHER]) {
      for (const channel of ['latest', 'stable']) {
        expect(
          (await world.region(region).parameters.getParameter(`/ami-lifecycle/${FAMILY}/${channel}`))?.value,
        ).toBe(image.amiIds[region]);
      }
    }
    // Each parameter was written once.
    expect(Object.values(done.progress.entries).map((e) => e.writes)).toEqual([1, 1, 1, 1]);
  });

  it('audits a parameter an earlier attempt wrote but could not report (its progress lost with its failure)', async () => {
    const { request } = await candidate(world, FAMILY, VERSION);
    const plan = { ...planFor(world, FAMILY), regions: [HOME], copyRegions: [] };
    plan.parameters = plan.parameters.filter((p) => p.region === HOME);
    await world
      .region(HOME)
      .parameters.putImageParameter(
        plan.parameters[0]!.name,
        (await world.catalog.getImage(FAMILY, VERSION))!.amiIds[HOME]!,
      );
    world.advance(60);

    // A retried attempt starts from no progress: it finds one parameter right although it wrote nothing.
    const done = await parametersUntilDone(world, { request, plan });

    expect(done.next).toBe('done');
    const audit = (await world.catalog.listAudit(FAMILY, VERSION, { limit: 50 })).items
      .filter((a) => a.action === 'parameters-written')
      .map((a) => a.reason);
    expect(audit.join(' ')).toContain(`${plan.parameters[0]!.name} in ${HOME}`);
    expect(Object.values(done.progress.entries).map((e) => e.writes)).toEqual(plan.parameters.map(() => 1));
  });

  it("fails with SSM's reason after the last write when a value never validates, and leaves the old value", async () => {
    const { request } = await candidate(world, FAMILY, VERSION);
    const plan = { ...planFor(world, FAMILY), regions: [HOME], copyRegions: [] };
    plan.parameters = plan.parameters.filter((p) => p.region === HOME);
    const name = `/ami-lifecycle/${FAMILY}/latest`;
    const old = world.region(HOME).images.addImage({ name: 'older' });
    await world.region(HOME).parameters.putImageParameter(name, old);
    world.advance(5);
    // The image disappears before SSM can validate it, so every write is dropped.
    await world.region(HOME).images.deregisterImage(request.imageId, { deleteSnapshots: false });

    const run = parametersUntilDone(world, { request, plan }, 50);

    await expect(run).rejects.toBeInstanceOf(ParameterNotUpdatedError);
    await expect(parametersUntilDone(world, { request, plan }, 50)).rejects.toThrow(
      new RegExp(`after ${MAX_WRITES} write\\(s\\): it still holds ${old}`),
    );
    expect((await world.region(HOME).parameters.getParameter(name))?.value).toBe(old);
  });

  it('publishes: approved -> published with both channels moved, then one Image Published; a retry re-emits under the same key', async () => {
    const { request } = await candidate(world, FAMILY, VERSION);
    const plan = planFor(world, FAMILY);
    await copyToRegions({ request, plan }, world.deps);
    world.advance(600);

    await completePublication({ request, plan }, world.deps);
    await completePublication({ request, plan }, world.deps);

    const image = (await world.catalog.getImage(FAMILY, VERSION))!;
    expect(image).toMatchObject({ state: 'published', publishedAt: expect.any(String) });
    expect((await world.catalog.listChannels(FAMILY)).map((c) => [c.name, c.version])).toEqual([
      ['latest', VERSION],
      ['stable', VERSION],
    ]);
    const published = world.events.published('Image Published');
    expect(published).toHaveLength(2);
    expect(new Set(published.map((e) => e.detail.idempotencyKey))).toEqual(
      new Set([`image-published:${FAMILY}@${VERSION}`]),
    );
    expect(published[0]?.detail).toMatchObject({ regions: image.amiIds, channels: ['latest', 'stable'] });
  });

  it('stops at the next step once a person rejected the image, and takes its grants away on the failure path', async () => {
    const { request } = await candidate(world, FAMILY, VERSION);
    const plan = planFor(world, FAMILY);
    await copyToRegions({ request, plan }, world.deps);
    world.advance(600);
    await shareImage({ request, plan }, world.deps);
    const image = (await world.catalog.getImage(FAMILY, VERSION))!;
    await world.catalog.transitionImage({
      family: FAMILY,
      version: VERSION,
      from: 'approved',
      to: 'rejected',
      expectedStateVersion: image.stateVersion,
      at: world.clock.now().toISOString(),
      audit: { actor: 'bob', reason: 'no', correlationId: 'c' },
    });

    await expect(writeParameters({ request, plan }, world.deps)).rejects.toBeInstanceOf(
      ImageNotPublishableError,
    );
    await expect(completePublication({ request, plan }, world.deps)).rejects.toBeInstanceOf(
      ImageNotPublishableError,
    );
    const failed = await recordPublicationFailure(
      {
        request,
        failure: { Error: 'ImageNotPublishableError', Cause: '{"errorMessage":"it is rejected"}' },
        parameters: plan.parameters,
      },
      world.deps,
    );

    expect(failed.revoked).toHaveLength(2);
    for (const region of [HOME, OTHER]) {
      expect(
        (await world.region(region).images.getLaunchPermissions(image.amiIds[region]!)).accountIds,
      ).toEqual([]);
    }
    expect(
      await world.region(HOME).parameters.getParameter(`/ami-lifecycle/${FAMILY}/latest`),
    ).toBeUndefined();
    const audit = (await world.catalog.listAudit(FAMILY, VERSION, { limit: 50 })).items;
    expect(audit.at(-1)).toMatchObject({
      action: 'publication-failed',
      reason: expect.stringContaining('ImageNotPublishableError: it is rejected'),
    });
  });

  /** Every step of a publication up to and including WriteParameters; the parameters show the image. */
  const upToParameters = async (version: string) => {
    const { request } = await candidate(world, FAMILY, version);
    const plan = planFor(world, FAMILY);
    await copyToRegions({ request, plan }, world.deps);
    world.advance(600);
    expect((await checkCopies({ request, plan, checks: 0 }, world.deps)).next).toBe('done');
    await shareImage({ request, plan }, world.deps);
    expect((await parametersUntilDone(world, { request, plan })).next).toBe('done');
    return { request, plan, image: (await world.catalog.getImage(FAMILY, version))! };
  };
  const reject = async (image: { version: string; stateVersion: number }) =>
    world.catalog.transitionImage({
      family: FAMILY,
      version: image.version,
      from: 'approved',
      to: 'rejected',
      expectedStateVersion: image.stateVersion,
      at: world.clock.now().toISOString(),
      audit: { actor: 'bob', reason: 'no', correlationId: 'c' },
    });
  const parameterValues = async () => {
    const values: Record<string, string | undefined> = {};
    for (const region of [HOME, OTHER]) {
      for (const channel of ['latest', 'stable']) {
        const name = `/ami-lifecycle/${FAMILY}/${channel}`;
        values[`${region} ${channel}`] = (await world.region(region).parameters.getParameter(name))?.value;
      }
    }
    return values;
  };
  const onImage = (image: { amiIds: Record<string, string> }) => ({
    [`${HOME} latest`]: image.amiIds[HOME],
    [`${HOME} stable`]: image.amiIds[HOME],
    [`${OTHER} latest`]: image.amiIds[OTHER],
    [`${OTHER} stable`]: image.amiIds[OTHER],
  });

  it("sets the parameters back to the channels' image when the image is rejected between WriteParameters and CompletePublication", async () => {
    const first = await upToParameters(VERSION);
    await completePublication({ request: first.request, plan: first.plan }, world.deps);
    const second = await upToParameters('2026.03.01.2');
    expect(await parameterValues()).toEqual(onImage(second.image));
    await reject(second.image);
    await expect(
      completePublication({ request: second.request, plan: second.plan }, world.deps),
    ).rejects.toBeInstanceOf(ImageNotPublishableError);

    const failed = await recordPublicationFailure(
      {
        request: second.request,
        failure: { Error: 'ImageNotPublishableError', Cause: '{"errorMessage":"it is rejected"}' },
        parameters: second.plan.parameters,
      },
      world.deps,
    );

    world.advance(5);
    expect(await parameterValues()).toEqual(onImage(first.image));
    expect(failed.restored).toHaveLength(4);
    expect(failed.revoked).toHaveLength(2);
    expect((await world.catalog.listChannels(FAMILY)).map((c) => c.version)).toEqual([VERSION, VERSION]);
    const audit = (await world.catalog.listAudit(FAMILY, second.image.version, { limit: 50 })).items;
    expect(audit.at(-1)?.reason).toContain("parameters set back to their channels' images");
    // A retry finds them set back and writes nothing.
    const again = await recordPublicationFailure(
      { request: second.request, failure: {}, parameters: second.plan.parameters },
      world.deps,
    );
    expect(again.restored).toEqual([]);
  });

  it('leaves, and names, the parameters of a first publication that stopped before its channels moved', async () => {
    const first = await upToParameters(VERSION);
    await reject(first.image);

    const failed = await recordPublicationFailure(
      {
        request: first.request,
        failure: { Error: 'ImageNotPublishableError' },
        parameters: first.plan.parameters,
      },
      world.deps,
    );

    expect(await parameterValues()).toEqual(onImage(first.image));
    expect(failed).toMatchObject({
      restored: [],
      left: expect.arrayContaining([`/ami-lifecycle/${FAMILY}/latest in ${HOME}`]),
    });
    expect(failed.left).toHaveLength(4);
  });

  it('leaves a parameter alone when its channel points at this image: the channels moved before the failure', async () => {
    const first = await upToParameters(VERSION);
    await completePublication({ request: first.request, plan: first.plan }, world.deps);

    const failed = await recordPublicationFailure(
      { request: first.request, failure: { Error: 'States.Timeout' }, parameters: first.plan.parameters },
      world.deps,
    );

    expect(failed).toMatchObject({ restored: [], left: [] });
    expect(await parameterValues()).toEqual(onImage(first.image));
  });
});
