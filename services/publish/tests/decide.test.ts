import { approveImage, PublishRefusedError, publicationPlan, rejectImage, rollbackChannel } from '../src';
import { candidate, createWorld, HOME, OTHER, type World } from './support/world';

const FAMILY = 'payments-api';

describe('approval, rejection and rollback by a person', () => {
  let world: World;
  beforeEach(async () => {
    world = await createWorld(['golden-al2023', 'payments-api']);
  });
  const decideDeps = () => world.deps;
  const decision = (version: string) => ({
    family: FAMILY,
    version,
    by: 'alice@example.com',
    reason: 'signed off',
  });

  it('approves a passing candidate that waits for a person, audited with who and why, then Image Approved', async () => {
    await candidate(world, FAMILY, '1.0.0', 'inspecting', 'pass');

    const image = await approveImage(decision('1.0.0'), decideDeps());

    expect(image).toMatchObject({ state: 'approved', approver: 'alice@example.com' });
    const audit = (await world.catalog.listAudit(FAMILY, '1.0.0', { limit: 50 })).items.at(-1);
    expect(audit).toMatchObject({
      from: 'inspecting',
      to: 'approved',
      actor: 'alice@example.com',
      reason: 'approved by alice@example.com: signed off',
    });
    expect(world.events.published('Image Approved').map((e) => e.detail)).toEqual([
      expect.objectContaining({
        approver: { kind: 'person', principal: 'alice@example.com' },
        reason: 'signed off',
      }),
    ]);
  });

  it.each([
    ['a failing verdict', 'fail', /failed its inspection/],
    ['no verdict yet', 'none', /no verdict yet/],
  ] as const)(
    'refuses to approve a candidate with %s, and changes nothing',
    async (_label, verdict, message) => {
      const { image } = await candidate(world, FAMILY, '1.0.0', 'inspecting', verdict);

      await expect(approveImage(decision('1.0.0'), decideDeps())).rejects.toThrow(message);

      expect(await world.catalog.getImage(FAMILY, '1.0.0')).toEqual(image);
      expect(world.events.published()).toEqual([]);
    },
  );

  it('refuses an unknown version or family, naming it', async () => {
    await expect(approveImage(decision('9.9.9'), decideDeps())).rejects.toThrow(
      'image payments-api@9.9.9 does not exist',
    );
    await expect(rejectImage({ ...decision('1.0.0'), family: 'nope-family' }, decideDeps())).rejects.toThrow(
      'family nope-family is not configured',
    );
  });

  it('rejects before publication, from inspecting or approved, and never a published image', async () => {
    await candidate(world, FAMILY, '1.0.0', 'inspecting', 'pass');
    await candidate(world, FAMILY, '1.1.0', 'approved');

    await rejectImage(decision('1.0.0'), decideDeps());
    await rejectImage(decision('1.1.0'), decideDeps());

    expect((await world.catalog.getImage(FAMILY, '1.0.0'))?.state).toBe('rejected');
    expect((await world.catalog.getImage(FAMILY, '1.1.0'))?.state).toBe('rejected');
    await expect(rejectImage(decision('1.1.0'), decideDeps())).rejects.toBeInstanceOf(PublishRefusedError);
    expect(world.events.published('Image Rejected')).toHaveLength(2);
  });

  describe('rollback', () => {
    /** Two published versions of golden-al2023, each with its AMI in both regions and its parameters. */
    const twoPublished = async () => {
      const versions = ['2026.03.01.1', '2026.03.01.2'];
      const images = [];
      for (const version of versions) {
        const { image } = await candidate(world, 'golden-al2023', version);
        const copy = world.region(OTHER).images.addImage({ name: `golden-al2023-${version}` });
        const published = await world.catalog.transitionImage({
          family: 'golden-al2023',
          version,
          from: 'approved',
          to: 'published',
          expectedStateVersion: image.stateVersion,
          at: world.clock.now().toISOString(),
          audit: { actor: 'test', reason: 'published', correlationId: 'c' },
          patch: { amiIds: { ...image.amiIds, [OTHER]: copy } },
          moveChannels: ['latest', 'stable'],
        });
        for (const region of [HOME, OTHER]) {
          await world
            .region(region)
            .parameters.putImageParameter('/ami-lifecycle/golden-al2023/latest', published.amiIds[region]!);
        }
        world.advance(5);
        images.push(published);
      }
      return images;
    };
    const pauses: number[] = [];
    const deps = () => ({
      ...world.deps,
      pause: async (s: number) => {
        pauses.push(s);
        world.advance(s);
      },
    });
    beforeEach(() => {
      pauses.length = 0;
    });

    it('moves the channel back to its previous image and rewrites its parameter in both regions', async () => {
      const [first, second] = await twoPublished();

      const result = await rollbackChannel(
        { family: 'golden-al2023', channel: 'latest', by: 'carol', reason: 'boot loop' },
        deps(),
      );

      expect(result).toMatchObject({ fromVersion: second!.version, image: { version: first!.version } });
      expect((await world.catalog.getChannel('golden-al2023', 'latest'))?.version).toBe(first!.version);
      expect((await world.catalog.getChannel('golden-al2023', 'stable'))?.version).toBe(second!.version);
      for (const region of [HOME, OTHER]) {
        expect(
          (await world.region(region).parameters.getParameter('/ami-lifecycle/golden-al2023/latest'))?.value,
        ).toBe(first!.amiIds[region]);
      }
      expect(world.events.published('Image Published').map((e) => e.detail)).toEqual([
        expect.objectContaining({ version: first!.version, channels: ['latest'], regions: first!.amiIds }),
      ]);
      // SSM's validation is read back at a publication's pace.
      expect(pauses.length).toBeGreaterThan(0);
      expect(new Set(pauses)).toEqual(
        new Set([publicationPlan(world.families['golden-al2023']!, HOME).parameterPollSeconds]),
      );
    });

    it("refuses, naming it and changing nothing, a channel the family's config no longer publishes", async () => {
      const [, second] = await twoPublished();
      const config = world.families['golden-al2023']!;
      await world.catalog.putFamilyConfig(
        'golden-al2023',
        { ...config, publish: { ...config.publish, channels: ['stable'] } },
        { expectedCurrent: 1, at: world.clock.now().toISOString(), by: 'test' },
      );

      await expect(
        rollbackChannel({ family: 'golden-al2023', channel: 'latest', by: 'carol', reason: 'x' }, deps()),
      ).rejects.toThrow(
        new PublishRefusedError(
          "channel latest of golden-al2023 is no longer in the family's config (it publishes stable), so it has no parameter to point; nothing was changed",
        ),
      );
      expect((await world.catalog.getChannel('golden-al2023', 'latest'))?.version).toBe(second!.version);
      for (const region of [HOME, OTHER]) {
        expect(
          (await world.region(region).parameters.getParameter('/ami-lifecycle/golden-al2023/latest'))?.value,
        ).toBe(second!.amiIds[region]);
      }
      expect(world.events.published()).toEqual([]);
    });

    it('refuses a version that is not published, or the one the channel is on, and changes nothing', async () => {
      const [, second] = await twoPublished();
      await candidate(world, 'golden-al2023', '2026.03.01.3');

      for (const toVersion of ['2026.03.01.3', second!.version, '2026.01.01.1']) {
        await expect(
          rollbackChannel(
            { family: 'golden-al2023', channel: 'latest', toVersion, by: 'carol', reason: 'x' },
            deps(),
          ),
        ).rejects.toBeInstanceOf(PublishRefusedError);
      }
      expect((await world.catalog.getChannel('golden-al2023', 'latest'))?.version).toBe(second!.version);
      expect(
        (await world.region(HOME).parameters.getParameter('/ami-lifecycle/golden-al2023/latest'))?.value,
      ).toBe(second!.amiIds[HOME]);
      expect(world.events.published()).toEqual([]);
    });

    it('refuses when the channel has nothing earlier to go back to', async () => {
      await candidate(world, 'golden-al2023', '2026.03.01.1');
      await expect(
        rollbackChannel({ family: 'golden-al2023', channel: 'latest', by: 'carol', reason: 'x' }, deps()),
      ).rejects.toThrow('golden-al2023 has no channel latest');
    });
  });
});
