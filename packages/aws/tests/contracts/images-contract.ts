import { type ComputePort, type ImagePort, UnmanagedImageError } from '@ami-lifecycle/core';
import { ResourceNotFoundError } from '../../src';
import { AL2023_PARAMETER } from '../../src/memory';

export const managedTags = { 'ami-lifecycle:managed': 'true', 'ami-lifecycle:family': 'golden-al2023' };

export interface ImagesSubject {
  port: ImagePort;
  /** Launches the builder instances images are made from. */
  compute: ComputePort;
  advance(seconds: number): Promise<void>;
  /** Snapshot ids the account still owns. */
  snapshotIds(): Promise<string[]>;
  close?(): Promise<void>;
}

/** The behaviour every `ImagePort` adapter must have; the subject is shared by the suite's tests. */
export const describeImagesContract = (name: string, makeSubject: () => Promise<ImagesSubject>): void => {
  describe(`${name} (images contract)`, () => {
    let s: ImagesSubject;
    let images: ImagePort;
    beforeAll(async () => {
      s = await makeSubject();
      images = s.port;
    });
    afterAll(async () => {
      await s?.close?.();
    });

    const launchRunning = async () => {
      const imageId = await images.resolveSsmImageParameter(AL2023_PARAMETER);
      const { instanceId } = await s.compute.launchInstance({
        imageId,
        instanceType: 't3.micro',
        instanceProfile: 'ami-lifecycle-builder',
        tags: { Name: 'builder' },
        rootVolume: { sizeGiB: 16, encrypted: true },
      });
      await s.advance(60);
      return instanceId;
    };
    const availableImage = async (imageName: string, tags: Record<string, string>) => {
      const instanceId = await launchRunning();
      const { imageId } = await images.createImage({
        instanceId,
        name: imageName,
        description: imageName,
        tags,
      });
      await s.advance(600);
      return imageId;
    };

    it('resolves the public AL2023 SSM parameter to an available Amazon image', async () => {
      const amiId = await images.resolveSsmImageParameter(AL2023_PARAMETER);

      expect(amiId).toMatch(/^ami-[0-9a-f]+$/);
      expect((await images.describeImage(amiId))?.state).toBe('available');
    });

    it('names a missing SSM parameter as not found', async () => {
      await expect(images.resolveSsmImageParameter('/ami-lifecycle/nothing/here')).rejects.toBeInstanceOf(
        ResourceNotFoundError,
      );
    });

    it('creates an image that is pending, then available with its snapshots after ten minutes', async () => {
      const instanceId = await launchRunning();

      const { imageId } = await images.createImage({
        instanceId,
        name: 'golden-al2023-2026.03.01.1',
        description: 'golden',
        tags: managedTags,
      });
      const pending = await images.describeImage(imageId);
      await s.advance(600);
      const available = await images.describeImage(imageId);

      expect(pending?.state).toBe('pending');
      expect(available).toMatchObject({
        imageId,
        name: 'golden-al2023-2026.03.01.1',
        state: 'available',
        tags: managedTags,
        creationDate: expect.stringMatching(/^2026-03-01T/),
      });
      expect(available?.snapshotIds.length).toBeGreaterThan(0);
    });

    it('names an instance that does not exist as not found when asked to image it', async () => {
      await expect(
        images.createImage({ instanceId: 'i-0123456789abcdef0', name: 'orphan', description: 'x', tags: {} }),
      ).rejects.toBeInstanceOf(ResourceNotFoundError);
    });

    it('answers undefined for an image that does not exist', async () => {
      expect(await images.describeImage('ami-0123456789abcdef0')).toBeUndefined();
    });

    it('finds images by name filter, newest first', async () => {
      const older = await availableImage('find-me-1', managedTags);
      const newer = await availableImage('find-me-2', managedTags);
      await availableImage('other-1', managedTags);

      const found = await images.findImagesByName('find-me-*', ['self']);

      expect(found.map((i) => i.imageId)).toEqual([newer, older]);
    });

    it('deprecates and disables a managed image', async () => {
      const imageId = await availableImage('retire-me', managedTags);

      await images.deprecateImage(imageId, new Date('2026-04-01T00:00:00Z'));
      await images.disableImage(imageId);

      expect(await images.describeImage(imageId)).toMatchObject({
        state: 'disabled',
        deprecationTime: expect.stringMatching(/^2026-04-01T00:00/),
      });
    });

    it('deregisters a managed image with its snapshots, unless deregistration protection is on', async () => {
      const imageId = await availableImage('deregister-me', managedTags);
      const { snapshotIds } = (await images.describeImage(imageId))!;

      await images.setDeregistrationProtection(imageId, true);
      await expect(images.deregisterImage(imageId, { deleteSnapshots: true })).rejects.toThrow(/protection/);
      await images.setDeregistrationProtection(imageId, false);
      await images.deregisterImage(imageId, { deleteSnapshots: true });

      expect(await s.snapshotIds()).not.toEqual(expect.arrayContaining(snapshotIds));
      expect((await images.describeImage(imageId))?.state ?? 'deregistered').toBe('deregistered');
    });

    it.each([
      ['tagged managed=TRUE (wrong case)', { 'ami-lifecycle:managed': 'TRUE', Name: 'not-ours' }],
      ['untagged', {}],
    ])(
      'refuses to touch an unmanaged image (%s) and changes nothing, snapshots included',
      async (label, tags) => {
        const imageId = await availableImage(`not-ours-${label.split(' ')[0]}`, tags);
        const before = await images.describeImage(imageId);

        await expect(images.deregisterImage(imageId, { deleteSnapshots: true })).rejects.toBeInstanceOf(
          UnmanagedImageError,
        );
        await expect(images.deprecateImage(imageId, new Date('2026-04-01T00:00:00Z'))).rejects.toBeInstanceOf(
          UnmanagedImageError,
        );
        await expect(images.disableImage(imageId)).rejects.toBeInstanceOf(UnmanagedImageError);
        await expect(images.setDeregistrationProtection(imageId, true)).rejects.toBeInstanceOf(
          UnmanagedImageError,
        );
        await expect(images.setDeregistrationProtection(imageId, false)).rejects.toBeInstanceOf(
          UnmanagedImageError,
        );

        expect(await images.describeImage(imageId)).toEqual(before);
        expect(await s.snapshotIds()).toEqual(expect.arrayContaining(before?.snapshotIds ?? []));
        expect(before?.snapshotIds.length).toBeGreaterThan(0);
      },
    );

    it('refuses a public Amazon image even though the caller could name it', async () => {
      const amiId = await images.resolveSsmImageParameter(AL2023_PARAMETER);

      await expect(images.deregisterImage(amiId, { deleteSnapshots: false })).rejects.toBeInstanceOf(
        UnmanagedImageError,
      );
    });

    it('names an image that does not exist as not found when asked to change it', async () => {
      await expect(images.disableImage('ami-0123456789abcdef1')).rejects.toBeInstanceOf(
        ResourceNotFoundError,
      );
    });
  });
};
